// pm2_tail_logs: the last lines of a process's logs, or the lines since a cursor. A read, allowed
// under every preset; a file is read only if it is the regular file the gate was shown.
import { join } from 'node:path';
import * as z from 'zod';
// Log lines may carry terminal escapes: shown escaped in text; the structured lines keep them as written.
import { safe, safeLine } from '../../safe-text.js';
import { ToolError } from '../../errors.js';
import { inspectStoredLogPath, storedLogPaths } from '../../pm2/log-path.js';
import { GREP_SCAN_BYTES, tailFile } from '../../pm2/tail.js';
import { CURSOR_MAX_LENGTH, CursorError, decodeCursor, encodeCursor, pathKey, type FilePosition } from '../../pm2/tail-cursor.js';
import { followFile, rotatedCandidates } from '../../pm2/tail-follow.js';
import { GREP_MAX_LENGTH, GrepError, compileGrep, type LineFilter } from '../../pm2/line-pattern.js';
import { interleaveByTime } from '../../pm2/tail-time.js';
import { heardTimes, mergeByTimes } from '../../pm2/heard-times.js';
import type { ProcessHistory } from '../../pm2/process-history.js';
import { pmIdOf } from '../../pm2/views.js';
import type { CanonicalRequest, LogFileRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { askedProcess, processArg } from './schemas.js';
import { refOf, resolveProcesses } from './targets.js';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const LOG_TYPES = ['out', 'err', 'combined'] as const;
type LogType = (typeof LOG_TYPES)[number];

/** A file to read, as resolve saw it (its folder's real path, its inode): the gate decides over these. */
interface LogFile extends LogFileRef {
  pm_id: number;
  name: string;
  stream: 'out' | 'err';
  /** Set when the file's folder was swapped for a link since pm2 was given the path: not read. */
  moved?: string;
  /** Where the cursor left this file (looked up by this path, never taken from the cursor). */
  position?: FilePosition;
  /** Set on a rotated copy found next to the log file at this path: read only to follow a position into it. */
  copyOf?: string;
  /**
   * pm2 writes a time on each of its lines (`time: true`, a log_date_format): only then is a time
   * prefix pm2's. Otherwise a line that starts with one is what the app wrote, and orders nothing.
   */
  timed: boolean;
  /** pm2's unique_id of the process, for the server's history of what it heard. */
  uniqueId?: string;
  /** Several instances write this one file (merged logs): what the server heard of one is not its order. */
  shared?: true;
}

type TailRequest = Omit<Extract<CanonicalRequest, { kind: 'read' }>, 'files' | 'lines'> & { asked: string | number; type: LogType; lines: number; files: LogFile[]; grep?: string; cursor?: { madeAt: number } };

export const tailLogs = defineTool({
  name: 'pm2_tail_logs',
  title: 'Read the last lines of a process\'s logs',
  description: 'The last lines a process wrote to its out or err log, or both (combined: interleaved by time, where pm2 wrote one on each line or this server heard each line written). Every instance of a cluster app is read. Give back the `cursor` of a reply to get only the lines written since, across flushes and rotations; `grep` keeps matching lines only. Large logs cost no more than the lines asked.',
  input: z.strictObject({
    process: processArg,
    lines: z.number().int().min(1).max(1000).default(60).describe('How many lines from the end of each log file (1-1000, default 60); with a cursor, the oldest lines after it.'),
    type: z.enum(LOG_TYPES).default('out').describe('out (stdout), err (stderr) or combined (both, interleaved by time where it is known). Default out.'),
    cursor: z.string().min(1).max(CURSOR_MAX_LENGTH).optional().describe('The cursor of an earlier reply: only lines written since it are returned, none twice.'),
    grep: z.string().min(1).max(GREP_MAX_LENGTH).optional().describe('Only lines containing this text, or matching /regex/ (or /regex/i; RE2 syntax, linear time), before the lines bound applies.'),
  }),
  output: z.object({
    process: askedProcess,
    type: z.enum(LOG_TYPES),
    logs: z
      .array(z.object({ pm_id: z.number(), name: z.string(), stream: z.enum(['out', 'err']), from: z.number().describe('The index of its first line among the lines of the text (split at "\\n").'), count: z.number() }))
      .describe('Where the lines are: the text carries them once, oldest first, in runs of one log file (one run per file, or for combined, one per change of stream). A run is `count` lines of the text from line `from`; a line holding control characters is shown escaped.'),
    cursor: z.string().describe('Give it back as `cursor` to get only the lines written after these.'),
    more: z.boolean().describe('Lines after these are already written and wait for the next call with the cursor.'),
    waiting_bytes: z.number().describe('Bytes written after these lines and not read yet.'),
    lost: z.array(z.object({ path: z.string(), reason: z.string() })).describe('Log files emptied or replaced since the cursor: lines written between the cursor and then are missing.'),
    rotated: z.array(z.object({ path: z.string(), copy: z.string() })).describe('Log files rotated since the cursor: their lines after it were read in the rotated copy first.'),
    time_ordered: z.boolean().optional().describe('combined: false when the order of the out and err lines of an instance is not known (no `time` prefix from pm2, and not all heard by this server): one stream is given after the other.'),
    time_source: z.enum(['pm2', 'server']).optional().describe('combined: where the times came from: pm2\'s `time` prefix on each line, or when this server heard each line on pm2\'s bus.'),
    search_incomplete: z.array(z.string()).optional().describe('grep: files whose search stopped at its byte bound before their start.'),
    cut_lines: z.number().describe('Lines longer than the bound, shown cut (they start or end with "…").'),
    missing_files: z.array(z.string()),
    refused_files: z.array(z.object({ path: z.string(), reason: z.string() })).describe('Files not read: not a regular file (a link, FIFO, device), or not the file that was checked.'),
  }),
  annotations: READ,
  resolve: async (args, ctx): Promise<TailRequest> => {
    const cursor = args.cursor === undefined ? undefined : parseOrRefuse(() => decodeCursor(args.cursor!));
    if (args.grep !== undefined) await compileOrRefuse(args.grep);
    const { target, list } = await resolveProcesses(ctx.pm2, args.process);
    const ids = new Set(target.processes.map((p) => p.pm_id));
    const files: LogFile[] = [];
    const seen = new Map<string, LogFile>();
    for (const proc of list) {
      const id = pmIdOf(proc);
      if (id === undefined || !ids.has(id)) continue;
      const name = refOf(proc).name;
      const format = proc.pm2_env?.log_date_format;
      const timed = typeof format === 'string' && format !== '';
      const uniqueId = typeof proc.pm2_env?.unique_id === 'string' ? proc.pm2_env.unique_id : undefined;
      const who = { pm_id: id, name, timed, ...(uniqueId !== undefined ? { uniqueId } : {}) };
      for (const { stream, path } of storedLogPaths(proc)) {
        // The combined log holds the same lines again: tail reads out and err.
        if (stream === 'combined' || !wants(args.type, stream)) continue;
        // Instances with merged logs share one file: read it once.
        const first = seen.get(path);
        if (first) {
          first.shared = true;
          continue;
        }
        const { ref, moved } = await inspectStoredLogPath(path, stream, join(ctx.pm2.home, 'logs'));
        const position = cursor?.positions.get(pathKey(ref.path));
        const file: LogFile = { ...ref, ...who, stream, ...(moved ? { moved } : {}), ...(position ? { position } : {}) };
        files.push(file);
        seen.set(path, file);
        // The copies a rotation may have left the position in: files of the request, so the policy sees them.
        if (position && !moved && cursor) {
          for (const copy of await rotatedCandidates(ref.path, stream, position, cursor.madeAt)) files.push({ ...copy, ...who, stream, copyOf: ref.path });
        }
      }
    }
    return {
      kind: 'read' as const, operation: 'pm2_tail_logs', targets: target.processes, asked: args.process, type: args.type, lines: args.lines, files,
      ...(args.grep !== undefined ? { grep: args.grep } : {}), ...(cursor ? { cursor: { madeAt: cursor.madeAt } } : {}),
    };
  },
  execute: async (req, ctx) => executeTail(req, ctx.pm2.history),
});

function parseOrRefuse<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof CursorError) throw new ToolError('INVALID_ARGUMENTS', err.message);
    throw err;
  }
}

async function compileOrRefuse(pattern: string): Promise<LineFilter> {
  try {
    return await compileGrep(pattern);
  } catch (err) {
    if (err instanceof GrepError) throw new ToolError('INVALID_ARGUMENTS', err.message);
    throw err;
  }
}

/** One log file's part of a reply. */
interface FileRead {
  file: LogFile;
  lines: string[];
  /** With a cursor: where to continue after the first n lines. */
  positionAfter?: (count?: number) => Promise<FilePosition>;
  /** Without a cursor: where to continue after every line. */
  position?: FilePosition;
  waiting: number;
}

interface Run {
  pm_id: number;
  name: string;
  stream: 'out' | 'err';
  lines: string[];
}

async function executeTail(req: TailRequest, history: ProcessHistory | undefined) {
  // Copies changed from now on hold lines of the next call: the cursor is made as of the start.
  const madeAt = Date.now();
  const grep = req.grep === undefined ? undefined : await compileGrep(req.grep);
  const missing: string[] = [];
  const refused: Array<{ path: string; reason: string }> = [];
  const lost: Array<{ path: string; reason: string }> = [];
  const rotated: Array<{ path: string; copy: string }> = [];
  const searchIncomplete: string[] = [];
  const positions = new Map<string, FilePosition>();
  const closers: Array<() => Promise<void>> = [];
  let cut = 0;
  const reads: FileRead[] = [];
  try {
    for (const file of req.files) {
      if (file.copyOf !== undefined) continue;
      const key = pathKey(file.path);
      // A file not read now keeps its place: the next call goes on from where it was.
      const keep = () => {
        if (file.position) positions.set(key, file.position);
      };
      if (file.moved) {
        refused.push({ path: file.path, reason: file.moved });
        keep();
        continue;
      }
      if (req.cursor && file.position) {
        const candidates = req.files.filter((f) => f.copyOf === file.path);
        const outcome = await followFile(file, candidates, file.position, { lines: req.lines, ...(grep ? { grep } : {}) });
        if ('missing' in outcome) missing.push(file.path);
        if ('refused' in outcome) refused.push({ path: file.path, reason: outcome.refused });
        if (!('followed' in outcome)) {
          keep();
          continue;
        }
        const f = outcome.followed;
        closers.push(() => f.close());
        if (f.lost) lost.push({ path: file.path, reason: f.lost });
        if (f.rotated) rotated.push({ path: file.path, copy: f.rotated });
        cut += f.cutLines;
        reads.push({ file, lines: f.lines.map((l) => l.text), positionAfter: (n) => f.positionAfter(n), waiting: f.waiting });
      } else {
        const tail = await tailFile(file, { lines: req.lines, ...(grep ? { grep } : {}) });
        if (tail.missing) missing.push(file.path);
        if (tail.refused !== undefined) refused.push({ path: file.path, reason: tail.refused });
        if (tail.searchedAll === false) searchIncomplete.push(file.path);
        cut += tail.cutLines;
        if (!tail.position) {
          keep();
          continue;
        }
        reads.push({ file, lines: tail.lines, position: tail.position, waiting: 0 });
      }
    }

    const { runs, timeOrdered, timeSource } = await arrange(reads, req, positions, history, madeAt);
    const waiting = reads.reduce((sum, r) => sum + r.waiting, 0);
    const cursor = encodeCursor({ madeAt, positions });
    const facts = {
      process: req.asked, type: req.type, cursor, more: waiting > 0, waiting_bytes: waiting, lost, rotated,
      ...(req.type === 'combined' ? { time_ordered: timeOrdered, ...(timeSource ? { time_source: timeSource } : {}) } : {}),
      ...(grep ? { search_incomplete: searchIncomplete } : {}),
      cut_lines: cut, missing_files: missing, refused_files: refused,
    };
    // The lines are carried once, by the text; the structured result says where each run is.
    const { text, spans } = tailText(req, runs, facts, timeOrdered);
    return { structured: { ...facts, logs: spans }, text };
  } finally {
    for (const close of closers) await close();
  }
}

/**
 * The runs of the reply, and the position each file's cursor continues from. combined: the two
 * streams of an instance interleaved by time when every line carries one; with a cursor, the
 * oldest `lines` of the merge (the rest waits, and each file's position stops at its last line
 * shown).
 */
async function arrange(reads: FileRead[], req: TailRequest, positions: Map<string, FilePosition>, history: ProcessHistory | undefined, madeAt: number): Promise<{ runs: Run[]; timeOrdered: boolean; timeSource?: 'pm2' | 'server' }> {
  const runs: Run[] = [];
  let timeOrdered = true;
  const sources = new Set<'pm2' | 'server'>();
  const push = (read: FileRead, lines: string[]) => {
    if (lines.length === 0) return;
    const last = runs[runs.length - 1];
    if (last && last.pm_id === read.file.pm_id && last.stream === read.file.stream) last.lines.push(...lines);
    else runs.push({ pm_id: read.file.pm_id, name: read.file.name, stream: read.file.stream, lines: [...lines] });
  };
  const place = async (read: FileRead, count?: number) => {
    const position = read.position ?? (await read.positionAfter!(count));
    positions.set(pathKey(read.file.path), position);
  };
  for (let i = 0; i < reads.length; i++) {
    const read = reads[i]!;
    const partner = reads[i + 1];
    if (req.type !== 'combined' || !partner || partner.file.pm_id !== read.file.pm_id || read.lines.length === 0 || partner.lines.length === 0) {
      push(read, read.lines);
      await place(read);
      continue;
    }
    i += 1;
    type Tagged = { read: FileRead; text: string };
    const a = read.lines.map((text) => ({ read, text }));
    const b = partner.lines.map((text) => ({ read: partner, text }));
    let merged = read.file.timed && partner.file.timed ? interleaveByTime<Tagged>(a, b, (t) => t.text) : undefined;
    if (merged) sources.add('pm2');
    else {
      // No time on the lines: the times this server heard them on the bus, when it heard them all.
      const heard = (f: LogFile) => (f.shared ? [] : (history?.linesOf(f.pm_id, f.name, f.stream, f.uniqueId) ?? []));
      const ta = history && heardTimes(read.lines, heard(read.file), madeAt);
      const tb = ta && history && heardTimes(partner.lines, heard(partner.file), madeAt);
      if (ta && tb) {
        merged = mergeByTimes(a, ta, b, tb);
        sources.add('server');
      }
    }
    if (!merged) {
      timeOrdered = false;
      push(read, read.lines);
      push(partner, partner.lines);
      await place(read);
      await place(partner);
      continue;
    }
    const shown = req.cursor ? merged.slice(0, req.lines) : merged;
    for (const t of shown) push(t.read, [t.text]);
    for (const r of [read, partner]) {
      const count = shown.filter((t) => t.read === r).length;
      // What the merge left out waits for the next call: the cursor stops before it.
      if (count < r.lines.length) r.waiting = Math.max(r.waiting, 1);
      await place(r, count);
    }
  }
  // Mixed sources (one instance timed by pm2, another by the server) are said as the server's.
  const timeSource = sources.has('server') ? 'server' : sources.has('pm2') ? 'pm2' : undefined;
  return { runs, timeOrdered, ...(timeSource ? { timeSource } : {}) };
}

interface Span {
  pm_id: number;
  name: string;
  stream: 'out' | 'err';
  from: number;
  count: number;
}

/** The text: the lines themselves (under a header per run when there are several), then what the reader must know. */
function tailText(req: TailRequest, runs: Run[], s: { more: boolean; waiting_bytes: number; lost: Array<{ path: string; reason: string }>; rotated: Array<{ path: string; copy: string }>; search_incomplete?: string[]; refused_files: Array<{ path: string; reason: string }>; cursor: string }, timeOrdered: boolean): { text: string; spans: Span[] } {
  const parts: string[] = [];
  const spans: Span[] = [];
  const headed = runs.length > 1 || req.type === 'combined' || req.files.some((f) => f.copyOf === undefined && f !== req.files[0]);
  for (const run of runs) {
    if (headed) parts.push(`==> ${safe(run.name)}[${run.pm_id}] ${run.stream} <==`);
    spans.push({ pm_id: run.pm_id, name: run.name, stream: run.stream, from: parts.length, count: run.lines.length });
    // One line of the file is one line of the text: a line's own control characters are escaped.
    for (const line of run.lines) parts.push(safeLine(line));
  }
  if (runs.length === 0) {
    const empty = req.grep !== undefined ? 'No line matches.' : req.cursor ? 'No new lines since the cursor.' : 'The log is empty.';
    parts.push(s.refused_files.length > 0 && req.files.every((f) => f.copyOf !== undefined || s.refused_files.some((r) => r.path === f.path)) ? 'Nothing was read.' : empty);
  }
  for (const r of s.refused_files) parts.push(`Not read: ${r.path}: ${r.reason}.`);
  for (const l of s.lost) parts.push(`Lines lost: ${l.path}: ${l.reason}.`);
  for (const r of s.rotated) parts.push(`Rotated: ${r.path}: its lines after the cursor were read in ${r.copy} first.`);
  if (!timeOrdered) parts.push('The order of out and err lines is not known (pm2\'s `time` option is off, and this server did not hear them all): each stream is shown whole, out first.');
  for (const path of s.search_incomplete ?? []) parts.push(`Searched the last ${GREP_SCAN_BYTES / 1048576} MiB of ${path} only.`);
  if (s.more) parts.push(`More lines are waiting (${s.waiting_bytes} bytes): call again with this cursor, or without one for the newest lines.`);
  parts.push(`cursor: ${s.cursor}`);
  return { text: parts.join('\n'), spans };
}

function wants(type: LogType, stream: 'out' | 'err'): boolean {
  return type === 'combined' || type === stream;
}
