// Reading tools: list and describe. Allowed under every preset; env values redacted.
import { z } from 'zod';
// Names of processes started outside pm2-mcp may hold any character: shown escaped in text.
import { safe, safeJson } from '../../safe-text.js';
import { ToolError } from '../../errors.js';
import { describe, pmIdOf, summarize, type ProcessSummary } from '../../pm2/views.js';
import type { ProcessRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { detailSchema, empty, processArg, summarySchema } from './schemas.js';
import { resolveProcesses } from './targets.js';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export const listProcesses = defineTool({
  name: 'pm2_list_processes',
  title: 'List pm2 processes',
  description: 'Lists every process pm2 manages: name, pm_id, namespace, status, pid, uptime, restarts, cpu, memory, mode, script and cwd. No environment values.',
  input: empty,
  output: z.object({ count: z.number(), processes: z.array(summarySchema) }),
  annotations: READ,
  resolve: async () => ({ kind: 'read' as const, operation: 'pm2_list_processes', targets: [] as ProcessRef[] }),
  execute: async (_req, ctx) => {
    const processes = (await ctx.pm2.list()).map((p) => summarize(p));
    return { structured: { count: processes.length, processes }, text: listText(processes) };
  },
});

export function listText(processes: ProcessSummary[]): string {
  if (processes.length === 0) return 'pm2 manages no process.';
  const rows = processes.map((p) => `${p.pm_id}\t${safe(p.name)}\t${safe(p.namespace)}\t${p.status}\tpid ${p.pid ?? '-'}\trestarts ${p.restarts}\tcpu ${p.cpu}%\tmem ${Math.round(p.memory / 1048576)} MiB`);
  return `${processes.length} process${processes.length === 1 ? '' : 'es'}:\n${rows.join('\n')}`;
}

export const describeProcess = defineTool({
  name: 'pm2_describe_process',
  title: 'Describe a pm2 process',
  description: 'Details of one process (every instance, for a cluster name): paths, args, watch, times, restarts, exit code, log files, and the names of its environment variables (values redacted).',
  input: z.strictObject({ process: processArg }),
  output: z.object({ processes: z.array(detailSchema) }),
  annotations: READ,
  resolve: async (args, ctx) => {
    const { target } = await resolveProcesses(ctx.pm2, args.process);
    return { kind: 'read' as const, operation: 'pm2_describe_process', targets: target.processes };
  },
  execute: async (req, ctx) => {
    const ids = new Set(req.targets.map((t) => t.pm_id));
    const processes = (await ctx.pm2.list()).filter((p) => ids.has(pmIdOf(p) ?? -1)).map((p) => describe(p, { redactEnv: ctx.redactEnv }));
    if (processes.length === 0) throw new ToolError('PROCESS_NOT_FOUND', 'The process disappeared before it could be described.');
    return { structured: { processes }, text: safeJson(JSON.stringify(processes.length === 1 ? processes[0] : processes, null, 1)) };
  },
});
