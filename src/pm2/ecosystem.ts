// Reads an ecosystem file WITHOUT executing it (docs/threat-model.md §T6): pm2 itself evaluates a
// .json file as JavaScript and require()s .js ones. JSON goes through JSON.parse and YAML through
// the `yaml` package's core schema; JavaScript files are refused unless the config names them.
// The parsed document is bounded as a whole (§T22: an alias bomb once became a 65 MB audit
// record), then every app is checked field by field with the bounds of the argument path: a
// field we do not carry is a refusal with its reason, never silently dropped.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CST, DocumentOptions, ErrorCode, ParseOptions, SchemaOptions } from 'yaml';
import { ToolError } from '../errors.js';
import { defaultExport } from '../default-export.js';
import { importModule } from '../dynamic-import.js';
import { START_OPTION_NAMES, START_OPTIONS, type StartOptionName } from '../model/requests.js';

const MAX_FILE_BYTES = 1024 * 1024;
/**
 * The yaml parser takes 2-3 s of the event loop for 1 MiB of hostile text before any bound can
 * look at it (third review): every session of an HTTP server would wait. 256 KiB keeps that under
 * a second; an ecosystem file of 50 apps is a few KiB.
 */
const MAX_YAML_BYTES = 256 * 1024;
const MAX_APPS = 50;

// Bounds of the parsed document with its aliases expanded (docs/threat-model.md §T22). A file
// without aliases stays within them: 1 MiB on disk is at most 1 MiB of text, the largest app the
// field bounds admit (100 env entries, 100 args, 100 interpreter args) is some 330 values and 50
// of them 16 500, and the deepest field sits 5 levels down ({ apps: [ { env: { K: v } } ] }).
const MAX_TEXT = 1024 * 1024; // characters of strings and keys
const MAX_VALUES = 100_000;
const MAX_DEPTH = 32;

// YAML only, checked on the syntax tree before the yaml package composes it, because some of its
// costs grow faster than the file: resolving an alias scans every anchor before it (16 000
// aliases in 330 KB: 11 s), the duplicate-key check compares each key of a mapping with every
// other (100 000 keys: 5 minutes), and a nesting deeper than the stack makes it catch the
// overflow at every level (5 000 levels of `[`: over 10 minutes).
/**
 * Alias uses in the text, and (see maxAliasCount below) the uses of one anchor once nested aliases
 * are expanded. 100 lets each of 50 apps share two values (a common env, a common args list); the
 * 9-levels-of-9-aliases bomb crosses it at its third level.
 */
const MAX_ALIASES = 100;
/** Entries of one YAML list or mapping: no field takes more than 100, and 50 apps are allowed. */
const MAX_ENTRIES = 128;

/**
 * YAML 1.2's core schema and nothing more. No custom tags; the YAML 1.1 types the core schema
 * would resolve on request (!!binary, !!set, !!omap, !!pairs, !!timestamp) stay unknown tags, as
 * !!js/function is, and an unknown tag is a refusal. Merge keys (`<<`, a YAML 1.1 type) are off:
 * a merge copies its source anew at every use, a cost no alias limit bounds (99 merges of one
 * large mapping: 21 s and 1 GB), whereas an alias of a whole value (env: *common) is shared.
 * Keys must be plain strings (no alias or collection as a key), each once per mapping.
 */
const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2', schema: 'core', customTags: null, resolveKnownTags: false, merge: false,
  stringKeys: true, uniqueKeys: true, strict: true, intAsBigInt: false, logLevel: 'error',
};

/** What a yaml problem code means, said without the yaml package's message (it quotes the file). */
const YAML_PROBLEMS: Partial<Record<ErrorCode, string>> = {
  DUPLICATE_KEY: 'a key appears twice in one mapping',
  TAG_RESOLVE_FAILED: 'a tag outside YAML\'s core schema (such as !!js/function, !!binary or a local !tag)',
  NON_STRING_KEY: 'a key that is not a plain string (an alias, a list or a mapping)',
  BAD_INDENT: 'bad indentation',
  BAD_DIRECTIVE: 'a directive it does not support',
};

/** Checks one field's value; returns its problems, each naming the field. */
type Check = (field: string, value: unknown) => string[];

/** The same rule for env names as the argument path (start-request.ts). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_ENV = 100;
/** pm2 hands the times to setTimeout, which fires at once beyond 2^31 - 1 ms; the count shares it. */
const MAX_INT32 = 2 ** 31 - 1;

/** The fields of an app we carry to pm2, with the bounds of pm2_start_process's arguments. */
const FIELDS: Record<string, Check> = {
  name: text(128), namespace: text(128),
  script: text(4096), cwd: text(4096), interpreter: text(4096),
  out_file: text(4096), error_file: text(4096), log_file: text(4096),
  args: argList, interpreter_args: argList, node_args: argList,
  env: envBlock,
  instances: whole(1, 64),
  exec_mode: oneOf(['fork', 'cluster', 'fork_mode', 'cluster_mode'], 'fork or cluster'),
  watch: flag('true or false (watch paths are not supported)'),
  // The start options (src/model/requests.ts), each checked by the kind of value it takes.
  ...Object.fromEntries(START_OPTION_NAMES.map((k) => [k, optionCheck(START_OPTIONS[k])])),
};

function optionCheck(kind: (typeof START_OPTIONS)[StartOptionName]): Check {
  if (kind === 'flag') return flag();
  if (kind === 'count') return whole(0, MAX_INT32);
  return matching(/^\d{1,9}[KMG]?$/i, 'a size such as "200M" (up to 9 digits, then K, M or G)');
}

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
  const text = await readText(file, ext === '.json' ? MAX_FILE_BYTES : MAX_YAML_BYTES);
  const data = ext === '.json' ? parseJson(file, text) : await parseYaml(file, text);
  return { file, apps: appsOf(file, data) };
}

/**
 * The file's text, through one handle, so that the size and kind checked are those of the bytes
 * read: between a stat and a read the file could grow, or become a FIFO (whose open blocks). No
 * link is followed: the caller passes the real path it matched against the policy.
 */
async function readText(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new ToolError('START_REFUSED', err.code === 'ENOENT' ? `The ecosystem file ${file} does not exist.` : `The ecosystem file ${file} is not a regular file.`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ToolError('START_REFUSED', `The ecosystem file ${file} is not a regular file.`);
    const tooLarge = new ToolError('START_REFUSED', `The ecosystem file ${file} is larger than ${maxBytes >= 1024 * 1024 ? `${maxBytes / (1024 * 1024)} MiB` : `${maxBytes / 1024} KiB`}.`);
    if (info.size > maxBytes) throw tooLarge;
    // One byte more than the bound tells a file that grew since the stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let size = 0;
    while (size < buffer.length) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
    }
    if (size > maxBytes) throw tooLarge;
    return buffer.toString('utf8', 0, size);
  } finally {
    await handle.close();
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ToolError('START_REFUSED', `The ecosystem file ${file} is not valid JSON${jsonWhere(err)}.`);
  }
}

/**
 * Where JSON.parse failed, without quoting the file: V8 prints a snippet of the text, and the
 * text may be a secret the agent pointed us at.
 */
function jsonWhere(err: unknown): string {
  const position = /at position (\d+)/.exec((err as Error).message ?? '');
  return position ? ` (at character ${position[1]})` : '';
}

/** The yaml package is loaded only when a YAML file comes: a start without one pays nothing. */
async function parseYaml(file: string, text: string): Promise<unknown> {
  const imported = await import('yaml');
  // Bundled, this CommonJS package arrives as `default` (as cosmiconfig does in src/config/load.ts).
  const lib = typeof imported.Parser === 'function' ? imported : (imported as unknown as { default: typeof imported }).default;
  const { Composer, LineCounter, Parser } = lib;
  const lines = new LineCounter();
  const at = (offset: number): string => {
    const { line, col } = lines.linePos(offset);
    return ` (line ${line}, column ${col})`;
  };
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const excess = yamlExcess(tokens);
  if (excess) throw new ToolError('START_REFUSED', `The ecosystem file ${file} ${excess.what}${at(excess.offset)}.`);
  const doc = Array.from(new Composer(YAML_OPTIONS).compose(tokens, true, text.length))[0];
  if (!doc) return null;
  // A warning (an unknown tag, an unknown directive) is a refusal too.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw invalidYaml(file, YAML_PROBLEMS[problem.code] ?? `a syntax error (${problem.code})`, at(problem.pos[0]));
  try {
    // The yaml package counts the anchored node itself among the copies of an anchor: + 1 makes
    // the limit MAX_ALIASES uses, as in the text.
    return doc.toJS({ maxAliasCount: MAX_ALIASES + 1 }) as unknown;
  } catch (err) {
    throw invalidYaml(file, aliasProblem(err), '');
  }
}

function invalidYaml(file: string, reason: string, where: string): ToolError {
  return new ToolError('START_REFUSED', `The ecosystem file ${file} is not valid YAML: ${reason}${where}.`);
}

/** Composing to JavaScript fails on aliases only. Its messages name the anchor: say the kind. */
function aliasProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('Excessive alias count')) return `its aliases expand to more than ${MAX_ALIASES} uses of one anchor`;
  if (message.startsWith('Unresolved alias')) return 'an alias names no anchor before it';
  return 'it cannot be composed';
}

/**
 * The first YAML bound the syntax tree crosses (see MAX_ALIASES), found before anything is
 * composed. Iterative: the tree may be 100 000 levels deep.
 */
function yamlExcess(tokens: CST.Token[]): { what: string; offset: number } | undefined {
  const documents = tokens.filter((t): t is CST.Document => t.type === 'document');
  const second = documents[1];
  if (second) return { what: 'holds more than one YAML document', offset: second.offset };
  const stack = documents.flatMap((d) => (d.value ? [{ token: d.value, depth: 1 }] : []));
  let aliases = 0;
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { token, depth } = next;
    if (token.type === 'alias' && ++aliases > MAX_ALIASES) return { what: `uses more than ${MAX_ALIASES} aliases`, offset: token.offset };
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth > MAX_DEPTH) return { what: `nests lists and mappings more than ${MAX_DEPTH} levels deep`, offset: token.offset };
    if (token.items.length > MAX_ENTRIES) return { what: `holds a list or mapping of more than ${MAX_ENTRIES} entries`, offset: token.offset };
    // Pushed last to first, so that the first excess found is the first in the text.
    const children = token.items.flatMap((item) => [item.key, item.value]);
    for (const child of children.reverse()) if (child) stack.push({ token: child, depth: depth + 1 });
  }
  return undefined;
}

/** Loads a JavaScript ecosystem file afresh each time: an edited file must not be served stale. */
async function loadJs(file: string, ext: string): Promise<unknown> {
  if (ext !== '.mjs') {
    // CommonJS is cached by file name, whatever the URL says: drop it from the cache first.
    const require = createRequire(import.meta.url);
    delete require.cache[file];
    try {
      // Node 20.19+ require()s an ES module too, and hands over its namespace.
      return defaultExport(require(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    }
  }
  // ESM is cached by URL: the content's hash in the URL makes an edited file load anew.
  const digest = createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16);
  return defaultExport(await importModule(`${pathToFileURL(file).href}?v=${digest}`));
}

function appsOf(file: string, data: unknown): EcosystemApp[] {
  const { apps, depth } = appList(file, data);
  if (apps.length === 0) throw new ToolError('START_REFUSED', `${file} lists no app.`);
  if (apps.length > MAX_APPS) throw new ToolError('START_REFUSED', `${file} lists ${apps.length} apps; at most ${MAX_APPS} are started at once.`);
  assertBounded(file, apps, depth);
  return apps.map((app, i) => checkApp(file, app, i));
}

/** The apps of a document, and the depth they sit at (the document itself is at depth 1). */
function appList(file: string, data: unknown): { apps: unknown[]; depth: number } {
  if (Array.isArray(data)) return { apps: data, depth: 2 };
  if (!isObject(data)) throw new ToolError('START_REFUSED', `${file} holds no app: expected { "apps": [ … ] }.`);
  if (!('apps' in data)) return { apps: [data], depth: 1 };
  const extra = Object.keys(data).filter((k) => k !== 'apps');
  if (extra.length) {
    const named = extra.slice(0, 10).map(show).join(', ') + (extra.length > 10 ? ` and ${extra.length - 10} more` : '');
    throw new ToolError('START_REFUSED', `${file}: top-level ${named} ${extra.length > 1 ? 'are' : 'is'} not supported (deploy and static/serve entries are not started by pm2-mcp); only "apps" is read.`);
  }
  return Array.isArray(data.apps) ? { apps: data.apps, depth: 3 } : { apps: [data.apps], depth: 2 };
}

interface Budget {
  values: number;
  text: number;
}

const TOO_MANY = `the file expands past ${MAX_VALUES} values here (a YAML alias counts at every use)`;
const TOO_MUCH_TEXT = 'the file expands past 1 MiB of text here (a YAML alias counts at every use)';
const TOO_DEEP = `it nests lists and objects more than ${MAX_DEPTH} levels deep`;

/**
 * Bounds the document as a whole, aliases expanded, before any field is checked: what passes
 * here is what reaches the audit record. The refusal names the app and field where a bound is
 * crossed. Apps that are not objects are left to checkApp.
 */
function assertBounded(file: string, apps: unknown[], depth: number): void {
  const budget: Budget = { values: MAX_VALUES, text: MAX_TEXT };
  for (const [index, app] of apps.entries()) {
    if (!isObject(app)) continue;
    for (const [key, value] of Object.entries(app)) {
      budget.values -= 1;
      budget.text -= key.length;
      const why = budget.values < 0 ? TOO_MANY : budget.text < 0 ? TOO_MUCH_TEXT : excess(value, depth + 1, budget);
      if (why) throw new ToolError('START_REFUSED', `${file}, app #${index + 1}, ${show(key)}: ${why}.`);
    }
  }
}

/**
 * The first bound a value crosses, counting what it expands to: an object reached twice (a YAML
 * alias) counts twice. Iterative, and it stops at the first excess, so neither a deep nesting nor
 * a cycle (`&a [*a]`) can overflow the stack or loop; the values it pushes are paid for first.
 */
function excess(value: unknown, depth: number, budget: Budget): string | undefined {
  const stack: [unknown, number][] = [[value, depth]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, d] = next;
    if (typeof v === 'string') budget.text -= v.length;
    if (budget.text < 0) return TOO_MUCH_TEXT;
    if (typeof v !== 'object' || v === null) continue;
    if (d > MAX_DEPTH) return TOO_DEEP;
    const keys = Array.isArray(v) ? undefined : Object.keys(v);
    budget.values -= keys ? keys.length : (v as unknown[]).length;
    if (budget.values < 0) return TOO_MANY;
    for (const k of keys ?? []) budget.text -= k.length;
    if (budget.text < 0) return TOO_MUCH_TEXT;
    const children = keys ? keys.map((k) => (v as Record<string, unknown>)[k]) : (v as unknown[]);
    for (const child of children) stack.push([child, d + 1]);
  }
  return undefined;
}

function checkApp(file: string, app: unknown, index: number): EcosystemApp {
  const where = `${file}, app #${index + 1}`;
  if (!isObject(app)) throw new ToolError('START_REFUSED', `${where} is not an object.`);
  const problems = Object.entries(app).flatMap(([key, value]) => fieldProblems(key, value));
  if (typeof app.script !== 'string') problems.push('"script" is required');
  if ('node_args' in app && 'interpreter_args' in app) problems.push('"node_args" and "interpreter_args" are the same field: give one');
  if (problems.length) throw new ToolError('START_REFUSED', `${where}: ${listed(problems)}.`);
  return app;
}

function fieldProblems(key: string, value: unknown): string[] {
  if (key.includes('\0')) return [`the field name ${show(key)} holds a NUL byte`];
  // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
  const check = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
  if (!check) return [unknownField(key)];
  // A NUL byte ends a C string: pm2's spawn would cut the value there (the argument path
  // refuses it too).
  const nul = nulIn(value);
  if (nul) return [`${show(key + nul.at)} holds a NUL byte${nul.inKey ? ' in a key' : ''}`];
  return check(key, value);
}

function unknownField(key: string): string {
  if (Object.hasOwn(ALIASES, key)) return `${show(key)} is another spelling of "${ALIASES[key]}": use "${ALIASES[key]}"`;
  if (key.startsWith('env_')) return `${show(key)}: per-environment blocks are not supported; put the variables in "env"`;
  if (key === '<<') return '"<<": YAML merge keys are not supported; write the fields out (an alias of a whole value, such as env: *common, is fine)';
  return `${show(key)} is not a field pm2-mcp starts apps with`;
}

/**
 * Where the first NUL byte is in a field's value, if anywhere: `at` is '' for the value itself,
 * then `.name` and `[i]` below it. Iterative, as every walk of the document here (pushed last to
 * first, so that the first found is the first in the file).
 */
function nulIn(value: unknown): { at: string; inKey: boolean } | undefined {
  const stack: [unknown, string][] = [[value, '']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, at] = next;
    if (typeof v === 'string') {
      if (v.includes('\0')) return { at, inKey: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (isObject(v)) {
      const entries = Object.entries(v);
      if (entries.some(([k]) => k.includes('\0'))) return { at, inKey: true };
      for (const [k, item] of entries.reverse()) stack.push([item, `${at}.${k}`]);
    }
  }
  return undefined;
}

const MAX_LISTED = 20;

/** Every problem of an app up to a point: 100 000 bad keys must not make a message as long. */
function listed(problems: string[]): string {
  const shown = problems.slice(0, MAX_LISTED).join('; ');
  return problems.length > MAX_LISTED ? `${shown}; and ${problems.length - MAX_LISTED} more problems` : shown;
}

function text(max: number): Check {
  return (field, v) => (typeof v === 'string' && v.length >= 1 && v.length <= max ? [] : [`${show(field)} must be a string of 1 to ${max} characters`]);
}

function whole(min: number, max: number): Check {
  return (field, v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? [] : [`${show(field)} must be a whole number from ${min} to ${max}`]);
}

function flag(what = 'true or false'): Check {
  return (field, v) => (typeof v === 'boolean' ? [] : [`${show(field)} must be ${what}`]);
}

function oneOf(allowed: readonly string[], what: string): Check {
  return (field, v) => (typeof v === 'string' && allowed.includes(v) ? [] : [`${show(field)} must be ${what}`]);
}

function matching(pattern: RegExp, what: string): Check {
  return (field, v) => (typeof v === 'string' && pattern.test(v) ? [] : [`${show(field)} must be ${what}`]);
}

/** args, interpreter_args, node_args: one string pm2-mcp splits, or a list of arguments. */
function argList(field: string, v: unknown): string[] {
  if (typeof v === 'string') return v.length <= 8192 ? [] : [`${show(field)} must be at most 8192 characters as one string`];
  if (!Array.isArray(v)) return [`${show(field)} must be a string or a list of strings`];
  if (v.length > 100) return [`${show(field)} must be a list of at most 100 arguments (it has ${v.length})`];
  return v.flatMap((a: unknown, i) => (typeof a === 'string' && a.length <= 4096 ? [] : [`${show(`${field}[${i}]`)} must be a string of at most 4096 characters`]));
}

function envBlock(field: string, v: unknown): string[] {
  if (!isObject(v)) return [`${show(field)} must be an object of variables`];
  const entries = Object.entries(v);
  if (entries.length > MAX_ENV) return [`${show(field)} holds ${entries.length} variables; at most ${MAX_ENV}`];
  return entries.flatMap(([name, value]) => {
    if (!ENV_NAME.test(name)) return [`${show(field)}: ${show(name)} is not a valid environment variable name`];
    const why = envValueProblem(value);
    return why ? [`${show(`${field}.${name}`)} ${why}`] : [];
  });
}

/** pm2 hands numbers and booleans on as strings: only where the string says what the file says. */
function envValueProblem(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length <= 32768 ? undefined : 'is longer than 32768 characters';
  if (typeof v === 'boolean') return undefined;
  if (typeof v !== 'number') return 'must be a string, a number or true or false';
  if (!Number.isFinite(v)) return 'must be a finite number';
  return Number.isInteger(v) && !Number.isSafeInteger(v) ? 'is a number too large to keep exactly: quote it' : undefined;
}

/**
 * A key from the file as a message quotes it: cut to 64 characters, control and invisible
 * characters escaped (docs/threat-model.md §T14: messages reach terminals and the audit log).
 */
function show(key: string): string {
  const cut = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return JSON.stringify(cut).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
