// The checks of one app a start (or a restart, of its stored config) would run, as tables of
// rules: what no policy and no mode lets through first, then what the config allows.
// docs/threat-model.md names each class (§T2, §T5, §T9, §T13, §T16).
import { basename } from 'node:path';
import type { LogFileRef, StartApp } from '../model/requests.js';
import type { CompiledPolicy } from './compile.js';
import { configName, relativeTo } from './decision.js';
import { envDenyHint, scriptsExcludeHint } from './deny-list-hints.js';
import { ecosystemFileRefusal } from './ecosystem-files.js';
import { envFamilyOf } from './env-families.js';
import { misfit } from './interpreter-fit.js';
import { logFileRefusal } from './log-files.js';
import { isPm2Field } from './pm2-fields.js';
import type { Refusal, Rule } from './rule.js';
import { inScope } from './scope.js';

/** A start creates; a restart starts a stored config again (its log files are reopened, not created). */
export type StartUse = 'start' | 'restart';
export type StartRule = Rule<StartApp, StartUse>;

/** What no policy and no mode lets through (§T5, §T13, §T2, §T16, §T9). */
export const HARD_RULES: readonly StartRule[] = [
  {
    id: 'processes.server',
    hard: true,
    refuses: (app) =>
      app.serverEntry === true
        ? { reason: `${app.script} is pm2-mcp itself: an agent never starts a pm2-mcp server (one with --no-auth would hand pm2 to anyone on the machine)`, hint: 'start pm2-mcp servers from a shell; no config lets an agent start one' }
        : undefined,
  },
  {
    id: 'start.env.pm2Field',
    hard: true,
    refuses: (app) => {
      const name = Object.keys(app.env).find(isPm2Field);
      return name === undefined ? undefined : { reason: `the env variable ${name} shares its name with a pm2 process field, which it would overwrite in the daemon`, hint: 'rename the variable; no config allows this' };
    },
  },
  {
    id: 'start.env.family',
    hard: true,
    refuses: (app) => {
      for (const name of Object.keys(app.env)) {
        const family = envFamilyOf(name);
        if (family) return { id: `start.env.family.${family.id}`, reason: `the env variable ${name} belongs to the ${family.id} family, which ${family.why}`, hint: 'no config lets an agent set it; the operator can pass a server variable on with start.env.passThrough' };
      }
      return undefined;
    },
  },
  {
    id: 'start.interpreters.fit',
    hard: true,
    refuses: (app, policy) => {
      if (pairedByConfig(app, policy)) return undefined;
      const why = misfit({ script: app.script, interpreter: app.interpreter.name, realName: app.interpreter.path === 'none' ? 'none' : basename(app.interpreter.path), stripsTypes: app.interpreter.stripsTypes === true });
      return why === undefined ? undefined : { reason: `the interpreter does not fit ${app.script}: ${why}`, hint: `pair the script with its interpreter in start.runWith of ${configName(policy)}` };
    },
  },
  {
    id: 'logs.files',
    hard: true,
    refuses: (app, policy, use) => logRefusal(app, policy, use, true),
  },
];

/** What a restart starts again, as a start does: the same paths, interpreter and log files. */
const PATH_RULES: readonly StartRule[] = [
  {
    id: 'start.cwd',
    refuses: (app, policy) => (policy.start.cwd.test(app.cwd) ? undefined : { reason: `the working folder ${app.cwd} is not allowed`, hint: `add a glob matching "${relativeTo(policy.root, app.cwd)}" to start.cwd in ${configName(policy)}` }),
  },
  {
    id: 'start.scripts',
    refuses: (app, policy) => (policy.start.scripts.test(app.script) ? undefined : { reason: `the script ${app.script} (its real path) is not allowed`, hint: `add a glob matching "${relativeTo(policy.root, app.script)}" to start.scripts in ${configName(policy)}` }),
  },
  {
    id: 'start.scriptsExclude',
    refuses: (app, policy) => (!policy.start.scriptsExclude.test(app.script) ? undefined : { reason: `the script ${app.script} is excluded (dependencies in node_modules and dot files are not the project's scripts)`, hint: scriptsExcludeHint(app.script, policy) }),
  },
  {
    id: 'start.interpreters',
    refuses: (app, policy) => {
      if (interpreterAllowed(app, policy)) return undefined;
      const i = policy.start.interpreters;
      const allowed = [...i.names, ...(i.none ? ['none'] : [])].join(', ') || 'none';
      return { reason: `the interpreter ${app.interpreter.path === 'none' ? 'none (the file runs itself)' : app.interpreter.path} is not allowed (allowed: ${allowed})`, hint: `add "${app.interpreter.name}" to start.interpreters in ${configName(policy)}` };
    },
  },
  {
    id: 'start.interpreterArgs',
    refuses: (app, policy) => {
      const arg = app.interpreterArgs.find((a) => !policy.start.interpreterArgs.test(a));
      return arg === undefined ? undefined : { reason: `the interpreter argument ${JSON.stringify(arg)} is not allowed (interpreter arguments such as --require, --import and -e run code)`, hint: `add a glob matching it to start.interpreterArgs in ${configName(policy)}` };
    },
  },
  {
    id: 'start.logFiles',
    refuses: (app, policy, use) => logRefusal(app, policy, use, false),
  },
];

export const START_RULES: readonly StartRule[] = [
  {
    id: 'start.ecosystemFiles',
    refuses: (app, policy) => (app.origin.kind === 'ecosystem' ? ecosystemFileRefusal(policy, app.origin.file) : undefined),
  },
  ...PATH_RULES,
  {
    id: 'start.env.deny',
    refuses: (app, policy) => {
      const name = Object.keys(app.env).find((n) => policy.start.env.deny.test(n));
      return name === undefined ? undefined : { reason: `the env variable ${name} is denied by start.env.deny`, hint: envDenyHint(name, policy) };
    },
  },
  {
    id: 'start.env.allow',
    refuses: (app, policy) => {
      const name = Object.keys(app.env).find((n) => !policy.start.env.allow.test(n));
      return name === undefined ? undefined : { reason: `the env variable ${name} is not in start.env.allow`, hint: `add "${name}" to start.env.allow in ${configName(policy)}` };
    },
  },
  {
    id: 'start.maxInstances',
    refuses: (app, policy) => (app.instances <= policy.start.maxInstances ? undefined : { reason: `${app.instances} instances were asked; the policy allows at most ${policy.start.maxInstances}`, hint: `raise start.maxInstances in ${configName(policy)}` }),
  },
  {
    id: 'start.watch',
    refuses: (app, policy) => (!app.watch || policy.start.watch ? undefined : { reason: 'watch mode is not allowed', hint: `set "start": { "watch": true } in ${configName(policy)}` }),
  },
  {
    id: 'processes.scope',
    refuses: (app, policy) =>
      inScope({ pm_id: -1, name: app.name, namespace: app.namespace, cwd: app.cwd }, policy)
        ? undefined
        : { reason: `a process named ${app.name} (namespace ${app.namespace}) would be outside the processes this policy lets the agent manage`, hint: `add "${app.name}" to processes.names in ${configName(policy)}` },
  },
];

/** What a restart starts again: the same paths, interpreter and log files; env and scope are checked elsewhere. */
export const STORED_RULES: readonly StartRule[] = PATH_RULES;

/** The first log file of the app the policy refuses (only the hard refusals, when `onlyHard`). */
function logRefusal(app: StartApp, policy: CompiledPolicy, use: StartUse, onlyHard: boolean): Refusal | undefined {
  for (const ref of logRefs(app)) {
    const refused = logFileRefusal(ref, policy, use);
    if (refused && (!onlyHard || refused.hard)) return { id: refused.ruleId, reason: refused.reason, hint: refused.hint };
  }
  return undefined;
}

function logRefs(app: StartApp): LogFileRef[] {
  const refs: LogFileRef[] = [];
  for (const stream of ['out', 'err', 'combined'] as const) {
    const path = app.logFiles[stream];
    if (path) refs.push({ stream, path });
  }
  return refs;
}

/** The config pairs this script with this interpreter (start.runWith): the owner vouches for the fit. */
function pairedByConfig(app: StartApp, policy: CompiledPolicy): boolean {
  return policy.start.runWith.some((r) => r.interpreters.includes(app.interpreter.name) && r.scripts.test(app.script));
}

function interpreterAllowed(app: StartApp, policy: CompiledPolicy): boolean {
  const i = policy.start.interpreters;
  if (i.any) return true;
  if (app.interpreter.path === 'none') return i.none;
  return i.paths.has(app.interpreter.path) || i.globs.test(app.interpreter.path);
}
