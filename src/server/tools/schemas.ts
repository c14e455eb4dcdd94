// Argument and output schemas shared by several tools. Every input object is strict (an unknown
// key is an error naming it) and bounded.
import * as z from 'zod';

// Each branch carries its bounds, which also keeps the union portable: zod writes a union of
// bare types as a `type` array (["string","number"]), which single-type schema dialects (Gemini's)
// reject, while a branch with a constraint stays an `anyOf` branch of one type.
const processValue = z.union([z.number().int().min(0).max(1_000_000), z.string().min(1).max(200)]);

export const processArg = processValue.describe('The process: its pm_id (a number), its name (every instance of it), a namespace, "all", or a /regex/ over names.');

/** In a result: the process argument as the call gave it. */
export const askedProcess = processValue.describe('The process as the call named it.');

// A value that can be absent is an optional key, never `null`: one JSON type per field, the
// portable spelling (test/unit/schema-portability.test.ts).
export const summarySchema = z.object({
  name: z.string(),
  pm_id: z.number(),
  namespace: z.string(),
  status: z.string(),
  pid: z.number().optional(),
  uptime_ms: z.number().optional(),
  restarts: z.number(),
  cpu: z.number(),
  memory: z.number(),
  exec_mode: z.string(),
  instances: z.number(),
  script: z.string().optional(),
  cwd: z.string().optional(),
  interpreter: z.string().optional(),
});

export const detailSchema = summarySchema.extend({
  args: z.array(z.string()),
  interpreter_args: z.array(z.string()),
  watch: z.union([z.boolean(), z.array(z.string())]),
  autorestart: z.boolean(),
  created_at: z.string().optional(),
  started_at: z.string().optional(),
  unstable_restarts: z.number(),
  exit_code: z.number().optional(),
  logs: z.object({ out: z.string().optional(), err: z.string().optional(), combined: z.string().optional() }),
  env: z.record(z.string(), z.string()).describe('The app\'s own variables; values read "[redacted]" unless the policy shows them.'),
  env_redacted: z.boolean(),
});

export const actionResultSchema = z.object({
  action: z.string(),
  target: askedProcess,
  processes: z.array(summarySchema).describe('The processes acted on, as they are after the action.'),
});

export const empty = z.strictObject({});
