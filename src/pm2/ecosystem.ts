// Reads an ecosystem file WITHOUT executing it (THREATS.md item 6): pm2 itself evaluates a .json
// file as JavaScript and require()s .js ones. JSON goes through JSON.parse and YAML through
// js-yaml's safe default schema; JavaScript files are refused. Every app is checked field by
// field: a field we do not carry is a refusal with its reason, never silently dropped.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ToolError } from '../errors.js';

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_APPS = 50;

/** The fields of an app we carry to pm2, each with the type it must have. */
const APP_FIELDS: Record<string, 'string' | 'number' | 'boolean' | 'args' | 'env' | 'strings' | 'watch'> = {
  name: 'string', script: 'string', cwd: 'string', args: 'args', interpreter: 'string',
  interpreter_args: 'args', node_args: 'args', env: 'env', instances: 'number', exec_mode: 'string',
  watch: 'watch', namespace: 'string', out_file: 'string', error_file: 'string', log_file: 'string',
  merge_logs: 'boolean', max_memory_restart: 'string', autorestart: 'boolean', max_restarts: 'number',
  min_uptime: 'number', restart_delay: 'number', kill_timeout: 'number', time: 'boolean',
};

/** pm2's other spellings of the same fields (lib/API/schema.json): refused with the spelling we take. */
const ALIASES: Record<string, string> = {
  exec: 'script', cmd: 'script', command: 'script', exec_interpreter: 'interpreter',
  interpreterArgs: 'interpreter_args', nodeArgs: 'node_args', execMode: 'exec_mode', outFile: 'out_file',
  errorFile: 'error_file', logFile: 'log_file', err_file: 'error_file', output: 'out_file', error: 'error_file',
  out: 'out_file', err: 'error_file', log: 'log_file', mergeLogs: 'merge_logs', maxMemoryRestart: 'max_memory_restart',
  maxRestarts: 'max_restarts', minUptime: 'min_uptime', restartDelay: 'restart_delay', killTimeout: 'kill_timeout',
  execInterpreter: 'interpreter', errFile: 'error_file', out_log: 'out_file', err_log: 'error_file', outLog: 'out_file',
  errLog: 'error_file', combine_logs: 'merge_logs', combineLogs: 'merge_logs', autoRestart: 'autorestart',
};

export type EcosystemApp = Record<string, unknown>;

export interface Ecosystem {
  file: string;
  apps: EcosystemApp[];
}

export interface ReadOptions {
  /**
   * Real paths of JavaScript ecosystem files the config names exactly. Reading one EXECUTES it
   * in the server, as the server's user: the owner of the config vouches for that file.
   */
  jsFiles?: ReadonlySet<string>;
}

export async function readEcosystem(file: string, options: ReadOptions = {}): Promise<Ecosystem> {
  const ext = extname(file).toLowerCase();
  if (ext === '.js' || ext === '.cjs' || ext === '.mjs') {
    if (!options.jsFiles?.has(file)) {
      throw new ToolError('START_REFUSED', `${file} is JavaScript: reading it means executing it. pm2-mcp reads a JavaScript ecosystem file only when start.ecosystemFiles in the config names that exact file.`);
    }
    return { file, apps: appsOf(file, await loadJs(file, ext)) };
  }
  if (ext === '.ts') {
    throw new ToolError('START_REFUSED', `${file}: TypeScript ecosystem files are not supported; use JSON or YAML.`);
  }
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ToolError('START_REFUSED', `${file}: an ecosystem file must end in .json, .yaml or .yml.`);
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new ToolError('START_REFUSED', `The ecosystem file ${file} does not exist.`);
  if (info.size > MAX_FILE_BYTES) throw new ToolError('START_REFUSED', `The ecosystem file ${file} is larger than 1 MiB.`);
  const text = await readFile(file, 'utf8');
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : await parseYaml(text);
  } catch (err) {
    throw new ToolError('START_REFUSED', `The ecosystem file ${file} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}${whereSyntaxFails(err)}.`);
  }
  return { file, apps: appsOf(file, data) };
}

/** js-yaml's safe default schema (no functions, no classes), loaded only when a YAML file comes. */
async function parseYaml(text: string): Promise<unknown> {
  const imported = await import('js-yaml');
  const yaml = typeof imported.load === 'function' ? imported : (imported as unknown as { default: typeof imported }).default;
  return yaml.load(text);
}

/**
 * Where parsing failed, without quoting the file: V8 and js-yaml both print a snippet of the
 * text, and the text may be a secret the agent pointed us at.
 */
function whereSyntaxFails(err: unknown): string {
  const mark = (err as { mark?: { line?: number; column?: number } }).mark;
  if (mark && typeof mark.line === 'number') return ` (line ${mark.line + 1}, column ${(mark.column ?? 0) + 1})`;
  const position = /at position (\d+)/.exec((err as Error).message ?? '');
  return position ? ` (at character ${position[1]})` : '';
}

/** Loads a JavaScript ecosystem file afresh each time: an edited file must not be served stale. */
async function loadJs(file: string, ext: string): Promise<unknown> {
  if (ext !== '.mjs') {
    // CommonJS is cached by file name, whatever the URL says: drop it from the cache first.
    const require = createRequire(import.meta.url);
    delete require.cache[file];
    try {
      return require(file) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    }
  }
  // ESM is cached by URL: the content's hash in the URL makes an edited file load anew.
  const digest = createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16);
  const mod = (await import(`${pathToFileURL(file).href}?v=${digest}`)) as { default?: unknown };
  return mod.default ?? mod;
}

function appsOf(file: string, data: unknown): EcosystemApp[] {
  let apps: unknown;
  if (Array.isArray(data)) apps = data;
  else if (isObject(data) && 'apps' in data) {
    const extra = Object.keys(data).filter((k) => k !== 'apps');
    if (extra.length) throw new ToolError('START_REFUSED', `${file}: top-level ${extra.map((k) => `"${k}"`).join(', ')} ${extra.length > 1 ? 'are' : 'is'} not supported (deploy and static/serve entries are not started by pm2-mcp); only "apps" is read.`);
    apps = Array.isArray(data.apps) ? data.apps : [data.apps];
  } else if (isObject(data)) apps = [data];
  else throw new ToolError('START_REFUSED', `${file} holds no app: expected { "apps": [ … ] }.`);
  const list = apps as unknown[];
  if (list.length === 0) throw new ToolError('START_REFUSED', `${file} lists no app.`);
  if (list.length > MAX_APPS) throw new ToolError('START_REFUSED', `${file} lists ${list.length} apps; at most ${MAX_APPS} are started at once.`);
  return list.map((app, i) => checkApp(file, app, i));
}

function checkApp(file: string, app: unknown, index: number): EcosystemApp {
  const where = `${file}, app #${index + 1}`;
  if (!isObject(app)) throw new ToolError('START_REFUSED', `${where} is not an object.`);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(app)) {
    // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
    const kind = Object.hasOwn(APP_FIELDS, key) ? APP_FIELDS[key] : undefined;
    if (!kind) {
      if (Object.hasOwn(ALIASES, key)) problems.push(`"${key}" is another spelling of "${ALIASES[key]}": use "${ALIASES[key]}"`);
      else if (key.startsWith('env_')) problems.push(`"${key}": per-environment blocks are not supported; put the variables in "env"`);
      else problems.push(`"${key}" is not a field pm2-mcp starts apps with`);
      continue;
    }
    if (!hasKind(value, kind)) problems.push(`"${key}" must be ${describeKind(kind)}`);
  }
  if (typeof app.script !== 'string') problems.push('"script" is required');
  if ('node_args' in app && 'interpreter_args' in app) problems.push('"node_args" and "interpreter_args" are the same field: give one');
  if (problems.length) throw new ToolError('START_REFUSED', `${where}: ${problems.join('; ')}.`);
  return app;
}

function hasKind(value: unknown, kind: string): boolean {
  switch (kind) {
    case 'string': return typeof value === 'string' && value.length > 0 && value.length <= 4096;
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'args': return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'strings': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'watch': return typeof value === 'boolean';
    case 'env': return isObject(value) && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
    default: return false;
  }
}

function describeKind(kind: string): string {
  return {
    string: 'a non-empty string', number: 'a number', boolean: 'true or false', args: 'a string or a list of strings',
    strings: 'a list of strings', watch: 'true or false (watch paths are not supported)', env: 'an object of string values',
  }[kind] ?? kind;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
