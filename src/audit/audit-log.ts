// The audit log: one JSON line per decision, appended (and by default fsynced) BEFORE the action
// runs, one per outcome after it, chained by hashes, safe to share between processes, rotated at
// maxBytes (chain-writer.ts writes them). When a record cannot be written, the caller refuses the call.
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { redactRequest } from '../policy/redact-request.js';
import { REDACTED } from '../safe-text.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CanonicalRequest } from '../model/requests.js';
import type { Auditor, DecisionEntry, OutcomeEntry } from './auditor.js';
import { canonicalJson } from './canonical-json.js';
import { ChainWriter } from './chain-writer.js';
import { osUserName } from '../os-user.js';
import { outOfBoundsSummary, valueBoundsProblem } from '../bounded-value.js';
import type { DecisionRecord, OutcomeRecord, PolicyChangeRecord, PolicyRecord, ServerRecord } from './records.js';

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
  private readonly osUser = osUserName();
  private readonly writer: ChainWriter;

  constructor(private readonly options: AuditLogOptions) {
    this.writer = new ChainWriter({ file: options.file, maxBytes: options.maxBytes, ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }) });
  }

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
    await this.writer.append(record as unknown as Record<string, unknown>, { sync: this.options.fsync === true || (this.options.fsync === 'actions' && acts), keep: false });
  }

  /**
   * The policy changed while the server runs: the chain says so, with both policies' sha256 and
   * files, before any decision names the new one.
   */
  async policyChanged(before: PolicyRecord, after: PolicyRecord): Promise<void> {
    this.options.policy = after;
    const record: PolicyChangeRecord = { kind: 'policy', timestamp: new Date().toISOString(), before, after, server: this.options.server };
    await this.writer.append(record as unknown as Record<string, unknown>, { sync: this.options.fsync !== false, keep: false });
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
      ...(entry.asked ? { asked: { action: entry.asked.action, approved: entry.asked.approved } } : {}),
    };
    // The action ran: its outcome must reach the log. One that cannot be written is kept, and
    // written with the next record or at the flush before exit (each try has its own wait for
    // the lock). Nothing waits for it: it goes after the reply (chain-writer.ts).
    await this.writer.append(record as unknown as Record<string, unknown>, { sync: this.options.fsync === true, keep: true });
  }

  /** Waits for every record already handed to the log, then closes the file. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Outcomes still not written (for the server to name at exit). */
  get unwrittenOutcomes(): number {
    return this.writer.keptCount;
  }
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
