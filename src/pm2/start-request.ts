// The resolve stage of a start: from what the client asked (arguments or an ecosystem file) to
// StartApps over real paths (docs/threat-model.md §T1): the cwd's real path, the script resolved
// against it and then its real path, the interpreter that would really run.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { ToolError } from '../errors.js';
import { defaultName, nameRefusal, type NameKind } from '../model/names.js';
import { START_OPTION_NAMES, isOptionValue, type StartApp, type StartOptions } from '../model/requests.js';
import { readEcosystem, type EcosystemApp } from './ecosystem.js';
import { decideInterpreter } from './interpreter.js';
import { inspectLogPath } from './log-path.js';
import { realOrUndefined, statOrUndefined } from '../real-path.js';
import { isPm2McpEntry } from './self.js';
import { splitArgs } from './split-args.js';
import { which } from './which.js';

export interface StartArgs {
  script?: string | undefined;
  jsonConfigFile?: string | undefined;
  name?: string | undefined;
  args?: string | string[] | undefined;
  cwd?: string | undefined;
  watch?: boolean | undefined;
  instances?: number | undefined;
  env?: Record<string, string> | undefined;
  interpreter?: string | undefined;
}

const MAX_INSTANCES = 64;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The real path of the ecosystem file a start names, without reading it. */
export async function ecosystemPath(jsonConfigFile: string, root: string): Promise<string> {
  return realFile(resolve(root, jsonConfigFile), 'ecosystem file');
}

export async function resolveStartApps(args: StartArgs, root: string, options: { jsEcosystemFiles?: ReadonlySet<string> } = {}): Promise<StartApp[]> {
  assertNoNul(args);
  if (args.jsonConfigFile !== undefined) {
    const file = await ecosystemPath(args.jsonConfigFile, root);
    const eco = await readEcosystem(file, options.jsEcosystemFiles ? { jsFiles: options.jsEcosystemFiles } : {});
    const base = dirname(file);
    const apps: StartApp[] = [];
    for (const [index, app] of eco.apps.entries()) {
      apps.push(await resolveApp(fromEcosystem(app), base, { kind: 'ecosystem', file, index }));
    }
    // Two apps of one name: pm2 would start the first and restart it with the second's options.
    const names = apps.map((a) => a.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new ToolError('START_REFUSED', `${file} names two apps ${JSON.stringify(twice)}: every app needs a name of its own.`);
    return apps;
  }
  return [await resolveApp(args, root, { kind: 'arguments' })];
}

interface AppSpec extends StartArgs {
  interpreterArgs?: string | string[] | undefined;
  execMode?: string | undefined;
  namespace?: string | undefined;
  logFiles?: { out?: string | undefined; err?: string | undefined; combined?: string | undefined };
  options?: StartOptions;
}

function fromEcosystem(app: EcosystemApp): AppSpec {
  const s = (k: string) => (typeof app[k] === 'string' ? (app[k] as string) : undefined);
  const env = app.env as Record<string, unknown> | undefined;
  const options: StartOptions = {};
  for (const k of START_OPTION_NAMES) if (isOptionValue(k, app[k])) (options as Record<string, unknown>)[k] = app[k];
  return {
    script: s('script'),
    name: s('name'),
    args: app.args as string | string[] | undefined,
    cwd: s('cwd'),
    watch: app.watch as boolean | undefined,
    instances: app.instances as number | undefined,
    env: env ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) : undefined,
    interpreter: s('interpreter'),
    interpreterArgs: (app.interpreter_args ?? app.node_args) as string | string[] | undefined,
    execMode: s('exec_mode'),
    namespace: s('namespace'),
    logFiles: { out: s('out_file'), err: s('error_file'), combined: s('log_file') },
    options,
  };
}

async function resolveApp(spec: AppSpec, base: string, origin: StartApp['origin']): Promise<StartApp> {
  if (!spec.script) throw new ToolError('INVALID_ARGUMENTS', 'A start needs a script.');
  const cwd = await realDir(resolve(base, spec.cwd ?? '.'));
  const script = await resolveScript(spec.script, cwd);
  const interpreter = await decideInterpreter(spec.interpreter, script);
  if (interpreter.name === 'none') {
    await access(script, constants.X_OK).catch(() => {
      throw new ToolError('START_REFUSED', `${script} runs without an interpreter, so it must be executable.`);
    });
  }
  const instances = spec.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
    throw new ToolError('INVALID_ARGUMENTS', `instances must be a whole number from 1 to ${MAX_INSTANCES}.`);
  }
  const env = spec.env ?? {};
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) throw new ToolError('INVALID_ARGUMENTS', `"${name}" is not a valid environment variable name.`);
  }
  const name = spec.name !== undefined ? checkedName(spec.name, 'process name') : checkedName(defaultName(basename(script, extname(script))), 'process name', true);
  const server = isPm2McpEntry(script) ? { serverEntry: true as const } : {};
  return {
    name,
    script,
    ...server,
    cwd,
    interpreter,
    interpreterArgs: toArgs(spec.interpreterArgs),
    args: toArgs(spec.args),
    env,
    instances,
    execMode: execModeOf(spec.execMode, instances, interpreter.name),
    watch: spec.watch ?? false,
    namespace: checkedName(spec.namespace ?? 'default', 'namespace'),
    logFiles: await resolveLogFiles(spec.logFiles ?? {}, cwd),
    options: spec.options ?? {},
    origin,
  };
}

/**
 * pm2 resolves the script against the cwd without realpath, falls back to a PATH lookup for a
 * missing file, and turns a string with a space into `bash -c`. We resolve it ourselves, to
 * the real path of an existing file, and hand pm2 only that.
 */
async function resolveScript(script: string, cwd: string): Promise<string> {
  const real = await findScript(script, cwd);
  // pm2 rewrites any script path holding white space into `bash -c <path>` (lib/Common.js
  // verifyConfs), which would run a shell over the file name.
  if (/\s/.test(real)) {
    throw new ToolError('START_REFUSED', `The script's real path ${JSON.stringify(real)} contains white space, which pm2 would hand to \`bash -c\`; rename or link it to a path without spaces.`);
  }
  return real;
}

async function findScript(script: string, cwd: string): Promise<string> {
  const candidate = resolve(cwd, script);
  const real = realOrUndefined(candidate);
  if (real) return realFile(real, 'script');
  if (!script.includes('/') && !isAbsolute(script)) {
    const found = which(script);
    const real = found === undefined ? undefined : realOrUndefined(found);
    if (real) return realFile(real, 'script');
  }
  throw new ToolError('START_REFUSED', `The script ${script} does not exist (looked in ${cwd}${script.includes('/') ? '' : ' and on the PATH'}).`);
}


async function realFile(path: string, what: string): Promise<string> {
  const real = realOrUndefined(path);
  const info = real ? statOrUndefined(real) : undefined;
  if (!real || !info) throw new ToolError('START_REFUSED', `The ${what} ${path} does not exist.`);
  if (!info.isFile()) throw new ToolError('START_REFUSED', `The ${what} ${path} is not a file.`);
  return real;
}

async function realDir(path: string): Promise<string> {
  const real = realOrUndefined(path);
  const info = real ? statOrUndefined(real) : undefined;
  if (!real || !info?.isDirectory()) throw new ToolError('START_REFUSED', `The working folder ${path} does not exist.`);
  return real;
}

/**
 * Where a log file is (docs/threat-model.md §T9 and §T15): its folder's real path, and the file itself a
 * regular file or absent. pm2 appends to it and flush truncates it, both following links, so a
 * link, even one into an allowed place, is refused: it could be pointed elsewhere later. A FIFO
 * would hang pm2's open (and the start lock with it); a device or socket is no log.
 */
async function resolveLogFiles(files: NonNullable<AppSpec['logFiles']>, cwd: string): Promise<StartApp['logFiles']> {
  const out: StartApp['logFiles'] = {};
  for (const key of ['out', 'err', 'combined'] as const) {
    const given = files[key];
    if (!given) continue;
    const state = await inspectLogPath(resolve(cwd, given), key);
    if (!state.folderExists) throw new ToolError('START_REFUSED', `The folder of the log file ${given} does not exist.`);
    if (state.kind !== 'absent' && state.kind !== 'regular file') {
      throw new ToolError('START_REFUSED', `The log file ${given} is a ${state.kind}: a log file must be a regular file or not exist yet.`);
    }
    out[key] = state.ref.path;
  }
  return out;
}

/**
 * One validator for names and namespaces (src/policy/names.ts): a safe character set that pm2
 * maps to itself in log file names, so no two apps share a log file.
 */
function checkedName(value: string, kind: NameKind, derived = false): string {
  const why = nameRefusal(value, kind);
  if (why) throw new ToolError('START_REFUSED', derived ? `${why} It was derived from the script's file name: give a name.` : why);
  return value;
}

function execModeOf(given: string | undefined, instances: number, interpreter: string): 'fork' | 'cluster' {
  if (given !== undefined) {
    const mode = given.replace(/_mode$/, '');
    if (mode !== 'fork' && mode !== 'cluster') throw new ToolError('INVALID_ARGUMENTS', `exec_mode must be fork or cluster (got "${given}").`);
    if (mode === 'cluster' && interpreter !== 'node') throw new ToolError('START_REFUSED', 'Cluster mode runs node scripts only.');
    return mode;
  }
  // As the pm2 CLI does with -i: several instances of a node app share its port in cluster mode.
  return instances > 1 && interpreter === 'node' ? 'cluster' : 'fork';
}

function toArgs(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  try {
    return splitArgs(value);
  } catch (err) {
    throw new ToolError('INVALID_ARGUMENTS', `args: ${(err as Error).message}`);
  }
}

function assertNoNul(value: unknown, path = 'arguments'): void {
  if (typeof value === 'string' && value.includes('\0')) throw new ToolError('INVALID_ARGUMENTS', `${path} contains a NUL byte.`);
  if (Array.isArray(value)) value.forEach((v, i) => assertNoNul(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) {
    assertNoNul(k, path);
    assertNoNul(v, `${path}.${k}`);
  }
}
