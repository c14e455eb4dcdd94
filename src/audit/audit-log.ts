// The audit log: one JSON line per decision, appended (and by default fsynced) BEFORE the action
// runs, one per outcome after it, chained by hashes, safe to share between processes, rotated at
// maxBytes. When a record cannot be written, the caller refuses the call.
import { hostname } from 'node:os';
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { redactRequest } from '../policy/redact-request.js';
import { REDACTED } from '../safe-text.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CanonicalRequest } from '../model/requests.js';
import type { Auditor, DecisionEntry, OutcomeEntry } from './auditor.js';
import { canonicalJson } from './canonical-json.js';
import { GENESIS, seal } from './chain.js';
import { lastLineSync, rotatedFilesSync } from './files.js';
import { LOCK_WAIT_MS, LockError, withFileLock } from '../file-lock.js';
import { osUserName } from '../os-user.js';
import { statOrUndefined } from '../real-path.js';
import { outOfBoundsSummary, valueBoundsProblem } from '../bounded-value.js';
import type { DecisionRecord, OutcomeRecord, PolicyRecord, ServerRecord } from './records.js';

export interface AuditLogOptions {
  file: string;
  /**
   * true: every record is on disk before its call goes on. "actions": the decision record of a
   * call that changes something (and is not refused) is; reads, refusals and outcomes are
   * written at once and reach the disk with the next flush. false: the OS decides.
   */
  fsync: boolean | 'actions';
  maxBytes: number;
  policy: PolicyRecord;
  server: ServerRecord;
  /** How long one call may wait for the log's lock, counted from the call (default LOCK_WAIT_MS). */
  lockWaitMs?: number;
}

/** A decision record's input when it was too large to keep (schemas/audit-record.schema.json). */
export interface TruncatedInput {
  truncated: true;
  /** sha256 of the canonical JSON of the (redacted) input. */
  sha256: string;
  /** Its size in bytes. */
  bytes: number;
  summary: InputSummary;
}

export interface InputSummary {
  /** The request's kind, or "arguments" for arguments as sent. */
  kind: string;
  operation: string;
  apps?: Array<{ name: string; script: string }>;
  processes?: Array<{ pm_id: number; name: string }>;
  target?: { asked: string; kind: string };
  ecosystem_file?: string;
  /** The first keys of arguments as sent. */
  keys?: string[];
  counts: Record<string, number>;
}

/**
 * The largest input a decision record keeps verbatim, in bytes of its canonical JSON. A start of
 * a few apps is 1–5 KiB, so every ordinary request stays readable in full; past 64 KiB it is an
 * ecosystem file of dozens of apps or an expansion (YAML aliases) meant to swell the log, and the
 * owner learns more from its sha256 (to match against the file) and a summary than from megabytes
 * per line. It keeps a 50 MiB log file at 800 records or more, and the chain's last line cheap.
 */
export const MAX_INPUT_BYTES = 64 * 1024;
/** reason and error quote names, paths and pm2's messages: long enough for any honest one. */
export const MAX_TEXT_CHARS = 4096;
/** A tool name or resource URI: for an unknown one, whatever the client called. */
export const MAX_TOOL_CHARS = 1024;
/** The client's name and version, from its initialize request. */
export const MAX_CLIENT_CHARS = 256;
/** A summary names the first few apps or processes, each cut, and counts the rest. */
const SUMMARY_ITEMS = 5;
const SUMMARY_CHARS = 256;

export class AuditLog implements Auditor {
  private cache: { ino: number; size: number; hash: string } | undefined;
  private fd: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private folderReady = false;
  private readonly osUser = osUserName();

  constructor(private readonly options: AuditLogOptions) {}

  get file(): string {
    return this.options.file;
  }

  async decision(entry: DecisionEntry): Promise<void> {
    const record: DecisionRecord = {
      kind: 'decision',
      decision_id: entry.decisionId,
      timestamp: new Date().toISOString(),
      // An unknown tool or resource is recorded under the name the client sent.
      tool: cut(entry.operation, MAX_TOOL_CHARS),
      effect: entry.effect,
      rule: entry.decision.ruleId,
      reason: cut(entry.decision.reason, MAX_TEXT_CHARS),
      input: recordedInput(entry),
      caller: {
        transport: entry.caller.transport,
        session_id: entry.caller.sessionId ?? null,
        // Sent by the client in its initialize request: as untrusted as its arguments.
        client: entry.caller.client ? { name: cut(entry.caller.client.name, MAX_CLIENT_CHARS), version: cut(entry.caller.client.version, MAX_CLIENT_CHARS) } : null,
        principal: entry.caller.principal,
        os_user: this.osUser,
      },
      policy: this.options.policy,
      server: this.options.server,
    };
    const acts = entry.effect !== 'deny' && entry.request !== null && entry.request.kind !== 'read';
    await this.append(record as unknown as Record<string, unknown>, this.options.fsync === true || (this.options.fsync === 'actions' && acts));
  }

  async outcome(entry: OutcomeEntry): Promise<void> {
    const record: OutcomeRecord = {
      kind: 'outcome',
      decision_id: entry.decisionId,
      timestamp: new Date().toISOString(),
      ok: entry.ok,
      error: entry.error === undefined ? null : cut(entry.error, MAX_TEXT_CHARS),
      duration_ms: Math.round(entry.durationMs * 1000) / 1000,
      affected: entry.affected,
      ...(entry.ended ? { ended: entry.ended } : {}),
    };
    // After the reply: nothing waits for an outcome record, so it yields to the I/O that does.
    try {
      await this.append(record as unknown as Record<string, unknown>, this.options.fsync === true, true);
    } catch (err) {
      // The action ran: its outcome must reach the log. Kept, and written with the next record
      // or at the flush before exit (each try has its own wait for the lock).
      this.unwritten.push(record as unknown as Record<string, unknown>);
      throw err;
    }
  }

  /** Outcomes whose append failed (the lock held too long, a full disk): written as soon as the log takes records again. */
  private unwritten: Array<Record<string, unknown>> = [];

  /** Retries the outcomes that could not be written; those that still fail stay for the next try. */
  private async retryUnwritten(): Promise<void> {
    const pending = this.unwritten;
    this.unwritten = [];
    for (const [i, body] of pending.entries()) {
      try {
        await this.appendNow(body, this.options.fsync === true, Date.now() + (this.options.lockWaitMs ?? LOCK_WAIT_MS));
      } catch {
        this.unwritten.push(...pending.slice(i));
        return;
      }
    }
  }

  /** Appends one after the other within this process; the file lock orders them across processes. */
  private append(body: Record<string, unknown>, sync: boolean, later = false): Promise<void> {
    // One deadline for the call, from now: a record queued behind others does not wait for the lock anew.
    const deadline = Date.now() + (this.options.lockWaitMs ?? LOCK_WAIT_MS);
    const next = this.queue
      .then(() => (later ? new Promise<void>((r) => setImmediate(r)) : undefined))
      .then(() => (this.unwritten.length ? this.retryUnwritten() : undefined))
      .then(() => this.appendNow(body, sync, deadline));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async appendNow(body: Record<string, unknown>, sync: boolean, deadline: number): Promise<void> {
    if (!this.folderReady) await this.makeFolder();
    try {
      await this.appendLocked(body, sync, deadline);
    } catch (err) {
      // The folder was removed while serving (the lock cannot be made in it): made again, once.
      if (!(err instanceof LockError && err.code === 'ENOENT')) throw err;
      await this.makeFolder();
      await this.appendLocked(body, sync, deadline);
    }
  }

  private async makeFolder(): Promise<void> {
    const folder = dirname(this.options.file);
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'a part of that path is a file' : (err.code ?? err.message);
      throw Object.assign(new Error(`cannot create the folder ${folder} for the audit log (${why})`), { code: err.code });
    });
    this.folderReady = true;
  }

  private async appendLocked(body: Record<string, unknown>, sync: boolean, deadline: number): Promise<void> {
    const { file } = this.options;
    // Inside the lock everything is a synchronous system call: no thread-pool round trips
    // between reading the chain's end and appending to it, and ~µs instead of ~0.1 ms each.
    await withFileLock(`${file}.lock`, () => {
      let fd = this.openLog();
      let info = fstatSync(fd);
      if (info.size > 0 && info.size >= this.options.maxBytes) {
        this.closeLog();
        this.rotate();
        fd = this.openLog();
        info = fstatSync(fd);
      }
      const record = seal(body, this.prevHash(info.ino, info.size));
      // After a torn write (a crash mid-append) the file ends mid-line: start on a line of our
      // own, so this record stays readable and verify reports the fragment.
      const torn = info.size > 0 && !(this.cache && this.cache.ino === info.ino && this.cache.size === info.size) && !endsWithNewline(fd, info.size);
      const line = Buffer.from(`${torn ? '\n' : ''}${JSON.stringify(record)}\n`);
      appendWhole(fd, line, info.size, sync);
      this.cache = { ino: info.ino, size: info.size + line.length, hash: record.hash };
    }, { what: 'the audit log lock', deadline });
  }

  /** The log stays open between appends; reopened when another process rotated it away. */
  private openLog(): number {
    const { file } = this.options;
    if (this.fd !== undefined) {
      const onDisk = statOrUndefined(file);
      if (onDisk && onDisk.ino === fstatSync(this.fd).ino) return this.fd;
      this.closeLog();
    }
    // The lock lives in the same folder: while it is held, the folder exists (appendNow makes it again).
    this.fd = openSync(file, 'a+', 0o600); // a+: appends, and reads the last byte after a torn write
    return this.fd;
  }

  private closeLog(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.fd = undefined;
  }

  /** Waits for every record already handed to the log, then closes the file. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.unwritten.length) await this.retryUnwritten();
    this.closeLog();
  }

  /** Outcomes still not written (for the server to name at exit). */
  get unwrittenOutcomes(): number {
    return this.unwritten.length;
  }

  /** The hash of the last record of the chain: remembered when this process wrote it last. */
  private prevHash(ino: number, size: number): string {
    if (this.cache && this.cache.ino === ino && this.cache.size === size) return this.cache.hash;
    if (size > 0) return hashOfLine(lastLineSync(this.options.file));
    const rotated = rotatedFilesSync(this.options.file);
    const newest = rotated[rotated.length - 1];
    return newest ? hashOfLine(lastLineSync(newest)) : GENESIS;
  }

  /** FILE becomes FILE.<n+1>; the chain goes on in a new FILE. */
  private rotate(): void {
    const rotated = rotatedFilesSync(this.options.file);
    const last = rotated[rotated.length - 1];
    const n = last ? Number(last.slice(last.lastIndexOf('.') + 1)) + 1 : 1;
    renameSync(this.options.file, `${this.options.file}.${n}`);
  }
}

/**
 * All or nothing: one write (with O_APPEND the line lands at the end of the file); when it fails
 * half way (ENOSPC, EIO) or cannot be synced, the file is cut back to where it was, so a full
 * disk never leaves a fragment that verify would have to call a torn write.
 */
function appendWhole(fd: number, line: Buffer, sizeBefore: number, sync: boolean): void {
  try {
    let off = 0;
    while (off < line.length) off += writeSync(fd, line, off, line.length - off);
    if (sync) fdatasyncSync(fd);
  } catch (err) {
    try {
      ftruncateSync(fd, sizeBefore);
    } catch {
      // The cut failed too: the next append starts on a line of its own, verify names the fragment.
    }
    throw err;
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}


/** A line that is not a record still anchors the chain (verify reports it); it never stops the log. */
function hashOfLine(line: string | undefined): string {
  if (line === undefined) return GENESIS;
  try {
    const parsed = JSON.parse(line) as { hash?: unknown };
    if (typeof parsed.hash === 'string') return parsed.hash;
  } catch {
    // fall through
  }
  return createHash('sha256').update(line).digest('hex');
}

/**
 * What a decision record keeps of the call: the canonical request (redacted), or the arguments as
 * sent (redacted) when there is none. Arguments too deep or too large to walk are summarized
 * before anything recurses into them (src/bounded-value.ts).
 */
function recordedInput(entry: DecisionEntry): unknown {
  if (entry.request) return boundedInput(redactRequest(entry.request), () => summarize(entry));
  const problem = valueBoundsProblem(entry.args);
  if (problem !== undefined) return outOfBoundsSummary(entry.args, problem);
  return boundedInput(redactArgs(entry.args) ?? null, () => summarize(entry));
}

/**
 * The input as it is, or, past MAX_INPUT_BYTES, its sha256, size and a summary. An input that
 * could be read as a truncated one (arguments as sent with a "truncated" key) is stored the same
 * way, so that every such object in the log was made here.
 */
export function boundedInput(input: unknown, summary: () => InputSummary): unknown {
  const { sha256, bytes } = canonicalDigest(input);
  const looksTruncated = input !== null && typeof input === 'object' && !Array.isArray(input) && (Object.hasOwn(input, 'truncated') || Object.hasOwn(input, 'out_of_bounds'));
  if (bytes <= MAX_INPUT_BYTES && !looksTruncated) return input;
  const truncated: TruncatedInput = { truncated: true, sha256, bytes, summary: summary() };
  return truncated;
}

/**
 * sha256 and byte length of canonicalJson(value), written in pieces: a huge input is hashed
 * without building its whole text. Must produce exactly canonicalJson's bytes (tested).
 */
export function canonicalDigest(value: unknown): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  let pending = '';
  const flush = () => {
    bytes += Buffer.byteLength(pending);
    hash.update(pending);
    pending = '';
  };
  walkCanonical(value, (part) => {
    pending += part;
    if (pending.length >= 65536) flush();
  });
  flush();
  return { sha256: hash.digest('hex'), bytes };
}

/** canonicalJson (canonical-json.ts) as a stream of pieces: same rules, same order. */
function walkCanonical(value: unknown, out: (part: string) => void): void {
  if (value === null || typeof value !== 'object') {
    out(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    out('[');
    value.forEach((v: unknown, i) => {
      if (i > 0) out(',');
      walkCanonical(v === undefined ? null : v, out);
    });
    out(']');
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out('{');
  entries.forEach(([k, v], i) => {
    out(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
    walkCanonical(v, out);
  });
  out('}');
}

/** What a truncated input was: its kind, the first few apps or processes (each cut), counts. */
function summarize(entry: DecisionEntry): InputSummary {
  if (entry.request) return summarizeRequest(entry.request);
  const args = entry.args;
  const base: InputSummary = { kind: 'arguments', operation: cut(entry.operation, SUMMARY_CHARS), counts: {} };
  if (!args || typeof args !== 'object' || Array.isArray(args)) return { ...base, counts: { items: Array.isArray(args) ? args.length : 0 } };
  const keys = Object.keys(args);
  const { name, script } = args as { name?: unknown; script?: unknown };
  return {
    ...base,
    keys: first(keys).map((k) => cut(k, SUMMARY_CHARS)),
    ...(typeof name === 'string' || typeof script === 'string' ? { apps: [{ name: cutOrEmpty(name), script: cutOrEmpty(script) }] } : {}),
    counts: { keys: keys.length },
  };
}

function summarizeRequest(request: CanonicalRequest): InputSummary {
  const base = { kind: request.kind, operation: cut(request.operation, SUMMARY_CHARS) };
  switch (request.kind) {
    case 'start': {
      const file = request.ecosystemFile ?? request.apps.map((a) => (a.origin.kind === 'ecosystem' ? a.origin.file : undefined)).find(Boolean);
      return {
        ...base,
        apps: first(request.apps).map((a) => ({ name: cut(a.name, SUMMARY_CHARS), script: cut(a.script, SUMMARY_CHARS) })),
        ...(file ? { ecosystem_file: cut(file, SUMMARY_CHARS) } : {}),
        counts: {
          apps: request.apps.length,
          env: request.apps.reduce((n, a) => n + Object.keys(a.env).length, 0),
          args: request.apps.reduce((n, a) => n + a.args.length + a.interpreterArgs.length, 0),
        },
      };
    }
    case 'operate': {
      const processes = request.target?.processes ?? [];
      return {
        ...base,
        ...(request.target ? { target: { asked: cut(String(request.target.asked), SUMMARY_CHARS), kind: request.target.kind } } : {}),
        processes: first(processes).map((p) => ({ pm_id: p.pm_id, name: cut(p.name, SUMMARY_CHARS) })),
        counts: { processes: processes.length },
      };
    }
    case 'read':
      return { ...base, processes: first(request.targets).map((p) => ({ pm_id: p.pm_id, name: cut(p.name, SUMMARY_CHARS) })), counts: { processes: request.targets.length } };
    default:
      return { ...base, counts: {} };
  }
}

function first<T>(items: readonly T[]): T[] {
  return items.slice(0, SUMMARY_ITEMS);
}

function cutOrEmpty(value: unknown): string {
  return typeof value === 'string' ? cut(value, SUMMARY_CHARS) : '';
}

/**
 * At most `max` UTF-16 units, the cut said in the text itself. Never ends on half a surrogate
 * pair: the record stays well-formed text.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… [${text.length} characters, cut]`;
  let end = Math.max(0, max - note.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + note;
}

/** Arguments that did not parse: any `env` object keeps its names, never its values. */
function redactArgs(args: unknown): unknown {
  if (Array.isArray(args)) return args.map(redactArgs);
  if (!args || typeof args !== 'object') return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k !== 'env' || v === undefined || v === null) out[k] = redactArgs(v);
    // An env that is not an object ("NAME=value", a list of them) may still hold values.
    else out[k] = typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).map((n) => [n, REDACTED])) : REDACTED;
  }
  return out;
}

/** Which policy decided: its files, the sha256 of the effective policy, its preset and mode. */
export function policyRecord(policy: CompiledPolicy): PolicyRecord {
  return {
    sources: policy.sources,
    sha256: createHash('sha256').update(canonicalJson(policy.config)).digest('hex'),
    preset: policy.preset,
    mode: policy.mode,
  };
}

export function serverRecord(version: string): ServerRecord {
  return { version, pid: process.pid, host: hostname() };
}
