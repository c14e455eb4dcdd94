// The decision: a pure function of a canonical request and a compiled policy. Deny beats allow;
// what nothing allows is denied (an operation the policy does not name included); an exception
// while deciding is a deny. No fs, no pm2. docs/threat-model.md names each class it closes.
import type { CanonicalRequest, Decision, LogFileRef, WaitRequest } from '../model/requests.js';
import type { CompiledPolicy } from './compile.js';
import { allow, configName, deny, hard } from './decision.js';
import { ecosystemFileRefusal } from './ecosystem-files.js';
import { logFileRefusal } from './log-files.js';
import { firstRefusal, type Rule } from './rule.js';
import { inScope, named } from './scope.js';
import { HARD_RULES, START_RULES, STORED_RULES } from './start-rules.js';

/**
 * Resource reads are operations too: the policy names them here, as reads allowed under every
 * preset (DESIGN.md). Anything else must be named by policy.tools.
 */
export const RESOURCE_OPERATIONS: ReadonlySet<string> = new Set(['resources/list', 'pm2://processes', 'pm2://process/{id}']);

type Request<K extends CanonicalRequest['kind']> = Extract<CanonicalRequest, { kind: K }>;

export function evaluate(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  try {
    return decide(request, policy);
  } catch (err) {
    return { effect: 'deny', ruleId: 'engine.error', reason: `the policy could not decide: ${(err as Error).message}`, hint: 'a fault of pm2-mcp, not of the policy: no config key changes it; report it with this reason', hard: true };
  }
}

function decide(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  const op = request.operation;
  const effect = operationEffect(policy, request.operation, request.kind);
  if (effect === undefined) {
    // Fail closed by construction (docs/threat-model.md §T18): a tool the policy has no rule for never runs, not even in audit mode.
    return hard(deny('tools.unknown', `${op} is not an operation this policy knows`, 'no config allows it: every tool must be named by the policy'));
  }
  if (effect !== 'allow' && effect !== 'ask') {
    const off = deny(`tools.${op}`, `${op} is turned off by the ${policy.preset} policy`, `set "tools": { "${op}": "allow" } in ${configName(policy)}`);
    // A dry run cannot take back stopping every process of the daemon (the server with it).
    return request.kind === 'daemon' && request.destructive === true ? hard(off) : off;
  }
  return asked(byKind(request, policy), request, policy, effect === 'ask');
}

function byKind(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  const op = request.operation;
  switch (request.kind) {
    case 'read':
      return firstRefusal(READ_RULES, request, policy, undefined) ?? filesRefusal(request.files, policy, 'tail') ?? allow('read', `${op} only reads`);
    case 'daemon':
      return decideDaemon(request, policy);
    case 'operate':
      return decideOperate(request, policy);
    case 'start':
      return decideStart(request, policy);
  }
}

/**
 * Where a person decides: a tool whose effect is "ask" asks once every rule allowed the call (a
 * denial is never turned into a question by it), and `start.ask` asks about a start a rule
 * refused. A hard refusal is never asked about (docs/threat-model.md §T20).
 */
function asked(decision: Decision, request: CanonicalRequest, policy: CompiledPolicy, toolAsks: boolean): Decision {
  const op = request.operation;
  if (decision.effect === 'deny') {
    if (decision.hard || request.kind !== 'start' || !policy.start.ask) return decision;
    return { effect: 'ask', ruleId: decision.ruleId, reason: `${decision.reason}; start.ask in ${configName(policy)} makes this a question for a person rather than a refusal` };
  }
  if (!toolAsks) return decision;
  return { effect: 'ask', ruleId: `tools.${op}`, reason: `${op} runs only once a person approves it ("tools": { "${op}": "ask" } in ${configName(policy)})` };
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

const READ_RULES: readonly Rule<Request<'read'>>[] = [
  {
    id: 'logs.maxLines',
    refuses: (r, policy) =>
      r.lines !== undefined && r.lines > policy.logs.maxLines
        ? { reason: `${r.lines} lines were asked; the policy allows at most ${policy.logs.maxLines}`, hint: `ask for fewer lines, or raise logs.maxLines in ${configName(policy)}` }
        : undefined,
  },
];

/** How long a start, restart or reload may hold its call, waiting for the app to be online or ready. */
const WAIT_RULE: Rule<{ wait?: WaitRequest | undefined }> = {
  id: 'start.maxWaitMs',
  refuses: (r, policy) =>
    r.wait !== undefined && r.wait.until !== 'none' && r.wait.timeoutMs > policy.start.maxWaitMs
      ? { reason: `a wait of up to ${r.wait.timeoutMs} ms was asked; the policy allows at most ${policy.start.maxWaitMs} ms`, hint: `ask for a shorter timeoutMs, or raise start.maxWaitMs in ${configName(policy)}` }
      : undefined,
};

/** What a start asks as a whole: checked around the rules of each app (src/policy/start-rules.ts). */
const START_REQUEST_RULES: readonly Rule<Request<'start'>>[] = [
  {
    id: 'start.ecosystemFiles',
    refuses: (r, policy) => (r.ecosystemFile === undefined ? undefined : ecosystemFileRefusal(policy, r.ecosystemFile)),
  },
  { id: 'start', refuses: (r) => (r.apps.length === 0 ? { reason: 'the start names no app', hint: 'name a script, or an ecosystem file with apps; no config key is involved' } : undefined) },
  WAIT_RULE,
];

const START_CAP_RULES: readonly Rule<Request<'start'>>[] = [
  {
    id: 'processes.max',
    refuses: (r, policy) => {
      const asked = r.apps.reduce((n, a) => n + a.instances, 0);
      const managed = r.managed ?? 0;
      if (managed + asked <= policy.processes.max) return undefined;
      return { reason: `the agent's starts already run ${managed} process${managed === 1 ? '' : 'es'}; ${asked} more would pass the policy's cap of ${policy.processes.max}`, hint: `delete processes the agent no longer needs, or raise processes.max in ${configName(policy)}` };
    },
  },
];

function decideStart(request: Request<'start'>, policy: CompiledPolicy): Decision {
  return (
    firstRefusal(START_REQUEST_RULES, request, policy, undefined) ??
    // Hard rules first, over every app: they hold even in audit mode, so no soft denial may hide them.
    eachApp(request, (app) => firstRefusal(HARD_RULES, app, policy, 'start', app.name)) ??
    eachApp(request, (app) => firstRefusal(START_RULES, app, policy, 'start', app.name)) ??
    firstRefusal(START_CAP_RULES, request, policy, undefined) ??
    allow('start', `${request.apps.map((a) => a.name).join(', ')}: script, cwd, interpreter, arguments, env, log files and scope are allowed`)
  );
}

/** What restart, reload, stop and delete may touch, in the order they are checked. */
const OPERATE_RULES: readonly Rule<Request<'operate'> & { target: NonNullable<Request<'operate'>['target']> }>[] = [
  {
    // docs/threat-model.md §T21: a pm2-mcp server, this one or another that pm2 manages, serves others too.
    id: 'processes.server',
    hard: true,
    refuses: (r) => {
      const servers = r.target.processes.filter((p) => p.server === true);
      if (!servers.length) return undefined;
      return { reason: `${named(servers)} ${servers.length > 1 ? 'are pm2-mcp servers' : 'is a pm2-mcp server'}, which serves other clients too: ${r.operation} may not touch it`, hint: 'manage the pm2-mcp server from a shell; no config lets an agent touch it' };
    },
  },
  {
    id: 'processes.updateEnv',
    refuses: (r, policy) =>
      r.updateEnv && !policy.processes.updateEnv
        ? { reason: 'updateEnv would copy the server\'s own environment (and its secrets) into the app', hint: `set "processes": { "updateEnv": true } in ${configName(policy)} to allow it` }
        : undefined,
  },
  {
    id: 'processes.allowAll',
    refuses: (r, policy) =>
      r.target.kind === 'all' && !policy.processes.allowAll
        ? { reason: `${r.operation} on "all" is not allowed`, hint: `name the processes one by one, or set "processes": { "allowAll": true } in ${configName(policy)}` }
        : undefined,
  },
  {
    id: 'processes.scope',
    refuses: (r, policy) => {
      const outside = r.target.processes.filter((p) => !inScope(p, policy));
      if (!outside.length) return undefined;
      return { reason: `${named(outside)} ${outside.length > 1 ? 'are' : 'is'} outside the processes this policy lets ${r.operation} touch`, hint: `add the name to processes.names (or its namespace to processes.namespaces) in ${configName(policy)}` };
    },
  },
  WAIT_RULE,
];

function decideOperate(request: Request<'operate'>, policy: CompiledPolicy): Decision {
  const target = request.target;
  if (!target) return deny('processes.scope', `${request.operation} names no process`, 'name the process by its name or pm_id; no config key is involved');
  const refused = firstRefusal(OPERATE_RULES, { ...request, target }, policy, undefined);
  if (refused) return refused;
  // docs/threat-model.md §T7: a restart or reload starts the stored config again; today's policy must allow it.
  for (const app of request.stored ?? []) {
    const stored = firstRefusal(HARD_RULES, app, policy, 'restart') ?? firstRefusal(STORED_RULES, app, policy, 'restart');
    if (stored) return { ...stored, reason: `the stored config of ${app.name} would start again: ${app.name}: ${stored.reason}` };
  }
  return (
    filesRefusal(request.files, policy, 'flush') ??
    allow('processes.scope', `${target.processes.map((p) => p.name).join(', ')} ${target.processes.length > 1 ? 'are' : 'is'} in scope`)
  );
}

function decideDaemon(request: Request<'daemon'>, policy: CompiledPolicy): Decision {
  const op = request.operation;
  // docs/threat-model.md §T21: stopping every process stops a pm2-mcp server that pm2 manages.
  const servers = (request.affects ?? []).filter((p) => p.server === true);
  if (servers.length) return hard(deny('processes.server', `${op} would stop ${named(servers)}, a pm2-mcp server`, 'stop the pm2-mcp server from a shell first; no config lets an agent stop it'));
  // §T9: pm2 reopens every log file by its name, following links: each must still be one it may write.
  for (const ref of request.files ?? []) {
    const refused = logFileRefusal(ref, policy, 'restart');
    if (refused) return { ...refused, reason: `${op} would make pm2 reopen it: ${refused.reason}` };
  }
  return allow(`tools.${op}`, `${op} is allowed by the ${policy.preset} policy`);
}

function eachApp(request: Request<'start'>, check: (app: Request<'start'>['apps'][number]) => Decision | undefined): Decision | undefined {
  for (const app of request.apps) {
    const refused = check(app);
    if (refused) return refused;
  }
  return undefined;
}

function filesRefusal(files: readonly LogFileRef[] | undefined, policy: CompiledPolicy, use: 'tail' | 'flush'): Decision | undefined {
  for (const ref of files ?? []) {
    const refused = logFileRefusal(ref, policy, use);
    if (refused) return refused;
  }
  return undefined;
}
