// The decision: a pure function of a canonical request and a compiled policy. Deny beats allow;
// what nothing allows is denied (an operation the policy does not name included); an exception
// while deciding is a deny. No fs, no pm2. docs/threat-model.md names each class it closes.
import { basename, relative } from 'node:path';
import type { CompiledPolicy } from './compile.js';
import { envFamilyOf } from './env-families.js';
import { insideRoot } from './globs.js';
import { misfit } from './interpreter-fit.js';
import { logFileRefusal } from './log-files.js';
import { isPm2Field } from './pm2-fields.js';
import type { CanonicalRequest, Decision, LogFileRef, ProcessRef, StartApp } from '../model/requests.js';

/**
 * Resource reads are operations too: the policy names them here, as reads allowed under every
 * preset (DESIGN.md). Anything else must be named by policy.tools.
 */
export const RESOURCE_OPERATIONS: ReadonlySet<string> = new Set(['resources/list', 'pm2://processes', 'pm2://process/{id}']);

export function evaluate(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  try {
    return decide(request, policy);
  } catch (err) {
    return { effect: 'deny', ruleId: 'engine.error', reason: `the policy could not decide: ${(err as Error).message}`, hard: true };
  }
}

function decide(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  const op = request.operation;
  const named = operationEffect(policy, request.operation, request.kind);
  if (named === undefined) {
    // Fail closed by construction (docs/threat-model.md §T18): a tool the policy has no rule for never runs, not even in audit mode.
    return hard(deny('tools.unknown', `${op} is not an operation this policy knows`, 'no config allows it: every tool must be named by the policy'));
  }
  if (named !== 'allow') {
    const off = deny(`tools.${op}`, `${op} is turned off by the ${policy.preset} policy`, `set "tools": { "${op}": "allow" } in ${configName(policy)}`);
    // A dry run cannot take back stopping every process of the daemon (the server with it).
    return request.kind === 'daemon' && request.destructive === true ? hard(off) : off;
  }
  switch (request.kind) {
    case 'read': {
      if (request.lines !== undefined && request.lines > policy.logs.maxLines) {
        return deny('logs.maxLines', `${request.lines} lines were asked; the policy allows at most ${policy.logs.maxLines}`, `ask for fewer lines, or raise logs.maxLines in ${configName(policy)}`);
      }
      const refused = filesRefusal(request.files, policy, 'tail');
      if (refused) return refused;
      return allow('read', `${op} only reads`);
    }
    case 'daemon':
      return decideDaemon(request, policy);
    case 'operate':
      return decideOperate(request, policy);
    case 'start':
      return decideStart(request, policy);
  }
}

/**
 * The policy's effect for an operation, or undefined when no rule of it names the operation (fail
 * closed: evaluate and dispatch both ask here). Resources are reads; `kind` absent means "any".
 */
export function operationEffect(policy: CompiledPolicy, op: string, kind?: CanonicalRequest['kind']): string | undefined {
  if (Object.hasOwn(policy.tools, op)) return (policy.tools as Record<string, string>)[op];
  if ((kind === undefined || kind === 'read') && RESOURCE_OPERATIONS.has(op)) return 'allow';
  return undefined;
}

function decideStart(request: Extract<CanonicalRequest, { kind: 'start' }>, policy: CompiledPolicy): Decision {
  const s = policy.start;
  if (request.ecosystemFile !== undefined && !s.jsEcosystemFiles.has(request.ecosystemFile) && !s.ecosystemFiles.test(request.ecosystemFile)) {
    return deny('start.ecosystemFiles', `the ecosystem file ${request.ecosystemFile} is not one the policy allows`, `add "${relativeTo(policy.root, request.ecosystemFile)}" to start.ecosystemFiles in ${configName(policy)}`);
  }
  if (request.apps.length === 0) return deny('start', 'the start names no app');
  // Hard rules first: they hold even in audit mode, so no soft denial may hide them.
  for (const app of request.apps) {
    const refused = firstRefusal(HARD_RULES, app, policy, 'start');
    if (refused) return refused;
  }
  for (const app of request.apps) {
    const refused = firstRefusal(START_RULES, app, policy, 'start');
    if (refused) return refused;
  }
  const asked = request.apps.reduce((n, a) => n + a.instances, 0);
  const managed = request.managed ?? 0;
  if (managed + asked > policy.processes.max) {
    return deny('processes.max', `the agent's starts already run ${managed} process${managed === 1 ? '' : 'es'}; ${asked} more would pass the policy's cap of ${policy.processes.max}`, `delete processes the agent no longer needs, or raise processes.max in ${configName(policy)}`);
  }
  return allow('start', `${request.apps.map((a) => a.name).join(', ')}: script, cwd, interpreter, arguments, env, log files and scope are allowed`);
}

function decideOperate(request: Extract<CanonicalRequest, { kind: 'operate' }>, policy: CompiledPolicy): Decision {
  const op = request.operation;
  const target = request.target;
  if (!target) return deny('processes.scope', `${op} names no process`);
  // docs/threat-model.md §T21: a pm2-mcp server, this one or another that pm2 manages, serves others too.
  const servers = target.processes.filter((p) => p.server === true);
  if (servers.length) return hard(deny('processes.server', `${names(servers)} ${servers.length > 1 ? 'are pm2-mcp servers' : 'is a pm2-mcp server'}, which serves other clients too: ${op} may not touch it`, 'manage the pm2-mcp server from a shell'));
  if (request.updateEnv && !policy.processes.updateEnv) {
    return deny('processes.updateEnv', 'updateEnv would copy the server\'s own environment (and its secrets) into the app', `set "processes": { "updateEnv": true } in ${configName(policy)} to allow it`);
  }
  if (target.kind === 'all' && !policy.processes.allowAll) {
    return deny('processes.allowAll', `${op} on "all" is not allowed`, `name the processes one by one, or set "processes": { "allowAll": true } in ${configName(policy)}`);
  }
  const outside = target.processes.filter((p) => !inScope(p, policy));
  if (outside.length) {
    return deny('processes.scope', `${names(outside)} ${outside.length > 1 ? 'are' : 'is'} outside the processes this policy lets ${op} touch`, `add the name to processes.names (or its namespace to processes.namespaces) in ${configName(policy)}`);
  }
  // docs/threat-model.md §T7: a restart or reload starts the stored config again; today's policy must allow it.
  for (const app of request.stored ?? []) {
    const refused = firstRefusal(HARD_RULES, app, policy, 'restart') ?? firstRefusal(STORED_RULES, app, policy, 'restart');
    if (refused) return { ...refused, reason: `the stored config of ${app.name} would start again: ${refused.reason}` };
  }
  const refused = filesRefusal(request.files, policy, 'flush');
  if (refused) return refused;
  return allow('processes.scope', `${target.processes.map((p) => p.name).join(', ')} ${target.processes.length > 1 ? 'are' : 'is'} in scope`);
}

function decideDaemon(request: Extract<CanonicalRequest, { kind: 'daemon' }>, policy: CompiledPolicy): Decision {
  const op = request.operation;
  // docs/threat-model.md §T21: stopping every process stops a pm2-mcp server that pm2 manages.
  const servers = (request.affects ?? []).filter((p) => p.server === true);
  if (servers.length) return hard(deny('processes.server', `${op} would stop ${names(servers)}, a pm2-mcp server`, 'stop the pm2-mcp server from a shell first'));
  // §T9: pm2 reopens every log file by its name, following links: each must still be one it may write.
  for (const ref of request.files ?? []) {
    const refused = logFileRefusal(ref, policy, 'restart');
    if (refused) return { ...refused, reason: `${op} would make pm2 reopen it: ${refused.reason}` };
  }
  return allow(`tools.${op}`, `${op} is allowed by the ${policy.preset} policy`);
}

export function inScope(p: ProcessRef, policy: CompiledPolicy): boolean {
  if (p.server === true) return false;
  const s = policy.processes;
  if (s.names.test(p.name) || s.namespaces.test(p.namespace)) return true;
  return s.inRoot && p.cwd !== null && insideRoot(p.cwd, policy.root);
}

type Use = 'start' | 'restart';

/** One check of a start: a refusal (reason and hint) or nothing. Rules are data: a new key is one row. */
interface StartRule {
  id: string;
  check(app: StartApp, policy: CompiledPolicy, use: Use): { reason: string; hint?: string; id?: string } | undefined;
}

/** What no policy and no mode lets through (§T5, §T13, §T2, §T16, §T9). */
const HARD_RULES: readonly StartRule[] = [
  {
    id: 'processes.server',
    check: (app) =>
      app.serverEntry === true
        ? { reason: `${app.script} is pm2-mcp itself: an agent never starts a pm2-mcp server (one with --no-auth would hand pm2 to anyone on the machine)`, hint: 'start pm2-mcp servers from a shell' }
        : undefined,
  },
  {
    id: 'start.env.pm2Field',
    check: (app) => {
      const name = Object.keys(app.env).find(isPm2Field);
      return name === undefined ? undefined : { reason: `the env variable ${name} shares its name with a pm2 process field, which it would overwrite in the daemon`, hint: 'rename the variable; no config allows this' };
    },
  },
  {
    id: 'start.env.family',
    check: (app) => {
      for (const name of Object.keys(app.env)) {
        const family = envFamilyOf(name);
        if (family) return { id: `start.env.family.${family.id}`, reason: `the env variable ${name} belongs to the ${family.id} family, which ${family.why}`, hint: 'no config lets an agent set it; the operator can pass a server variable on with start.env.passThrough' };
      }
      return undefined;
    },
  },
  {
    id: 'start.interpreters.fit',
    check: (app, policy) => {
      if (pairedByConfig(app, policy)) return undefined;
      const why = misfit({ script: app.script, interpreter: app.interpreter.name, realName: app.interpreter.path === 'none' ? 'none' : basename(app.interpreter.path), stripsTypes: app.interpreter.stripsTypes === true });
      return why === undefined ? undefined : { reason: `the interpreter does not fit ${app.script}: ${why}`, hint: `pair the script with its interpreter in start.runWith of ${configName(policy)}` };
    },
  },
  {
    id: 'logs.files',
    check: (app, policy, use) => {
      for (const ref of logRefs(app)) {
        const refused = logFileRefusal(ref, policy, use);
        if (refused?.hard) return { id: refused.ruleId, reason: refused.reason, ...(refused.hint ? { hint: refused.hint } : {}) };
      }
      return undefined;
    },
  },
];

const PATH_RULES: readonly StartRule[] = [
  {
    id: 'start.cwd',
    check: (app, policy) => (policy.start.cwd.test(app.cwd) ? undefined : { reason: `the working folder ${app.cwd} is not allowed`, hint: `add a glob matching "${relativeTo(policy.root, app.cwd)}" to start.cwd in ${configName(policy)}` }),
  },
  {
    id: 'start.scripts',
    check: (app, policy) => (policy.start.scripts.test(app.script) ? undefined : { reason: `the script ${app.script} (its real path) is not allowed`, hint: `add a glob matching "${relativeTo(policy.root, app.script)}" to start.scripts in ${configName(policy)}` }),
  },
  {
    id: 'start.scriptsExclude',
    check: (app, policy) => (!policy.start.scriptsExclude.test(app.script) ? undefined : { reason: `the script ${app.script} is excluded (dependencies in node_modules and dot files are not the project's scripts)`, hint: `remove the pattern matching it from start.scriptsExclude in ${configName(policy)} (a preset's exclusions cannot be removed by extending it)` }),
  },
  {
    id: 'start.interpreters',
    check: (app, policy) => {
      if (interpreterAllowed(app, policy)) return undefined;
      const i = policy.start.interpreters;
      const allowed = [...i.names, ...(i.none ? ['none'] : [])].join(', ') || 'none';
      return { reason: `the interpreter ${app.interpreter.path === 'none' ? 'none (the file runs itself)' : app.interpreter.path} is not allowed (allowed: ${allowed})`, hint: `add "${app.interpreter.name}" to start.interpreters in ${configName(policy)}` };
    },
  },
  {
    id: 'start.interpreterArgs',
    check: (app, policy) => {
      const arg = app.interpreterArgs.find((a) => !policy.start.interpreterArgs.test(a));
      return arg === undefined ? undefined : { reason: `the interpreter argument ${JSON.stringify(arg)} is not allowed (interpreter arguments such as --require, --import and -e run code)`, hint: `add a glob matching it to start.interpreterArgs in ${configName(policy)}` };
    },
  },
  {
    id: 'start.logFiles',
    check: (app, policy, use) => {
      for (const ref of logRefs(app)) {
        const refused = logFileRefusal(ref, policy, use);
        if (refused) return { id: refused.ruleId, reason: refused.reason, ...(refused.hint ? { hint: refused.hint } : {}) };
      }
      return undefined;
    },
  },
];

const START_RULES: readonly StartRule[] = [
  {
    id: 'start.ecosystemFiles',
    check: (app, policy) => {
      if (app.origin.kind !== 'ecosystem') return undefined;
      const file = app.origin.file;
      if (policy.start.jsEcosystemFiles.has(file) || policy.start.ecosystemFiles.test(file)) return undefined;
      return { reason: `the ecosystem file ${file} is not one the policy allows`, hint: `add "${relativeTo(policy.root, file)}" to start.ecosystemFiles in ${configName(policy)}` };
    },
  },
  ...PATH_RULES,
  {
    id: 'start.env.deny',
    check: (app, policy) => {
      const name = Object.keys(app.env).find((n) => policy.start.env.deny.test(n));
      return name === undefined ? undefined : { reason: `the env variable ${name} is denied by start.env.deny`, hint: `remove the pattern matching ${name} from start.env.deny in ${configName(policy)}` };
    },
  },
  {
    id: 'start.env.allow',
    check: (app, policy) => {
      const name = Object.keys(app.env).find((n) => !policy.start.env.allow.test(n));
      return name === undefined ? undefined : { reason: `the env variable ${name} is not in start.env.allow`, hint: `add "${name}" to start.env.allow in ${configName(policy)}` };
    },
  },
  {
    id: 'start.maxInstances',
    check: (app, policy) => (app.instances <= policy.start.maxInstances ? undefined : { reason: `${app.instances} instances were asked; the policy allows at most ${policy.start.maxInstances}`, hint: `raise start.maxInstances in ${configName(policy)}` }),
  },
  {
    id: 'start.watch',
    check: (app, policy) => (!app.watch || policy.start.watch ? undefined : { reason: 'watch mode is not allowed', hint: `set "start": { "watch": true } in ${configName(policy)}` }),
  },
  {
    id: 'processes.scope',
    check: (app, policy) =>
      inScope({ pm_id: -1, name: app.name, namespace: app.namespace, cwd: app.cwd }, policy)
        ? undefined
        : { reason: `a process named ${app.name} (namespace ${app.namespace}) would be outside the processes this policy lets the agent manage`, hint: `add "${app.name}" to processes.names in ${configName(policy)}` },
  },
];

/** What a restart starts again: the same paths, interpreter and log files; env and scope are checked elsewhere. */
const STORED_RULES: readonly StartRule[] = PATH_RULES;

function firstRefusal(rules: readonly StartRule[], app: StartApp, policy: CompiledPolicy, use: Use): Decision | undefined {
  for (const rule of rules) {
    const refused = rule.check(app, policy, use);
    if (!refused) continue;
    const decision = deny(refused.id ?? rule.id, `${app.name}: ${refused.reason}`, refused.hint);
    return rules === HARD_RULES ? hard(decision) : decision;
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

function filesRefusal(files: readonly LogFileRef[] | undefined, policy: CompiledPolicy, use: 'tail' | 'flush'): Decision | undefined {
  for (const ref of files ?? []) {
    const refused = logFileRefusal(ref, policy, use);
    if (refused) return refused;
  }
  return undefined;
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

function names(ps: ProcessRef[]): string {
  return ps.map((p) => `${p.name} (pm_id ${p.pm_id})`).join(', ');
}

function relativeTo(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function configName(policy: CompiledPolicy): string {
  return policy.configFile ?? 'pm2-mcp.config.json';
}

function allow(ruleId: string, reason: string): Decision {
  return { effect: 'allow', ruleId, reason };
}

function deny(ruleId: string, reason: string, hint?: string): Decision {
  return hint ? { effect: 'deny', ruleId, reason, hint } : { effect: 'deny', ruleId, reason };
}

function hard(decision: Decision): Decision {
  return { ...decision, hard: true };
}
