// Argument and output schemas shared by several tools. Every input object is strict (an unknown
// key is an error naming it) and bounded.
import { z } from 'zod';

export const processArg = z
  .union([z.number().int().min(0).max(1_000_000), z.string().min(1).max(200)])
  .describe('The process: its pm_id (a number), its name (every instance of it), a namespace, "all", or a /regex/ over names.');

export const summarySchema = z.object({
  name: z.string(),
  pm_id: z.number(),
  namespace: z.string(),
  status: z.string(),
  pid: z.number().nullable(),
  uptime_ms: z.number().nullable(),
  restarts: z.number(),
  cpu: z.number(),
  memory: z.number(),
  exec_mode: z.string(),
  instances: z.number(),
  script: z.string().nullable(),
  cwd: z.string().nullable(),
  interpreter: z.string().nullable(),
});

export const detailSchema = summarySchema.extend({
  args: z.array(z.string()),
  interpreter_args: z.array(z.string()),
  watch: z.union([z.boolean(), z.array(z.string())]),
  autorestart: z.boolean(),
  created_at: z.string().nullable(),
  started_at: z.string().nullable(),
  unstable_restarts: z.number(),
  exit_code: z.number().nullable(),
  logs: z.object({ out: z.string().nullable(), err: z.string().nullable(), combined: z.string().nullable() }),
  env: z.record(z.string(), z.string()).describe('The app\'s own variables; values read "[redacted]" unless the policy shows them.'),
  env_redacted: z.boolean(),
});

export const actionResultSchema = z.object({
  action: z.string(),
  target: z.union([z.string(), z.number()]),
  processes: z.array(summarySchema).describe('The processes acted on, as they are after the action.'),
});

export const empty = z.strictObject({});
