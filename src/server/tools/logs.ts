// Log housekeeping: flush (truncate) and reload (reopen) log files.
import { join } from 'node:path';
import * as z from 'zod';
import { ToolError } from '../../errors.js';
import { inspectStoredLogPath, openLogFile, storedLogFileRefusal, storedLogPaths } from '../../pm2/log-path.js';
import type { Pm2RawProcess } from '../../pm2/types.js';
import { pmIdOf } from '../../pm2/views.js';
import type { LogFileRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { empty, processArg } from './schemas.js';
import { listIfRunning, refOf, resolveProcesses } from './targets.js';

/** A file to empty, as resolve saw it: the gate decides over these, execute truncates only these. */
interface FlushFile extends LogFileRef {
  pm_id: number;
  name: string;
  /** Set when the file's folder was swapped for a link since pm2 was given the path: left alone. */
  moved?: string;
}

interface Refused {
  pm_id: number;
  name: string;
  path: string;
  reason: string;
}

export const flushLogs = defineTool({
  name: 'pm2_flush_logs',
  title: 'Empty pm2 log files',
  description: 'Truncates the out, err and combined log files of one process (every instance), or of every process when no process is given (which the policy allows only with processes.allowAll). The lines are gone for good.',
  input: z.strictObject({ process: processArg.optional() }),
  output: z.object({
    flushed: z.array(z.object({ pm_id: z.number(), name: z.string(), files: z.array(z.string()) })),
    refused_files: z.array(z.object({ pm_id: z.number(), name: z.string(), path: z.string(), reason: z.string() })).describe('Files left as they are: not a regular file (a link, FIFO, device), or not the file that was checked.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  resolve: async (args, ctx) => {
    const { target, list } = await resolveProcesses(ctx.pm2, args.process ?? 'all');
    const ids = new Set(target.processes.map((p) => p.pm_id));
    const files: FlushFile[] = [];
    for (const proc of list) {
      const id = pmIdOf(proc);
      if (id !== undefined && ids.has(id)) files.push(...(await filesOf(proc, id, join(ctx.pm2.home, 'logs'))));
    }
    return { kind: 'operate' as const, operation: 'pm2_flush_logs', target, updateEnv: false, files };
  },
  // Only the files resolve saw and the gate allowed are emptied, each only if it is still that file.
  execute: async (req) => {
    const byId = new Map<number, { pm_id: number; name: string; files: string[] }>();
    for (const p of req.target?.processes ?? []) byId.set(p.pm_id, { pm_id: p.pm_id, name: p.name, files: [] });
    const refused: Refused[] = [];
    for (const file of req.files) {
      const outcome = await truncateExisting(file);
      if (outcome === 'truncated') byId.get(file.pm_id)?.files.push(file.path);
      else if (outcome !== 'missing') refused.push({ pm_id: file.pm_id, name: file.name, path: file.path, reason: outcome.refused });
    }
    const flushed = [...byId.values()];
    const count = flushed.reduce((n, f) => n + f.files.length, 0);
    const notes = refused.map((r) => `Not emptied: ${r.path} (${r.name}): ${r.reason}.`);
    return {
      structured: { flushed, refused_files: refused },
      text: [`Flushed ${count} log file${count === 1 ? '' : 's'} of ${flushed.length} process${flushed.length === 1 ? '' : 'es'}.`, ...notes].join('\n'),
      affected: [...byId.keys()],
    };
  },
});

/** The out, err and combined files pm2 keeps for one process, each once. */
async function filesOf(proc: Pm2RawProcess, id: number, defaultLogDir: string): Promise<FlushFile[]> {
  const name = refOf(proc).name;
  const files: FlushFile[] = [];
  for (const { stream, path } of storedLogPaths(proc)) {
    if (files.some((f) => f.path === path)) continue;
    const { ref, moved } = await inspectStoredLogPath(path, stream, defaultLogDir);
    if (!files.some((f) => f.path === ref.path)) files.push({ ...ref, pm_id: id, name, ...(moved ? { moved } : {}) });
  }
  return files;
}

/**
 * Truncates a file that exists and is still the one checked; never creates one (pm2's own flush
 * opens with "w", which would, and follows links).
 */
async function truncateExisting(file: FlushFile): Promise<'truncated' | 'missing' | { refused: string }> {
  if (file.moved) return { refused: file.moved };
  const opened = await openLogFile(file, 'write');
  if ('missing' in opened) return 'missing';
  if ('refused' in opened) return opened;
  try {
    await opened.handle.truncate(0);
    return 'truncated';
  } finally {
    await opened.handle.close();
  }
}

export const reloadLogs = defineTool({
  name: 'pm2_reload_logs',
  title: 'Reopen pm2 log files',
  description: 'Makes the daemon close and reopen every log file, as after an external log rotation.',
  input: empty,
  output: z.object({ reloaded: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // pm2 reopens every log file by its name, following links: each is checked as a restart checks
  // its stored log files (a regular file or nothing, in a folder that was not swapped for a link).
  resolve: async (_args, ctx) => {
    const files: LogFileRef[] = [];
    const defaultLogDir = join(ctx.pm2.home, 'logs');
    for (const proc of await listIfRunning(ctx.pm2)) {
      for (const { stream, path } of storedLogPaths(proc)) {
        const checked = await storedLogFileRefusal(path, stream, defaultLogDir);
        if (checked.refused) throw new ToolError('LOG_FILE_REFUSED', `Nothing was reopened: pm2 reopens every log file by its name, and ${checked.refused}. Delete that process and start it again.`);
        files.push(checked.ref);
      }
    }
    return { kind: 'daemon' as const, operation: 'pm2_reload_logs', files };
  },
  execute: async (_req, ctx) => {
    await ctx.pm2.reloadLogs();
    return { structured: { reloaded: true }, text: 'Log files reopened.' };
  },
});
