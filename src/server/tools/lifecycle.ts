// Tools that change processes: start, restart, reload, stop, delete.
import * as z from 'zod';
import { ToolError } from '../../errors.js';
import type { Pm2Adapter } from '../../pm2/adapter.js';
import { sharedLogRefusal } from '../../pm2/log-claims.js';
import { buildStartConfig } from '../../pm2/start-config.js';
import { ecosystemPath, resolveStartApps } from '../../pm2/start-request.js';
import { agentStartedCount } from '../../pm2/agent-started.js';
import { storedApp } from '../../pm2/stored-app.js';
import { safe } from '../../safe-text.js';
import { pmIdOf, processName, summarize, type ProcessSummary } from '../../pm2/views.js';
import type { Pm2RawProcess } from '../../pm2/types.js';
import { join } from 'node:path';
import { LockError, withFileLock } from '../../file-lock.js';
import type { StartApp, TargetRef, WaitRequest } from '../../model/requests.js';
import { ActionProgress, runAndWait } from '../../pm2/wait.js';
import { compileReadyPattern } from '../../pm2/wait-pattern.js';
import { LOOPBACK_HOSTS } from '../../pm2/wait-port.js';
import { withExitSignals } from '../../pm2/wait-signals.js';
import { waitReport, waitText, type WaitReport } from '../../pm2/wait-report.js';
import type { CompiledPolicy } from '../../policy/compile.js';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../../model/names.js';
import { ecosystemFileRefusal } from '../../policy/ecosystem-files.js';
import { defineTool, type CallHooks, type ExecuteResult, type ServerContext } from '../operation.js';
import { actionResultSchema, processArg, summarySchema } from './schemas.js';
import { listIfRunning, resolveProcesses } from './targets.js';

const shortText = (max: number) => z.string().min(1).max(max);

/** How long a wait lasts when the call does not say (within the policy's start.maxWaitMs). */
export const DEFAULT_WAIT_MS = 10_000;

/** The arguments of a start, restart or reload that say how its reply waits for the app. */
const waitArgs = {
  waitUntil: z
    .enum(['online', 'ready', 'none'])
    .optional()
    .describe(
      'When to reply. "online" (default): once every instance is online and stable (still online after its min_uptime, 1 s when it has none), or at its first exit. ' +
        '"ready": once every instance is ready, as readyPort, readyPattern or readyMessage says. "none": at once, without waiting. ' +
        'An app that is not online (or ready) when the wait ends is an error result (NOT_ONLINE, NOT_READY) saying why; pm2 keeps the app as it is.',
    ),
  timeoutMs: z.int().min(1).max(3_600_000).optional().describe(`The longest the reply waits, in ms (default ${DEFAULT_WAIT_MS}, at most the policy's start.maxWaitMs).`),
  readyPort: z.int().min(1).max(65535).optional().describe('With waitUntil "ready": the app is ready once this TCP port accepts a connection on 127.0.0.1 or ::1.'),
  readyPattern: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('With waitUntil "ready": the app is ready once a line of its output (stdout or stderr) contains this text, or matches it when written /regex/ (linear-time: no back-references, lookarounds or flags).'),
  readyMessage: z.literal(true).optional().describe('With waitUntil "ready": the app is ready once it calls process.send(\'ready\') (as for pm2\'s wait_ready).'),
};

const WAIT_KEYS: ReadonlySet<string> = new Set(Object.keys(waitArgs));

type WaitArgs = { [K in keyof typeof waitArgs]?: z.infer<(typeof waitArgs)[K]> };

/** The ready arguments fit waitUntil: exactly one with "ready", none otherwise; a pattern compiles. */
function checkWaitArgs(a: WaitArgs, ctx: z.RefinementCtx): void {
  const given = (['readyPort', 'readyPattern', 'readyMessage'] as const).filter((k) => a[k] !== undefined);
  if (a.waitUntil === 'ready' && given.length !== 1) ctx.addIssue({ code: 'custom', path: ['waitUntil'], message: 'with "ready", give exactly one of readyPort, readyPattern or readyMessage' });
  if (a.waitUntil !== 'ready' && given.length) ctx.addIssue({ code: 'custom', path: [given[0]!], message: 'only with waitUntil "ready"' });
  if (a.waitUntil === 'none' && a.timeoutMs !== undefined) ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: 'waitUntil "none" does not wait' });
}

/** The canonical wait: what the policy bounds (timeoutMs) and the only hosts a readyPort is tried on. */
function waitRequest(a: WaitArgs, policy: CompiledPolicy): WaitRequest {
  const until = a.waitUntil ?? 'online';
  const timeoutMs = a.timeoutMs ?? Math.min(DEFAULT_WAIT_MS, policy.start.maxWaitMs);
  if (until !== 'ready') return { until, timeoutMs };
  if (a.readyPort !== undefined) return { until, timeoutMs, ready: { kind: 'port', port: a.readyPort, hosts: [...LOOPBACK_HOSTS] } };
  if (a.readyPattern !== undefined) return { until, timeoutMs, ready: { kind: 'pattern', pattern: a.readyPattern } };
  return { until, timeoutMs, ready: { kind: 'message' } };
}

const instanceReportSchema = z.object({
  pm_id: z.number(),
  name: z.string(),
  result: z.enum(['online', 'ready', 'exited', 'timeout', 'lost', 'gone', 'stopped']),
  status: z.string().describe('pm2\'s status when the wait ended.'),
  online_since: z.string().optional(),
  ready_after_ms: z.number().optional(),
  exit_code: z.number().optional(),
  exit_signal: z.string().optional().describe('The signal that killed it (from pm2.log).'),
  up_ms: z.number().optional(),
  restarts: z.number().describe('Restarts pm2 made during the wait.'),
  min_uptime_ms: z.number(),
  next: z.string().describe('What pm2 does with it now.'),
  last_lines: z.array(z.string()),
});

const waitReportSchema = z
  .object({
    until: z.enum(['online', 'ready']),
    ready_by: z.string().optional(),
    elapsed_ms: z.number(),
    ok: z.boolean(),
    cancelled: z.boolean().describe('The client cancelled the request: the wait ended early.'),
    pm2_still_acting: z.literal(true).optional().describe('The wait ended while pm2 was still at the restart or reload (stopping the old run): pm2 goes on with it.'),
    not_asked: z.array(z.number()).optional().describe('pm_ids the wait ended before pm2 was asked about (instances go one at a time): nothing was done to them.'),
    instances: z.array(instanceReportSchema),
  })
  .describe('What the wait found, per instance (absent with waitUntil "none").');

/** A wait that did not end with every instance online (or ready) is an error with a stable code. */
function waitFailure(lead: string, report: WaitReport, wait: WaitRequest, extra: Record<string, unknown>): ToolError {
  const code = report.until === 'ready' ? 'NOT_READY' : 'NOT_ONLINE';
  return new ToolError(code, `${lead}, but not every instance is ${report.until}:\n${waitText(report, wait)}`, { wait: report, ...extra });
}

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
      ...waitArgs,
    })
    .refine((a) => (a.script === undefined) !== (a.jsonConfigFile === undefined), { message: 'give exactly one of script or jsonConfigFile' })
    .refine((a) => a.jsonConfigFile === undefined || Object.keys(a).filter((k) => !WAIT_KEYS.has(k)).length === 1, { message: 'with jsonConfigFile, every setting comes from the file: give no other argument (but how to wait)' })
    .refine((a) => a.env === undefined || Object.keys(a.env).length <= 100, { message: 'env: at most 100 variables' })
    .superRefine(checkWaitArgs),
  output: z.object({ started: z.array(summarySchema), wait: waitReportSchema.optional() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  resolve: async (args, ctx) => {
    if (args.readyPattern !== undefined) await compileReadyPattern(args.readyPattern);
    const wait = waitRequest(args, ctx.policy);
    if (args.jsonConfigFile !== undefined) {
      // An ecosystem file the policy does not allow is not even read: its content would reach
      // the agent through parse errors. evaluate() refuses it by its path. (A dry run reads it.)
      const file = await ecosystemPath(args.jsonConfigFile, ctx.root);
      if (ctx.policy.mode === 'enforce' && ecosystemFileRefusal(ctx.policy, file) !== undefined) {
        return { kind: 'start' as const, operation: 'pm2_start_process', apps: [], ecosystemFile: file, wait };
      }
    }
    const { waitUntil: _u, timeoutMs: _t, readyPort: _p, readyPattern: _r, readyMessage: _m, ...startArgs } = args;
    const apps = await resolveStartApps(startArgs, ctx.root, { jsEcosystemFiles: ctx.policy.start.jsEcosystemFiles });
    return { kind: 'start' as const, operation: 'pm2_start_process', apps, managed: agentStartedCount(await listIfRunning(ctx.pm2)), wait };
  },
  execute: async (req, ctx, hooks) => startAndWait(req.apps, req.wait ?? { until: 'none', timeoutMs: 0 }, ctx, hooks ?? {}),
});

/** Starts under the start lock, then (the lock released: a wait must not hold up other starts) waits. */
async function startAndWait(apps: StartApp[], wait: WaitRequest, ctx: ServerContext, hooks: CallHooks): Promise<ExecuteResult<{ started: ProcessSummary[]; wait?: WaitReport }>> {
  // Checking that a name is free and starting under it is one step for every server on this
  // PM2_HOME: otherwise two starts racing with one name turn the second into a pm2 restart.
  const startLocked = () => withFileLock(join(ctx.pm2.home, 'pm2-mcp-start.lock'), () => startNew(apps, ctx), { what: 'the start lock' });
  const until = wait.until;
  if (until === 'none') {
    const ids = await startLocked();
    const started = await summariesOf(ctx.pm2, ids);
    return { structured: { started }, text: startedText(started), affected: ids };
  }
  const found = await runAndWait(ctx.pm2, { ...wait, until }, { names: apps.map((a) => a.name) }, startLocked, hooks);
  const after = await ctx.pm2.list();
  const started = summariesFrom(after, found.ids);
  const report = await withExitSignals(waitReport({ ...wait, until }, found, after), ctx.pm2.home);
  // A cancelled wait is no failure of the app: what was started stays started, and is recorded so.
  // Named from what pm2 answered: an app deleted during the wait is in no list any more.
  const names = report.instances.map((i) => `${safe(i.name || (apps.length === 1 ? apps[0]!.name : 'an app of this start'))} (pm_id ${i.pm_id})`).join(', ');
  if (!report.ok && !report.cancelled) throw waitFailure(`Started ${names}`, report, wait, { started: found.ids });
  return { structured: { started, wait: report }, text: `${startedText(started)}\n${waitText(report, wait)}`, affected: found.ids };
}

function startedText(started: ProcessSummary[]): string {
  return `Started ${started.map((p) => `${p.name} (pm_id ${p.pm_id}, ${p.status})`).join(', ')}.`;
}

async function summariesOf(pm2: Pm2Adapter, ids: readonly number[]): Promise<ProcessSummary[]> {
  return summariesFrom(await pm2.list(), ids);
}

function summariesFrom(list: readonly Pm2RawProcess[], ids: readonly number[]): ProcessSummary[] {
  const idSet = new Set(ids);
  return list.filter((p) => idSet.has(pmIdOf(p) ?? -1)).map((p) => summarize(p));
}

/** The pm_ids started, all apps of the call. */
async function startNew(apps: StartApp[], ctx: ServerContext): Promise<number[]> {
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
  return ids;
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

type ActionResult = z.infer<typeof actionResultSchema> & { wait?: WaitReport };

async function actOn(pm2: Pm2Adapter, action: Action, target: TargetRef, updateEnv: boolean, wait: WaitRequest | undefined, hooks: CallHooks): Promise<ExecuteResult<ActionResult>> {
  const ids = target.processes.map((p) => p.pm_id);
  const env = updateEnv ? serverEnvForUpdate() : {};
  const until = wait?.until ?? 'none';
  // With a wait, its deadline bounds each turn at the action lock too: a restart still queued
  // when the wait ends is never done later, unsaid.
  const progress = new ActionProgress();
  const deadline = wait && until !== 'none' ? Date.now() + wait.timeoutMs : undefined;
  const act = async () => {
    for (const [n, id] of ids.entries()) {
      // The call has answered (its wait ended): what was not asked yet is left alone, as it said.
      if (progress.answered) break;
      const options = { ...(deadline !== undefined && { deadline }), onAsked: () => void progress.asked.add(id) };
      try {
        if (action === 'restart') await pm2.restart(id, env, options);
        else if (action === 'reload') await pm2.reload(id, env, options);
        else if (action === 'stop') await pm2.stop(id);
        else await pm2.delete(id);
      } catch (err) {
        const before = target.processes.slice(0, n);
        throw goneMeanwhile(err, target.processes[n]!, PAST[action], before) ?? lockedOut(err, PAST[action], before) ?? err;
      }
      progress.done.add(id);
    }
    return ids;
  };
  const names = named(target.processes);
  if (!wait || until === 'none') {
    await act();
    const list = await pm2.list();
    undone(action, target, list);
    if (action === 'restart' || action === 'reload') vanished(PAST[action], target, list);
    const after = action === 'delete' ? [] : summariesFrom(list, ids);
    return { structured: { action, target: target.asked, processes: after }, text: `${PAST[action]} ${names}.`, affected: ids };
  }
  const found = await runAndWait(pm2, { ...wait, until }, { ids, progress }, act, hooks);
  const list = await pm2.list();
  const report = await withExitSignals(waitReport({ ...wait, until }, found, list), pm2.home);
  if (!report.ok && !report.cancelled) throw waitFailure(`${PAST[action]} ${names}`, report, wait, {});
  return { structured: { action, target: target.asked, processes: summariesFrom(list, ids), wait: report }, text: `${PAST[action]} ${names}.\n${waitText(report, wait)}`, affected: ids };
}

/** "api (pm_id 0), web (pm_id 1)": how every message here names the processes it is about. */
function named(procs: ReadonlyArray<{ pm_id: number; name: string }>): string {
  return procs.map((p) => `${safe(p.name)} (pm_id ${p.pm_id})`).join(', ');
}

/**
 * pm2's "id unknown" (restartProcessId, startProcessId, stopProcessId …): the process was deleted
 * between this call finding it and acting on it, by another client or a shell. Said in those words.
 */
function goneMeanwhile(err: unknown, proc: { pm_id: number; name: string }, past: string, done: ReadonlyArray<{ pm_id: number; name: string }>): ToolError | undefined {
  // pm2 says "id unknown", "God db process id unknown", "PM2 ID unknown" (a cluster reload); the adapter, PROCESS_NOT_FOUND.
  const gone = err instanceof ToolError && ((err.code === 'PM2_ERROR' && /\bid unknown\b/i.test(err.message)) || err.code === 'PROCESS_NOT_FOUND');
  if (!gone) return undefined;
  const before = done.length ? ` ${past} before it: ${named(done)}.` : '';
  return new ToolError('PROCESS_NOT_FOUND', `${safe(proc.name)} (pm_id ${proc.pm_id}) is no longer managed by pm2: it was deleted after this call found it (by another client, or a shell).${before}`);
}

/** A restart or reload without a wait whose process pm2 no longer lists: not "Restarted". */
function vanished(past: string, target: TargetRef, list: readonly Pm2RawProcess[]): void {
  const gone = target.processes.filter((t) => !list.some((p) => pmIdOf(p) === t.pm_id));
  if (gone.length === 0) return;
  throw new ToolError('PROCESS_NOT_FOUND', `${past} by pm2, but ${named(gone)} ${gone.length === 1 ? 'is' : 'are'} no longer listed by pm2 right after: deleted meanwhile (by another client, or a shell).`);
}

/** The action lock's wait ran out part way through the instances: say which were done. */
function lockedOut(err: unknown, past: string, done: ReadonlyArray<{ pm_id: number; name: string }>): LockError | undefined {
  if (!(err instanceof LockError)) return undefined;
  const before = done.length ? ` ${past} before it: ${named(done)}; nothing was done to the rest.` : ` Nothing was ${past.toLowerCase()}.`;
  return new LockError(`${err.message}.${before}`, err.code);
}

/**
 * A stop or delete that a restart by another call undid at once: pm2's restart stops the app and
 * starts it again, and a delete or stop that lands in between is followed by that start (found by
 * the attack on the restart fix: "Deleted" of a process pm2 still ran). Said, not "Stopped".
 */
function undone(action: Action, target: TargetRef, list: readonly Pm2RawProcess[]): void {
  if (action !== 'stop' && action !== 'delete') return;
  const back = target.processes.flatMap((t) => {
    const proc = list.find((p) => pmIdOf(p) === t.pm_id && processName(p) === t.name);
    const status = proc?.pm2_env?.status;
    if (!proc || (action === 'stop' && status !== 'online' && status !== 'launching')) return [];
    return [`${safe(t.name)} (pm_id ${t.pm_id}, ${typeof status === 'string' ? status : 'unknown'})`];
  });
  if (back.length === 0) return;
  const did = action === 'delete' ? 'deleted' : 'stopped';
  throw new ToolError('PM2_ERROR', `pm2 ${did} it, but ${back.join(', ')} ${back.length === 1 ? 'is' : 'are'} running under pm2 again: a restart or reload by another call at the same moment started it again. ${action === 'delete' ? 'Delete' : 'Stop'} it again if it should stay ${did}.`, { [did]: target.processes.map((t) => t.pm_id) });
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

/** restart and reload start the app again: they take updateEnv and say how to wait; stop and delete neither. */
function targetTool(action: Action, meta: { title: string; description: string; destructive: boolean; idempotent: boolean; startsAgain: boolean }) {
  const name = `pm2_${action}_process` as const;
  const shape = meta.startsAgain
    ? z
        .strictObject({ process: processArg, updateEnv: z.boolean().default(false).describe('Also replace the app\'s environment with the server\'s (pm2 --update-env). Default false.'), ...waitArgs })
        .superRefine(checkWaitArgs)
    : z.strictObject({ process: processArg });
  return defineTool({
    name,
    title: meta.title,
    description: meta.description,
    input: shape as z.ZodType<{ process: string | number; updateEnv?: boolean } & WaitArgs>,
    output: meta.startsAgain ? actionResultSchema.extend({ wait: waitReportSchema.optional() }) : actionResultSchema,
    annotations: { readOnlyHint: false, destructiveHint: meta.destructive, idempotentHint: meta.idempotent, openWorldHint: false },
    resolve: async (args, ctx) => {
      if (args.readyPattern !== undefined) await compileReadyPattern(args.readyPattern);
      const { target, list } = await resolveProcesses(ctx.pm2, args.process);
      const request = { kind: 'operate' as const, operation: name, target, updateEnv: args.updateEnv === true };
      if (!meta.startsAgain) return request;
      // A restart starts the stored config again: the policy judges that config, as for a start.
      const ids = new Set(target.processes.map((p) => p.pm_id));
      const stored = await Promise.all(list.filter((p) => ids.has(pmIdOf(p) ?? -1)).map((p) => storedApp(p, join(ctx.pm2.home, 'logs'))));
      return { ...request, stored, wait: waitRequest(args, ctx.policy) };
    },
    execute: async (req, ctx, hooks) => actOn(ctx.pm2, action, req.target as TargetRef, req.updateEnv, (req as { wait?: WaitRequest }).wait, hooks ?? {}),
  });
}

export const restartProcess = targetTool('restart', {
  title: 'Restart a pm2 process',
  description: 'Stops and starts the process (every instance, for a name) with its stored configuration. No option is changed.',
  destructive: false, idempotent: false, startsAgain: true,
});

export const reloadProcess = targetTool('reload', {
  title: 'Reload a pm2 process',
  description: 'Zero-downtime reload for cluster-mode apps (instances replaced one by one); a fork-mode app is restarted.',
  destructive: false, idempotent: false, startsAgain: true,
});

export const stopProcess = targetTool('stop', {
  title: 'Stop a pm2 process',
  description: 'Stops the process; pm2 keeps it in its list, so it can be restarted.',
  destructive: false, idempotent: true, startsAgain: false,
});

export const deleteProcess = targetTool('delete', {
  title: 'Delete a pm2 process',
  description: 'Stops the process and removes it from pm2\'s list.',
  destructive: true, idempotent: true, startsAgain: false,
});
