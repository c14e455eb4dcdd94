// Reading tools: list and describe. Allowed under every preset; env values redacted.
import * as z from 'zod';
// Names of processes started outside pm2-mcp may hold any character: shown escaped in text.
import { safe } from '../../safe-text.js';
import { ToolError } from '../../errors.js';
import { describeText } from '../../pm2/detail-text.js';
import { readProcesses, type ListReading } from '../../pm2/shared-reads.js';
import { describe, pmIdOf, summarize, type ProcessSummary } from '../../pm2/views.js';
import type { ProcessRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { detailSchema, empty, processArg, summarySchema } from './schemas.js';
import { resolveProcesses } from './targets.js';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

// Concurrent reads share one pm2 call (src/pm2/shared-reads.ts): an answer not fresh from pm2 says so.
const dataAge = z.number().optional().describe('Set when the data was shared with another read, not fetched from pm2 for this call: its age in ms (pm2 was asked for it at most reads.maxAgeMs before this call).');

/** The structured field and the line of text that say how old a shared answer is. */
function aged(reading: ListReading): { fields: { data_age_ms?: number }; note: string } {
  if (reading.ageMs === undefined) return { fields: {}, note: '' };
  return { fields: { data_age_ms: reading.ageMs }, note: `\n(pm2 data from ${reading.ageMs} ms ago, shared with another read)` };
}

export const listProcesses = defineTool({
  name: 'pm2_list_processes',
  title: 'List pm2 processes',
  description: 'Lists every process pm2 manages: name, pm_id, namespace, status, pid, uptime, restarts, cpu, memory, mode, script and cwd. No environment values.',
  input: empty,
  output: z.object({ count: z.number(), processes: z.array(summarySchema), data_age_ms: dataAge }),
  annotations: READ,
  resolve: async () => ({ kind: 'read' as const, operation: 'pm2_list_processes', targets: [] as ProcessRef[] }),
  execute: async (_req, ctx) => {
    const reading = await readProcesses(ctx.pm2);
    const processes = reading.processes.map((p) => summarize(p));
    const { fields, note } = aged(reading);
    return { structured: { count: processes.length, processes, ...fields }, text: listText(processes) + note };
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
  output: z.object({ processes: z.array(detailSchema), data_age_ms: dataAge }),
  annotations: READ,
  resolve: async (args, ctx) => {
    const { target } = await resolveProcesses(ctx.pm2, args.process);
    return { kind: 'read' as const, operation: 'pm2_describe_process', targets: target.processes };
  },
  execute: async (req, ctx) => {
    const ids = new Set(req.targets.map((t) => t.pm_id));
    const reading = await readProcesses(ctx.pm2);
    const processes = reading.processes.filter((p) => ids.has(pmIdOf(p) ?? -1)).map((p) => describe(p, { redactEnv: ctx.redactEnv }));
    if (processes.length === 0) throw new ToolError('PROCESS_NOT_FOUND', 'The process disappeared before it could be described.');
    // Its text stays `key: value` lines: the age of a shared answer is one more line.
    const { fields } = aged(reading);
    return { structured: { processes, ...fields }, text: describeText(processes, reading.ageMs) };
  },
});
