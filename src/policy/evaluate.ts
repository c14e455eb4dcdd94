// The decision: a pure function of a canonical request and a compiled policy. Deny beats allow;
// what nothing allows is denied; an exception while deciding is a deny. No fs, no pm2.
import { relative } from 'node:path';
import { TOOL_NAMES, type ToolName } from '../config/types.js';
import type { CompiledPolicy } from './compile.js';
import { insideRoot } from './globs.js';
import { isPm2Field } from './pm2-fields.js';
import type { CanonicalRequest, Decision, ProcessRef, StartApp } from './types.js';

const TOOLS = new Set<string>(TOOL_NAMES);

export function evaluate(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  try {
    return decide(request, policy);
  } catch (err) {
    return { effect: 'deny', ruleId: 'engine.error', reason: `the policy could not decide: ${(err as Error).message}` };
  }
}

function decide(request: CanonicalRequest, policy: CompiledPolicy): Decision {
  const op = request.operation;
  if (TOOLS.has(op) && policy.tools[op as ToolName] !== 'allow') {
    return deny(`tools.${op}`, `${op} is turned off by the ${policy.preset} policy`, `set "tools": { "${op}": "allow" } in ${configName(policy)}`);
  }
  switch (request.kind) {
    case 'read':
      if (request.lines !== undefined && request.lines > policy.logs.maxLines) {
        return deny('logs.maxLines', `${request.lines} lines were asked; the policy allows at most ${policy.logs.maxLines}`, `ask for fewer lines, or raise logs.maxLines in ${configName(policy)}`);
      }
      return allow('read', `${op} only reads`);
    case 'daemon':
      return allow(`tools.${op}`, `${op} is allowed by the ${policy.preset} policy`);
    case 'operate':
      return decideOperate(request, policy);
    case 'start':
      if (request.ecosystemFile !== undefined && !policy.start.jsEcosystemFiles.has(request.ecosystemFile) && !policy.start.ecosystemFiles.test(request.ecosystemFile)) {
        return deny('start.ecosystemFiles', `the ecosystem file ${request.ecosystemFile} is not one the policy allows`, `add "${relativeTo(policy.root, request.ecosystemFile)}" to start.ecosystemFiles in ${configName(policy)}`);
      }
      if (request.apps.length === 0) return deny('start', 'the start names no app');
      // Hard rules first: they hold even in audit mode, so no soft denial may hide them.
      for (const app of request.apps) {
        const hard = hardRefusal(app);
        if (hard) return hard;
      }
      for (const app of request.apps) {
        const refusal = checkStart(app, policy);
        if (refusal) return refusal;
      }
      return allow('start', `${request.apps.map((a) => a.name).join(', ')}: script, cwd, interpreter, arguments, env and scope are allowed`);
  }
}

function decideOperate(request: Extract<CanonicalRequest, { kind: 'operate' }>, policy: CompiledPolicy): Decision {
  const op = request.operation;
  if (request.updateEnv && !policy.processes.updateEnv) {
    return deny('processes.updateEnv', 'updateEnv would copy the server\'s own environment (and its secrets) into the app', `set "processes": { "updateEnv": true } in ${configName(policy)} to allow it`);
  }
  const target = request.target;
  if (!target) return deny('processes.scope', `${op} names no process`);
  if (target.kind === 'all' && !policy.processes.allowAll) {
    return deny('processes.allowAll', `${op} on "all" is not allowed`, `name the processes one by one, or set "processes": { "allowAll": true } in ${configName(policy)}`);
  }
  const outside = target.processes.filter((p) => !inScope(p, policy));
  if (outside.length) {
    const names = outside.map((p) => `${p.name} (pm_id ${p.pm_id})`).join(', ');
    return deny('processes.scope', `${names} ${outside.length > 1 ? 'are' : 'is'} outside the processes this policy lets ${op} touch`, `add the name to processes.names (or its namespace to processes.namespaces) in ${configName(policy)}`);
  }
  return allow('processes.scope', `${target.processes.map((p) => p.name).join(', ')} ${target.processes.length > 1 ? 'are' : 'is'} in scope`);
}

export function inScope(p: ProcessRef, policy: CompiledPolicy): boolean {
  const s = policy.processes;
  if (s.names.test(p.name) || s.namespaces.test(p.namespace)) return true;
  return s.inRoot && p.cwd !== null && insideRoot(p.cwd, policy.root);
}

function checkStart(app: StartApp, policy: CompiledPolicy): Decision | undefined {
  const s = policy.start;
  const where = configName(policy);
  const rel = (p: string) => relativeTo(policy.root, p);
  const label = `${app.name}:`;

  if (app.origin.kind === 'ecosystem') {
    const file = app.origin.file;
    const named = s.jsEcosystemFiles.has(file);
    if (!named && !s.ecosystemFiles.test(file)) {
      return deny('start.ecosystemFiles', `${label} the ecosystem file ${file} is not one the policy allows`, `add "${rel(file)}" to start.ecosystemFiles in ${where}`);
    }
  }
  if (!s.cwd.test(app.cwd)) {
    return deny('start.cwd', `${label} the working folder ${app.cwd} is not allowed`, `add a glob matching "${rel(app.cwd)}" to start.cwd in ${where}`);
  }
  if (!s.scripts.test(app.script)) {
    return deny('start.scripts', `${label} the script ${app.script} (its real path) is not allowed`, `add a glob matching "${rel(app.script)}" to start.scripts in ${where}`);
  }
  if (s.scriptsExclude.test(app.script)) {
    return deny('start.scriptsExclude', `${label} the script ${app.script} is excluded (dependencies in node_modules and dot files are not the project's scripts)`, `remove the pattern matching it from start.scriptsExclude in ${where} (a preset's exclusions cannot be removed by extending it)`);
  }
  if (!interpreterAllowed(app, policy)) {
    const allowed = [...s.interpreters.names, ...(s.interpreters.none ? ['none'] : [])].join(', ') || 'none';
    return deny('start.interpreters', `${label} the interpreter ${app.interpreter.path === 'none' ? 'none (the file runs itself)' : app.interpreter.path} is not allowed (allowed: ${allowed})`, `add "${app.interpreter.name}" to start.interpreters in ${where}`);
  }
  for (const arg of app.interpreterArgs) {
    if (!s.interpreterArgs.test(arg)) {
      return deny('start.interpreterArgs', `${label} the interpreter argument ${JSON.stringify(arg)} is not allowed (interpreter arguments such as --require, --import and -e run code)`, `add a glob matching it to start.interpreterArgs in ${where}`);
    }
  }
  for (const name of Object.keys(app.env)) {
    if (s.env.deny.test(name)) {
      return deny('start.env.deny', `${label} the env variable ${name} is denied by start.env.deny`, `remove the pattern matching ${name} from start.env.deny in ${where}`);
    }
    if (!s.env.allow.test(name)) {
      return deny('start.env.allow', `${label} the env variable ${name} is not in start.env.allow`, `add "${name}" to start.env.allow in ${where}`);
    }
  }
  for (const [stream, file] of Object.entries(app.logFiles)) {
    if (file && !s.logFiles.test(file)) {
      return deny('start.logFiles', `${label} the ${stream} log file ${file} is not a place the policy lets pm2 write to`, `add a glob matching "${rel(file)}" to start.logFiles in ${where}, or leave log files to pm2's default`);
    }
  }
  if (app.instances > s.maxInstances) {
    return deny('start.maxInstances', `${label} ${app.instances} instances were asked; the policy allows at most ${s.maxInstances}`, `raise start.maxInstances in ${where}`);
  }
  if (app.watch && !s.watch) {
    return deny('start.watch', `${label} watch mode is not allowed`, `set "start": { "watch": true } in ${where}`);
  }
  if (!inScope({ pm_id: -1, name: app.name, namespace: app.namespace, cwd: app.cwd }, policy)) {
    return deny('processes.scope', `${label} a process named ${app.name} (namespace ${app.namespace}) would be outside the processes this policy lets the agent manage`, `add "${app.name}" to processes.names in ${where}`);
  }
  return undefined;
}

/** What no policy and no mode lets through: an env name that would overwrite a pm2 process field. */
function hardRefusal(app: StartApp): Decision | undefined {
  const name = Object.keys(app.env).find(isPm2Field);
  if (name === undefined) return undefined;
  return { ...deny('start.env.pm2Field', `${app.name}: the env variable ${name} shares its name with a pm2 process field, which it would overwrite in the daemon`, 'rename the variable; no config allows this'), hard: true };
}

function interpreterAllowed(app: StartApp, policy: CompiledPolicy): boolean {
  const i = policy.start.interpreters;
  if (i.any) return true;
  if (app.interpreter.path === 'none') return i.none;
  return i.paths.has(app.interpreter.path) || i.globs.test(app.interpreter.path);
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
