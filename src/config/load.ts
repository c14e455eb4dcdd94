// Finds the config (cosmiconfig), follows its `extends` chain down to a preset, validates every
// file of the chain on its own (presets included), then merges them base first. Any problem is a
// ConfigError naming the one file it is in. The search looks from the working folder up to its
// repository's root only, and every file of the chain must be one pm2-mcp can trust
// (config-trust.ts): a config found above the project, or planted by another user, is none.
import { realpath, stat } from 'node:fs/promises';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { cosmiconfig, Loader } from 'cosmiconfig';
import { ConfigError, errorMessage } from '../errors.js';
import { defaultExport } from '../default-export.js';
import { importModule } from '../dynamic-import.js';
import { assertTrusted, searchBound, searchDirs, userConfigDir, within } from './config-trust.js';
import { mergeConfigs } from './merge.js';
import { refusedConfigRoot, refusedRoot, rootFacts } from './project-root.js';
import { isPresetName, presetFile, withPresetTools } from './presets.js';
import { CONFIG_DEFAULTS, type Pm2McpConfig } from '../model/config.js';
import { PRESET_NAMES, type PresetName } from '../model/tools.js';

export interface LoadedConfig {
  /** The effective, merged config (preset first, then each extending file), without extends/$schema. */
  config: Pm2McpConfig;
  /** Realpath of the config file's folder; with no config file, realpath of cwd. */
  root: string;
  /**
   * With no config file, why the working folder is not a project root (one line to show the
   * user): the preset is then readonly whatever was asked. Absent when the root stands.
   */
  rootRefused?: string;
  /** Absolute path of the config file used, if any. */
  configFile?: string;
  /** What was merged, base first: `preset strict (/…/policies/strict.json)`, then each file. */
  sources: string[];
  /** The preset at the bottom of the chain. */
  preset: PresetName;
  /** That preset's config as it ships: whose deny patterns no config removes. */
  presetConfig: Pm2McpConfig;
}

export interface LoadOptions {
  cwd: string;
  /** --config: load exactly this file (relative to cwd). */
  configFile?: string;
  /** --policy / --readonly: a preset that replaces the top-level file's `extends`. */
  policy?: string;
}

const MODULE_NAME = 'pm2-mcp';

export const SEARCH_PLACES = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `${MODULE_NAME}.config.ts`,
  `${MODULE_NAME}.config.mts`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
  `${MODULE_NAME}.config.json`,
  `${MODULE_NAME}.config.yaml`,
  `${MODULE_NAME}.config.yml`,
];

type Explorer = ReturnType<typeof cosmiconfig>;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const EMPTY_PROBLEM = '(root): the file is empty (expected an object)';

/**
 * Wraps cosmiconfig's loaders to close four gaps:
 * - cosmiconfig loads (and for JS, runs) whatever file it finds or is given: each file must first
 *   pass assertTrusted (owner, mode, folder). A package.json is judged only if it holds our key:
 *   the search reads every package.json on its way, and one without the key is no config;
 * - the search skips, silently, a file whose loading fails with ENOENT, EACCES, EISDIR or
 *   ENOTDIR, and a JS config may fail that way on its own (reading some missing file): any error
 *   of a loader becomes a ConfigError, which carries no code;
 * - cosmiconfig handles a top-level `$import` key itself (merging arrays by concatenation) before
 *   we see the file, which would sidestep per-file validation and our merge rules: refuse it here,
 *   while the key is still visible;
 * - a file that loads as null (YAML of comments only, `~`, JSON `null`) would make the search
 *   skip it silently and go on upward: make it an error instead.
 */
function guarded(loader: Loader): Loader {
  return async (filepath, content) => {
    const isPackage = basename(filepath) === 'package.json';
    if (!isPackage) assertTrusted(filepath);
    let data: unknown;
    try {
      data = await loader(filepath, content);
    } catch (err) {
      throw err instanceof ConfigError ? err : new ConfigError(filepath, [loadProblem(err, filepath)]);
    }
    if (isPackage && isObject(data) && Object.hasOwn(data, MODULE_NAME)) assertTrusted(filepath);
    if (data === null && !isPackage) {
      const onlyComments = content.split('\n').every((line) => /^\s*(#.*)?$/.test(line));
      throw new ConfigError(filepath, [onlyComments ? EMPTY_PROBLEM : '(root): expected an object, got null']);
    }
    const own = isPackage && isObject(data) ? data[MODULE_NAME] : data;
    if (isObject(own) && Object.hasOwn(own, '$import')) throw new ConfigError(filepath, (await import('./validate.js')).validateConfig(own, filepath));
    return data;
  };
}

/**
 * import() a JS config and take its default export. cosmiconfig's own JS loader retries a failed
 * import() with require() (through import-fresh), which hides the real error: "__filename is not
 * defined" inside our ESM bundle, "Cannot require() ES Module" elsewhere. Node's import() reads
 * CommonJS too, so the retry buys nothing. (Node caches the module: a second load of the same
 * file in one process sees the first version.)
 */
const importDefault: Loader = async (filepath) => {
  const mod = (await importModule(pathToFileURL(await realpath(filepath)).href)) as { default?: unknown };
  if (!('default' in mod)) throw new ConfigError(filepath, ['(root): no default export (expected `export default {…}` or `module.exports = {…}`)']);
  return mod.default;
};

// cosmiconfig (with js-yaml and its parsers) loads only when a config file may exist: a start
// with no config file, the common case, does not pay for it. `stopDir`: the highest folder a
// search looks in (searchBound); load() ignores it.
async function explorer(stopDir?: string): Promise<Explorer> {
  const imported = await import('cosmiconfig');
  // A bundled dynamic import of this CommonJS package hands the exports over as `default`.
  const lib = typeof imported.cosmiconfig === 'function' ? imported : (imported as unknown as { default: typeof imported }).default;
  const { cosmiconfig, defaultLoaders } = lib;
  const loaders = Object.fromEntries(
    Object.entries({ ...defaultLoaders, '.js': importDefault, '.mjs': importDefault, '.cjs': importDefault }).map(([ext, loader]) => [ext, guarded(loader)]),
  );
  // .ts and .mts go through cosmiconfig's TypeScript loader, which imports the `typescript`
  // package at run time (a devDependency of pm2-mcp: a TS config needs typescript installed
  // where pm2-mcp runs). It also writes the transpiled file next to the config for a moment.
  loaders['.mts'] = loaders['.ts']!;
  return withoutMetaConfig(() => cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    // From cwd up to stopDir (cosmiconfig walks by name and stops at that folder, included), then
    // the user's config folder (~/.config/pm2-mcp).
    searchStrategy: 'global',
    ...(stopDir === undefined ? {} : { stopDir }),
    loaders,
    // An empty config file that is found is an error, not a reason to keep looking upward.
    ignoreEmptySearchPlaces: false,
    cache: false,
  }));
}

/**
 * cosmiconfig reads settings of its own ("meta config") from the process's working folder when an
 * explorer is made: a `cosmiconfig` key in package.json/package.yaml, or .config/config.{json,
 * yaml,js,…}. Such a file replaces the search places (a committed strict config passed over for
 * another file) and a .js one runs in the server, with its default loaders, before any check of
 * ours (the third review did both). The explorer is made with a fresh private folder as the
 * working folder, where no such file can be, then the working folder is given back. Synchronous
 * from chdir to chdir: no other code of this process runs in between.
 */
function withoutMetaConfig<T>(make: () => T): T {
  const previous = process.cwd();
  const empty = mkdtempSync(join(tmpdir(), 'pm2-mcp-cfg-'));
  try {
    process.chdir(empty);
    return make();
  } finally {
    process.chdir(previous);
    rmSync(empty, { recursive: true, force: true });
  }
}

/** cosmiconfig's messages name the file, which the ConfigError header already does. */
function loadProblem(err: unknown, file: string): string {
  const message = errorMessage(err).replace(` Error in ${file}:\n`, ' error: ');
  return message.split('\n').join('\n    ');
}

type Loaded = { ok: true; data: unknown } | { ok: false; missing: boolean; folder: boolean };

/** Loads one file; a missing file or folder is reported back, any other failure is a ConfigError. */
async function readConfig(ex: Explorer, file: string): Promise<Loaded> {
  let result;
  try {
    result = await ex.load(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // The code alone doesn't tell: a JS config may itself fail to open some other file.
    const exists = await stat(file).then((s) => (s.isDirectory() ? 'folder' : 'file'), () => 'none');
    if (exists === 'none') return { ok: false, missing: true, folder: false };
    if (exists === 'folder') return { ok: false, missing: false, folder: true };
    throw new ConfigError(file, [loadProblem(err, file)]);
  }
  return { ok: true, data: resultData(result, file) };
}

function resultData(result: Awaited<ReturnType<Explorer['load']>>, file: string): unknown {
  // null: only a package.json without our key gets here (the loaders refuse other nulls).
  if (result === null) throw new ConfigError(file, [`(root): package.json has no "${MODULE_NAME}" key`]);
  if (result.isEmpty === true || result.config === undefined) throw new ConfigError(file, [EMPTY_PROBLEM]);
  return defaultExport(result.config);
}

// ajv (in validate.js) loads only when there is a file to check: a start with none never parses it.
async function checked(data: unknown, file: string): Promise<Pm2McpConfig> {
  const problems = (await import('./validate.js')).validateConfig(data, file);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return data as Pm2McpConfig;
}

export async function loadPreset(name: PresetName): Promise<{ label: string; config: Pm2McpConfig }> {
  const file = presetFile(name);
  // Read synchronously: every start reads one, before it can answer, and a promise read costs a thread-pool round trip.
  const text = readIfExists(file);
  if (text === undefined) throw new ConfigError(file, [`preset ${name} is missing from this install of pm2-mcp`]);
  // The presets ship with the package and are validated by the test suite (test/unit/config.test.ts);
  // compiling the validator costs ~60 ms, so a start with no config file never pays it.
  return { label: `preset ${name} (${file})`, config: withPresetTools(name, JSON.parse(text) as Pm2McpConfig) };
}

async function findTop(opts: LoadOptions): Promise<{ file: string; data: unknown } | null> {
  if (opts.configFile !== undefined) {
    const file = resolve(opts.cwd, opts.configFile);
    const loaded = await readConfig(await explorer(), file);
    if (!loaded.ok) throw new ConfigError(file, [loaded.folder ? 'is a folder, expected a config file' : 'file not found']);
    return { file, data: loaded.data };
  }
  const bound = searchBound(opts.cwd);
  let result;
  try {
    result = await (await explorer(bound)).search(opts.cwd);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const file = isObject(err) && typeof err.filepath === 'string' ? err.filepath : resolve(opts.cwd);
    throw new ConfigError(file, [loadProblem(err, file)]);
  }
  if (result === null) return null;
  // A cosmiconfig meta config (a "cosmiconfig" key in the package.json of the process's working
  // folder, or its .config/config.*) may override stopDir and searchPlaces: whatever it says, a
  // file from outside the bound or the user's config folder is not adopted.
  const found = resolve(result.filepath);
  if (!within(found, bound) && !within(found, userConfigDir())) {
    throw new ConfigError(found, [`found outside the folders the search may look in (${bound} and below, ${userConfigDir()}): a cosmiconfig meta config must have widened the search`]);
  }
  return { file: result.filepath, data: resultData(result, result.filepath) };
}

async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function presetAt(realFile: string): Promise<PresetName | null> {
  for (const name of PRESET_NAMES) if ((await real(presetFile(name))) === realFile) return name;
  return null;
}

/**
 * Could cosmiconfig's search find anything? The same places, looked at with plain stats in the
 * same folders (cwd up to searchBound), plus the user's config folder. A superset of what the
 * search reads, so "no" is safe.
 */
// Synchronous on purpose: a few dozen stats before start-up answers, µs each, where promise
// stats would cost a thread-pool round trip apiece.
export function mayFindConfig(cwd: string): boolean {
  const places = SEARCH_PLACES.filter((p) => p !== 'package.json');
  for (const dir of searchDirs(cwd)) {
    for (const place of places) if (existsSync(resolve(dir, place))) return true;
    const pkg = readIfExists(resolve(dir, 'package.json'));
    if (pkg !== undefined && pkg.includes(`"${MODULE_NAME}"`)) return true;
  }
  return existsSync(userConfigDir());
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * No config file: the working folder is the root only if it is a project (project-root.ts).
 * Otherwise readonly, even over --policy: a preset grants powers relative to a root.
 */
async function withoutConfigFile(cwd: string, policy: PresetName | undefined): Promise<LoadedConfig> {
  const facts = rootFacts(cwd);
  const refused = refusedRoot(facts, policy);
  const preset = refused === undefined ? (policy ?? CONFIG_DEFAULTS.extends) : 'readonly';
  const base = await loadPreset(preset);
  const loaded: LoadedConfig = { config: mergeConfigs({}, base.config), root: facts.realCwd, sources: [base.label], preset, presetConfig: base.config };
  return refused === undefined ? loaded : { ...loaded, rootRefused: refused };
}

export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const { policy } = opts;
  if (policy !== undefined && !isPresetName(policy)) {
    throw new ConfigError('--policy', [`"${policy}" is not a preset (expected one of ${PRESET_NAMES.join(', ')})`]);
  }
  const top = opts.configFile === undefined && !mayFindConfig(opts.cwd) ? null : await findTop(opts);

  if (top === null) return withoutConfigFile(opts.cwd, policy);
  // The top file passed assertTrusted (by its real folder); its folder, as found or named, is
  // the root: judged as one.
  const root = await realpath(dirname(top.file));
  const refusedAsRoot = refusedConfigRoot(root);
  if (refusedAsRoot !== undefined) throw new ConfigError(top.file, [refusedAsRoot]);

  // Walk the chain top-down; merge it bottom-up.
  const layers: Array<{ label: string; config: Pm2McpConfig }> = [];
  const files: string[] = [];
  const reals: string[] = [];
  let file = top.file;
  let data = top.data;
  let preset: PresetName;
  for (;;) {
    const config = await checked(data, file);
    layers.unshift({ label: file, config });
    files.push(file);
    reals.push(await real(file));
    const ext = files.length === 1 && policy !== undefined ? policy : (config.extends ?? CONFIG_DEFAULTS.extends);
    if (isPresetName(ext)) {
      preset = ext;
      layers.unshift(await loadPreset(ext));
      break;
    }
    const next = resolve(dirname(file), ext);
    const nextReal = await real(next);
    // A path to one of our own preset files (./node_modules/pm2-mcp/policies/strict.json) is that
    // preset: the chain ends there instead of going on to "standard" below it.
    const own = await presetAt(nextReal);
    if (own !== null) {
      preset = own;
      layers.unshift(await loadPreset(own));
      break;
    }
    const seen = reals.indexOf(nextReal);
    if (seen !== -1) throw new ConfigError(file, [`extends: cycle ${[...files.slice(seen), next].join(' → ')}`]);
    const loaded = await readConfig(await explorer(), next);
    if (!loaded.ok) {
      const what = loaded.folder ? `${next} is a folder` : `no file ${next}`;
      throw new ConfigError(file, [`extends: "${ext}" is not a preset (${PRESET_NAMES.join(', ')}) and ${what}`]);
    }
    file = next;
    data = loaded.data;
  }

  const config = layers.reduce<Pm2McpConfig>((acc, layer) => mergeConfigs(acc, layer.config), {});
  return {
    config,
    root,
    configFile: top.file,
    sources: layers.map((l) => l.label),
    preset,
    presetConfig: layers[0]!.config,
  };
}
