// Reading tools: list, describe, tail logs. Allowed under every preset; env values redacted.
import { join } from 'node:path';
import { z } from 'zod';
// Names of processes started outside pm2-mcp may hold any character: shown escaped in text.
// Log lines too: an app's output may carry terminal escapes; the structured lines keep them as written.
import { safe, safeJson, safeReply } from '../../safe-text.js';
import { ToolError } from '../../errors.js';
import { inspectStoredLogPath, storedLogPaths } from '../../pm2/log-path.js';
import { tailFile } from '../../pm2/tail.js';
import { describe, pmIdOf, summarize, type ProcessSummary } from '../../pm2/views.js';
import type { LogFileRef, ProcessRef } from '../../model/requests.js';
import { defineTool } from '../operation.js';
import { detailSchema, empty, processArg, summarySchema } from './schemas.js';
import { refOf, resolveProcesses } from './targets.js';

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

const LOG_TYPES = ['out', 'err', 'combined'] as const;
type LogType = (typeof LOG_TYPES)[number];

/** A file to read, as resolve saw it (its folder's real path, its inode): the gate decides over these. */
interface LogFile extends LogFileRef {
  pm_id: number;
  name: string;
  stream: 'out' | 'err';
  /** Set when the file's folder was swapped for a link since pm2 was given the path: not read. */
  moved?: string;
}

export const tailLogs = defineTool({
  name: 'pm2_tail_logs',
  title: 'Read the last lines of a process\'s logs',
  description: 'The last lines a process wrote to its out or err log, or both (combined, each line labelled). Every instance of a cluster app is read. Reads backward from the end of the file, so large logs cost no more than the lines asked.',
  input: z.strictObject({
    process: processArg,
    lines: z.number().int().min(1).max(1000).default(60).describe('How many lines from the end of each log file (1-1000, default 60).'),
    type: z.enum(LOG_TYPES).default('out').describe('out (stdout), err (stderr) or combined (both, each line labelled). Default out.'),
  }),
  output: z.object({
    process: z.union([z.string(), z.number()]),
    type: z.enum(LOG_TYPES),
    lines: z.array(z.object({ pm_id: z.number(), name: z.string(), stream: z.enum(['out', 'err']), text: z.string() })),
    cut_lines: z.number().describe('Lines longer than the bound, shown cut (they start with "…").'),
    missing_files: z.array(z.string()),
    refused_files: z.array(z.object({ path: z.string(), reason: z.string() })).describe('Files not read: not a regular file (a link, FIFO, device), or not the file that was checked.'),
  }),
  annotations: READ,
  resolve: async (args, ctx) => {
    const { target, list } = await resolveProcesses(ctx.pm2, args.process);
    const ids = new Set(target.processes.map((p) => p.pm_id));
    const files: LogFile[] = [];
    const seen = new Set<string>();
    for (const proc of list) {
      const id = pmIdOf(proc);
      if (id === undefined || !ids.has(id)) continue;
      const name = refOf(proc).name;
      for (const { stream, path } of storedLogPaths(proc)) {
        // The combined log holds the same lines again: tail reads out and err.
        if (stream === 'combined' || !wants(args.type, stream) || seen.has(path)) continue;
        seen.add(path); // Instances with merged logs share one file: read it once.
        const { ref, moved } = await inspectStoredLogPath(path, stream, join(ctx.pm2.home, 'logs'));
        files.push({ ...ref, pm_id: id, name, stream, ...(moved ? { moved } : {}) });
      }
    }
    return { kind: 'read' as const, operation: 'pm2_tail_logs', targets: target.processes, asked: args.process, type: args.type, lines: args.lines, files };
  },
  execute: async (req) => {
    const out: Array<{ pm_id: number; name: string; stream: 'out' | 'err'; text: string }> = [];
    const missing: string[] = [];
    const refused: Array<{ path: string; reason: string }> = [];
    let cut = 0;
    for (const file of req.files) {
      const tail = file.moved ? { lines: [], cutLines: 0, missing: false, refused: file.moved } : await tailFile(file, { lines: req.lines });
      if (tail.missing) missing.push(file.path);
      if (tail.refused !== undefined) refused.push({ path: file.path, reason: tail.refused });
      cut += tail.cutLines;
      for (const text of tail.lines) out.push({ pm_id: file.pm_id, name: file.name, stream: file.stream, text });
    }
    const labelled = req.type === 'combined' || req.files.length > 1;
    const shown = out.length === 0 ? (refused.length > 0 ? 'Nothing was read.' : 'The log is empty.') : out.map((l) => (labelled ? `${safe(l.name)}[${l.pm_id}] ${l.stream} | ${safeReply(l.text)}` : safeReply(l.text))).join('\n');
    const text = [shown, ...refused.map((r) => `Not read: ${r.path}: ${r.reason}.`)].join('\n');
    return { structured: { process: req.asked, type: req.type, lines: out, cut_lines: cut, missing_files: missing, refused_files: refused }, text };
  },
});

function wants(type: LogType, stream: 'out' | 'err'): boolean {
  return type === 'combined' || type === stream;
}
