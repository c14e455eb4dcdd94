// pm2_diagnose_process: why a process is in its state, in facts with their sources (see
// src/pm2/diagnosis.ts). A read, allowed under every preset: it reads pm2's list, the server's
// own bus history, pm2.log (numbers and signal names only, src/pm2/daemon-log.ts) and the
// process's err log — which, like a tail's files, the gate is shown before anything is read.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ToolError } from '../../errors.js';
import { safe, safeLine, safeReply } from '../../safe-text.js';
import { readDaemonLog } from '../../pm2/daemon-log.js';
import { diagnose, duration, type Diagnosis } from '../../pm2/diagnosis.js';
import { groupErrors } from '../../pm2/error-groups.js';
import { inspectStoredLogPath, storedLogPaths } from '../../pm2/log-path.js';
import { tailFile } from '../../pm2/tail.js';
import { pmIdOf } from '../../pm2/views.js';
import type { CanonicalRequest, LogFileRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { processArg } from './schemas.js';
import { resolveProcesses } from './targets.js';

/** The err log's last lines grouped into entries: enough for a restart loop's repeated report. */
const ERROR_LINES_READ = 200;

type DiagnoseFile = LogFileRef & { pm_id: number; moved?: string };
type DiagnoseRequest = Omit<Extract<CanonicalRequest, { kind: 'read' }>, 'files'> & { files: DiagnoseFile[] };

const exitSchema = z.object({
  at: z.string(),
  code: z.number().optional(),
  signal: z.string().optional(),
  up_ms: z.number().optional().describe('How long that run had been up.'),
  source: z.enum(['bus', 'pm2.log']),
});

const diagnosisSchema = z.object({
  pm_id: z.number(),
  name: z.string(),
  status: z.string(),
  restarts: z.object({ total: z.number(), recent: z.number().describe('Exits seen in the recent window.'), unstable: z.number(), recent_window_ms: z.number() }),
  exits: z.array(exitSchema).describe('The newest exits, oldest first.'),
  findings: z.array(z.object({ kind: z.string(), fact: z.string(), source: z.string().describe('Where the fact was read.') })),
  silent_ms: z.number().optional().describe('Online: how long since its last output line (or its start).'),
  cpu: z.number().optional(),
  memory: z.number().optional(),
  errors: z.array(z.object({ lines: z.array(z.string()), count: z.number(), last_at: z.string().optional() })).describe('The err log\'s last entries (a stack trace is one), each with how often it was written among the lines read; control, bidi and separator characters escaped as \\uXXXX.'),
  error_log_unread: z.string().optional().describe('The err log was not read, and why: its entries are unknown, not none.'),
  next_steps: z.array(z.object({ step: z.string(), because: z.string() })),
  history: z.object({ listening: z.boolean(), since: z.string().optional() }).describe('The server\'s own record of the bus: exits before `since` come from pm2.log.'),
});

export const diagnoseProcess = defineTool({
  name: 'pm2_diagnose_process',
  title: 'Diagnose a pm2 process',
  description: 'Why a process is in its state, as facts with their sources: restarts (total, recent, unstable), its recent exits with code or signal, a restart loop or a memory-limit restart named as such, how long an online process has been silent, its last error entries grouped (a stack trace is one), and the next step an operator would take. Every instance of a cluster name.',
  input: z.strictObject({ process: processArg }),
  output: z.object({ processes: z.array(diagnosisSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  resolve: async (args, ctx): Promise<DiagnoseRequest> => {
    const { target, list } = await resolveProcesses(ctx.pm2, args.process);
    const ids = new Set(target.processes.map((p) => p.pm_id));
    const files: DiagnoseFile[] = [];
    for (const proc of list) {
      const id = pmIdOf(proc);
      if (id === undefined || !ids.has(id)) continue;
      for (const { stream, path } of storedLogPaths(proc)) {
        if (stream === 'combined') continue;
        const { ref, moved } = await inspectStoredLogPath(path, stream, join(ctx.pm2.home, 'logs'));
        files.push({ ...ref, pm_id: id, ...(moved ? { moved } : {}) });
      }
    }
    return { kind: 'read', operation: 'pm2_diagnose_process', targets: target.processes, files };
  },
  execute: async (req, ctx) => {
    const ids = new Set(req.targets.map((t) => t.pm_id));
    const procs = (await ctx.pm2.list()).filter((p) => ids.has(pmIdOf(p) ?? -1));
    if (procs.length === 0) throw new ToolError('PROCESS_NOT_FOUND', 'The process disappeared before it could be diagnosed.');
    const now = Date.now();
    const history = ctx.pm2.history;
    const processes: Diagnosis[] = [];
    for (const proc of procs) {
      const pmId = pmIdOf(proc)!;
      const name = req.targets.find((t) => t.pm_id === pmId)?.name ?? '';
      const mine = req.files.filter((f) => f.pm_id === pmId);
      const err = mine.find((f) => f.stream === 'err');
      const script = typeof proc.pm2_env?.pm_exec_path === 'string' ? proc.pm2_env.pm_exec_path : undefined;
      const uniqueId = typeof proc.pm2_env?.unique_id === 'string' ? proc.pm2_env.unique_id : undefined;
      processes.push(
        diagnose({
          proc,
          now,
          heard: history ? { events: history.eventsOf(pmId, name, uniqueId), coverage: history.coverage(pmId), lastLineAt: history.lastLineAt(pmId, name, uniqueId) } : undefined,
          daemonLog: await readDaemonLog(ctx.pm2.home, { name, pmId, script }),
          errors: await errorEntries(err),
          lastWritten: { out: await mtimeOf(mine.find((f) => f.stream === 'out')), err: await mtimeOf(err) },
        }),
      );
    }
    // The text escapes as it is written; the structured result carries what the app wrote escaped
    // too, so that no bidi or separator character of an app's output reaches a client raw.
    return { structured: { processes: processes.map(escaped) }, text: processes.map(diagnosisText).join('\n\n') };
  },
});

async function errorEntries(file: DiagnoseFile | undefined): Promise<{ entries: ReturnType<typeof groupErrors>; file?: string; unavailable?: string }> {
  if (!file) return { entries: [], unavailable: 'it has no err log' };
  if (file.moved) return { entries: [], file: file.path, unavailable: file.moved };
  const tail = await tailFile(file, { lines: ERROR_LINES_READ });
  if (tail.refused !== undefined) return { entries: [], file: file.path, unavailable: tail.refused };
  return { entries: groupErrors(tail.lines), file: file.path };
}

/** When the file was last written: its mtime, of the file the gate was shown (never a link's target). */
async function mtimeOf(file: DiagnoseFile | undefined): Promise<number | undefined> {
  if (!file || file.moved) return undefined;
  const info = await lstat(file.path).catch(() => undefined);
  if (!info?.isFile() || (file.ino !== undefined && info.ino !== file.ino)) return undefined;
  return info.mtimeMs;
}

function escaped(d: Diagnosis): Diagnosis {
  return {
    ...d,
    findings: d.findings.map((f) => ({ ...f, fact: safeReply(f.fact) })),
    errors: d.errors.map((e) => ({ ...e, lines: e.lines.map(safeLine) })),
    next_steps: d.next_steps.map((s) => ({ step: safeReply(s.step), because: safeReply(s.because) })),
  };
}

/** Compact: one line per fact, the error entries indented, the steps last. */
export function diagnosisText(d: Diagnosis): string {
  const lines = [`${safe(d.name)} (pm_id ${d.pm_id}): ${d.status}; restarts ${d.restarts.total} (${d.restarts.recent} in the last ${d.restarts.recent_window_ms / 60_000} min, ${d.restarts.unstable} unstable)`];
  for (const f of d.findings) lines.push(`- ${safe(f.fact)} [${safe(f.source)}]`);
  if (d.exits.length) lines.push(`exits: ${d.exits.map((e) => `${e.at.slice(11, 19)} ${e.signal ?? (e.code !== undefined ? `code ${e.code}` : '?')}${e.up_ms !== undefined ? ` up ${duration(e.up_ms)}` : ''}`).join(', ')}`);
  for (const e of d.errors) {
    lines.push(`error${e.count > 1 ? ` ×${e.count}` : ''}${e.last_at ? ` (last ${e.last_at})` : ''}:`);
    for (const l of e.lines) lines.push(`  ${safe(l)}`);
  }
  if (d.error_log_unread !== undefined) lines.push(`err log not read: ${safe(d.error_log_unread)}`);
  for (const s of d.next_steps) lines.push(`next: ${safe(s.step)} (${safe(s.because)})`);
  lines.push(d.history.since ? `history: heard since ${d.history.since}${d.history.listening ? '' : ' (not listening now)'}; before it, pm2.log` : 'history: none kept; exits from pm2.log');
  return lines.join('\n');
}
