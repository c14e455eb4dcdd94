// Resources: the process list, and one resource per process keyed by pm_id (names repeat across
// the instances of a cluster app, pm_ids do not). Reads pass the same gate as tools.
import * as z from 'zod';
import { describe, pmIdOf, summarize } from '../pm2/views.js';
import type { AnyOperation } from './operation.js';
import { refOf, resolveProcesses } from './tools/targets.js';

export const PROCESSES_URI = 'pm2://processes';
export const PROCESS_TEMPLATE = 'pm2://process/{id}';
const PROCESS_URI = /^pm2:\/\/process\/(\d{1,7})$/;

export function processUri(id: number): string {
  return `pm2://process/${id}`;
}

export const readProcesses: AnyOperation = {
  name: PROCESSES_URI,
  input: z.strictObject({}),
  resolve: async () => ({ kind: 'read' as const, operation: PROCESSES_URI, targets: [] }),
  execute: async (_req, ctx) => {
    const processes = (await ctx.pm2.list()).map((p) => summarize(p));
    return { structured: { count: processes.length, processes }, text: JSON.stringify({ count: processes.length, processes }) };
  },
};

export const readProcess: AnyOperation = {
  name: PROCESS_TEMPLATE,
  input: z.strictObject({ id: z.number().int().min(0) }),
  resolve: async (args: { id: number }, ctx) => {
    const { target } = await resolveProcesses(ctx.pm2, args.id);
    // The operation is the template the policy names; the pm_id is in the targets.
    return { kind: 'read' as const, operation: PROCESS_TEMPLATE, targets: target.processes };
  },
  execute: async (req: { targets: Array<{ pm_id: number }> }, ctx) => {
    const id = req.targets[0]?.pm_id;
    const proc = (await ctx.pm2.list()).find((p) => pmIdOf(p) === id);
    const detail = proc ? describe(proc, { redactEnv: ctx.redactEnv }) : null;
    return { structured: detail, text: JSON.stringify(detail) };
  },
};

/** resources/list and completion both reveal names and ids, so they are reads through the gate too. */
export const listProcessResources: AnyOperation = {
  name: 'resources/list',
  input: z.strictObject({}),
  resolve: async () => ({ kind: 'read' as const, operation: 'resources/list', targets: [] }),
  execute: async (_req, ctx) => {
    const refs = (await ctx.pm2.list()).map(refOf);
    return { structured: refs, text: '' };
  },
};

/** Parses a pm2://process/{id} URI; undefined for anything else. */
export function processIdOf(uri: string): number | undefined {
  const m = PROCESS_URI.exec(uri);
  return m ? Number(m[1]) : undefined;
}

