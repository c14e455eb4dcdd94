// Log housekeeping: flush (truncate) and reload (reopen) log files.
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { pmIdOf } from '../../pm2/views.js';
import type { TargetRef } from '../../policy/types.js';
import { defineTool } from '../operation.js';
import { empty, processArg } from './schemas.js';
import { resolveProcesses } from './targets.js';

export const flushLogs = defineTool({
  name: 'pm2_flush_logs',
  title: 'Empty pm2 log files',
  description: 'Truncates the out, err and combined log files of one process (every instance), or of every process when no process is given (which the policy allows only with processes.allowAll). The lines are gone for good.',
  input: z.strictObject({ process: processArg.optional() }),
  output: z.object({ flushed: z.array(z.object({ pm_id: z.number(), name: z.string(), files: z.array(z.string()) })) }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  resolve: async (args, ctx) => {
    const { target } = await resolveProcesses(ctx.pm2, args.process ?? 'all');
    return { kind: 'operate' as const, operation: 'pm2_flush_logs', target, updateEnv: false };
  },
  execute: async (req, ctx) => {
    const target = req.target as TargetRef;
    const ids = new Set(target.processes.map((p) => p.pm_id));
    const flushed: Array<{ pm_id: number; name: string; files: string[] }> = [];
    for (const proc of await ctx.pm2.list()) {
      const id = pmIdOf(proc);
      if (id === undefined || !ids.has(id)) continue;
      const env = proc.pm2_env ?? {};
      const files: string[] = [];
      for (const path of [env.pm_out_log_path, env.pm_err_log_path, env.pm_log_path]) {
        if (typeof path === 'string' && !files.includes(path) && (await truncateExisting(path))) files.push(path);
      }
      flushed.push({ pm_id: id, name: proc.name ?? env.name ?? '', files });
    }
    const count = flushed.reduce((n, f) => n + f.files.length, 0);
    return { structured: { flushed }, text: `Flushed ${count} log file${count === 1 ? '' : 's'} of ${flushed.length} process${flushed.length === 1 ? '' : 'es'}.`, affected: [...ids] };
  },
});

/** Truncates a file that exists; never creates one (pm2's flush opens with "w", which would). */
async function truncateExisting(path: string): Promise<boolean> {
  const handle = await open(path, 'r+').catch(() => undefined);
  if (!handle) return false;
  try {
    await handle.truncate(0);
    return true;
  } finally {
    await handle.close();
  }
}

export const reloadLogs = defineTool({
  name: 'pm2_reload_logs',
  title: 'Reopen pm2 log files',
  description: 'Makes the daemon close and reopen every log file, as after an external log rotation.',
  input: empty,
  output: z.object({ reloaded: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  resolve: async () => ({ kind: 'daemon' as const, operation: 'pm2_reload_logs' }),
  execute: async (_req, ctx) => {
    await ctx.pm2.reloadLogs();
    return { structured: { reloaded: true }, text: 'Log files reopened.' };
  },
});
