// Tools that change processes: start, restart, reload, stop, delete.
import { z } from 'zod';
import { ToolError } from '../../errors.js';
import type { Pm2Adapter } from '../../pm2/adapter.js';
import { sharedLogRefusal } from '../../pm2/log-claims.js';
import { buildStartConfig } from '../../pm2/start-config.js';
import { ecosystemPath, resolveStartApps } from '../../pm2/start-request.js';
import { agentStartedCount } from '../../pm2/agent-started.js';
import { storedApp } from '../../pm2/stored-app.js';
import { safe } from '../../safe-text.js';
import { pmIdOf, processName, summarize, type ProcessSummary } from '../../pm2/views.js';
import { join } from 'node:path';
import { withFileLock } from '../../file-lock.js';
import type { StartApp, TargetRef } from '../../model/requests.js';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../../model/names.js';
import { ecosystemFileRefusal } from '../../policy/ecosystem-files.js';
import { defineTool, type ExecuteResult, type ServerContext } from '../operation.js';
import { actionResultSchema, processArg, summarySchema } from './schemas.js';
import { listIfRunning, resolveProcesses } from './targets.js';

const shortText = (max: number) => z.string().min(1).max(max);

export const startProcess = defineTool({
  name: 'pm2_start_process',
  title: 'Start a process with pm2',
  description:
    'Starts a script (or every app of a JSON/YAML ecosystem file) under pm2. Give exactly one of script or jsonConfigFile. ' +
    'Relative paths resolve against the server\'s root folder (the config\'s folder). The app gets the env given here plus the few server variables the policy passes on (PATH, HOME, LANG …), nothing else.',
  input: z
    .strictObject({
      script: shortText(4096).optional().describe('Path of the script to run (relative to cwd), or a command on the PATH.'),
      jsonConfigFile: shortText(4096).optional().describe('Path of a JSON or YAML ecosystem file whose apps are started. JavaScript ecosystem files are refused.'),
      name: z.string().min(1).max(NAME_MAX_LENGTH).regex(NAME_PATTERN, 'letters, digits, "." and "-" only, starting with a letter or digit').optional().describe('Process name: letters, digits, "." and "-", starting with a letter or digit (default: the script\'s file name, other characters turned into "-").'),
      args: z.union([z.string().max(8192), z.array(z.string().max(4096)).max(100)]).optional().describe('Arguments for the script: a list, or one string split on spaces (quotes group).'),
      cwd: shortText(4096).optional().describe('Working folder (default: the server\'s root folder).'),
      watch: z.boolean().optional().describe('Restart when files in cwd change (default false).'),
      instances: z.number().int().min(1).max(64).optional().describe('Number of instances (default 1; above 1, node apps run in cluster mode).'),
      env: z.record(z.string().min(1).max(128), z.string().max(32768)).optional().describe('Environment variables for the app (names and values).'),
      interpreter: shortText(4096).optional().describe('Interpreter (node, bash, python3 …, an absolute path, or "none"); default chosen from the extension as pm2 does.'),
    })
    .refine((a) => (a.script === undefined) !== (a.jsonConfigFile === undefined), { message: 'give exactly one of script or jsonConfigFile' })
    .refine((a) => a.jsonConfigFile === undefined || Object.keys(a).length === 1, { message: 'with jsonConfigFile, every setting comes from the file: give no other argument' })
    .refine((a) => a.env === undefined || Object.keys(a.env).length <= 100, { message: 'env: at most 100 variables' }),
  output: z.object({ started: z.array(summarySchema) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  resolve: async (args, ctx) => {
    if (args.jsonConfigFile !== undefined) {
      // An ecosystem file the policy does not allow is not even read: its content would reach
      // the agent through parse errors. evaluate() refuses it by its path. (A dry run reads it.)
      const file = await ecosystemPath(args.jsonConfigFile, ctx.root);
      if (ctx.policy.mode === 'enforce' && ecosystemFileRefusal(ctx.policy, file) !== undefined) {
        return { kind: 'start' as const, operation: 'pm2_start_process', apps: [], ecosystemFile: file };
      }
    }
    const apps = await resolveStartApps(args, ctx.root, { jsEcosystemFiles: ctx.policy.start.jsEcosystemFiles });
    return { kind: 'start' as const, operation: 'pm2_start_process', apps, managed: agentStartedCount(await listIfRunning(ctx.pm2)) };
  },
  // Checking that a name is free and starting under it is one step for every server on this
  // PM2_HOME: otherwise two starts racing with one name turn the second into a pm2 restart.
  execute: async (req, ctx) => withFileLock(join(ctx.pm2.home, 'pm2-mcp-start.lock'), () => startNew(req.apps, ctx), { what: 'the start lock' }),
});

async function startNew(apps: StartApp[], ctx: ServerContext): Promise<ExecuteResult<{ started: ProcessSummary[] }>> {
  const list = await ctx.pm2.list();
  const names = new Set(list.map(processName));
  // pm2.start with a known name restarts that app with the new options merged (docs/threat-model.md
  // §T8); a start must only ever create.
  const taken = apps.filter((a) => names.has(a.name)).map((a) => a.name);
  if (taken.length) throw new ToolError('START_REFUSED', `A process named ${taken.map((n) => JSON.stringify(n)).join(', ')} exists already: restart it, or start under another name.`);
  // Counted again under the lock: two starts decided at once must not pass the cap together.
  const managed = agentStartedCount(list);
  const asked = apps.reduce((n, a) => n + a.instances, 0);
  const max = ctx.policy.processes.max;
  if (ctx.policy.mode === 'enforce' && managed + asked > max) {
    throw new ToolError('POLICY_DENIED', `Denied by rule processes.max: the agent's starts already run ${managed} processes; ${asked} more would pass the policy's cap of ${max}.`, { rule: 'processes.max' });
  }
  const shared = await sharedLogRefusal(apps, list, ctx.pm2.home);
  if (shared) throw new ToolError('START_REFUSED', shared);
  const ids: number[] = [];
  for (const app of apps) ids.push(...(await startOne(app, ctx, ids)));
  const idSet = new Set(ids);
  const started = (await ctx.pm2.list()).filter((p) => idSet.has(pmIdOf(p) ?? -1)).map((p) => summarize(p));
  return {
    structured: { started },
    text: `Started ${started.map((p) => `${p.name} (pm_id ${p.pm_id}, ${p.status})`).join(', ')}.`,
    affected: ids,
  };
}

/**
 * A start pm2 rejected is an error with pm2's reason, never "Started nothing.": pm2 answers a
 * spawn failure (E2BIG for a huge env or argument list, a missing interpreter …) with no process.
 * Apps started before it in the same call keep running and are named.
 */
async function startOne(app: StartApp, ctx: ServerContext, before: readonly number[]): Promise<number[]> {
  let ids: number[];
  let reason: string;
  try {
    ids = await ctx.pm2.start(buildStartConfig(app, process.env, ctx.policy.start.env.passThrough));
    if (ids.length >= app.instances) return ids;
    reason = `pm2 started ${ids.length} of the ${app.instances} instances of ${app.name} asked, and gave no reason.`;
  } catch (err) {
    if (!(err instanceof ToolError) || err.code !== 'PM2_ERROR') throw err;
    // A cluster start that failed at its n-th instance leaves the first ones running.
    ids = (await ctx.pm2.list()).filter((p) => processName(p) === app.name).map((p) => pmIdOf(p) ?? -1);
    reason = `${err.message.replace(/\.$/, '')}.`;
  }
  const kept = [...before, ...ids];
  const left = kept.length ? ` What this call started runs on: pm_id ${kept.join(', ')}.` : '';
  throw new ToolError('PM2_ERROR', `${reason}${left}`, { app: app.name, started: kept });
}

type Action = 'restart' | 'reload' | 'stop' | 'delete';

const PAST: Record<Action, string> = { restart: 'Restarted', reload: 'Reloaded', stop: 'Stopped', delete: 'Deleted' };

async function actOn(pm2: Pm2Adapter, action: Action, target: TargetRef, updateEnv: boolean): Promise<ExecuteResult<z.infer<typeof actionResultSchema>>> {
  const ids = target.processes.map((p) => p.pm_id);
  const env = updateEnv ? serverEnvForUpdate() : {};
  for (const id of ids) {
    if (action === 'restart') await pm2.restart(id, env);
    else if (action === 'reload') await pm2.reload(id, env);
    else if (action === 'stop') await pm2.stop(id);
    else await pm2.delete(id);
  }
  const idSet = new Set(ids);
  const after = action === 'delete' ? [] : (await pm2.list()).filter((p) => idSet.has(pmIdOf(p) ?? -1)).map((p) => summarize(p));
  const names = target.processes.map((p) => `${safe(p.name)} (pm_id ${p.pm_id})`).join(', ');
  return { structured: { action, target: target.asked, processes: after }, text: `${PAST[action]} ${names}.`, affected: ids };
}

/**
 * pm2's --update-env copies the caller's whole environment into the app (docs/threat-model.md §T7).
 * pm2's own bookkeeping variables are left out; the policy decides whether this is allowed.
 */
function serverEnvForUpdate(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PM2_') || k === 'pm_id') continue;
    env[k] = v;
  }
  return env;
}

function targetTool(action: Action, meta: { title: string; description: string; destructive: boolean; idempotent: boolean; updateEnv: boolean }) {
  const name = `pm2_${action}_process` as const;
  const shape = meta.updateEnv
    ? z.strictObject({ process: processArg, updateEnv: z.boolean().default(false).describe('Also replace the app\'s environment with the server\'s (pm2 --update-env). Default false.') })
    : z.strictObject({ process: processArg });
  return defineTool({
    name,
    title: meta.title,
    description: meta.description,
    input: shape as z.ZodType<{ process: string | number; updateEnv?: boolean }>,
    output: actionResultSchema,
    annotations: { readOnlyHint: false, destructiveHint: meta.destructive, idempotentHint: meta.idempotent, openWorldHint: false },
    resolve: async (args, ctx) => {
      const { target, list } = await resolveProcesses(ctx.pm2, args.process);
      const request = { kind: 'operate' as const, operation: name, target, updateEnv: args.updateEnv === true };
      if (action !== 'restart' && action !== 'reload') return request;
      // A restart starts the stored config again: the policy judges that config, as for a start.
      const ids = new Set(target.processes.map((p) => p.pm_id));
      const stored = await Promise.all(list.filter((p) => ids.has(pmIdOf(p) ?? -1)).map((p) => storedApp(p, join(ctx.pm2.home, 'logs'))));
      return { ...request, stored };
    },
    execute: async (req, ctx) => actOn(ctx.pm2, action, req.target as TargetRef, req.updateEnv),
  });
}

export const restartProcess = targetTool('restart', {
  title: 'Restart a pm2 process',
  description: 'Stops and starts the process (every instance, for a name) with its stored configuration. No option is changed.',
  destructive: false, idempotent: false, updateEnv: true,
});

export const reloadProcess = targetTool('reload', {
  title: 'Reload a pm2 process',
  description: 'Zero-downtime reload for cluster-mode apps (instances replaced one by one); a fork-mode app is restarted.',
  destructive: false, idempotent: false, updateEnv: true,
});

export const stopProcess = targetTool('stop', {
  title: 'Stop a pm2 process',
  description: 'Stops the process; pm2 keeps it in its list, so it can be restarted.',
  destructive: false, idempotent: true, updateEnv: false,
});

export const deleteProcess = targetTool('delete', {
  title: 'Delete a pm2 process',
  description: 'Stops the process and removes it from pm2\'s list.',
  destructive: true, idempotent: true, updateEnv: false,
});
