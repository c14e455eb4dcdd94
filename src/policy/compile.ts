// From the effective config (presets merged) to matchers built once. Pure: interpreter names
// arrive resolved to real paths by the caller (it does the I/O, before compiling).
import { isAbsolute, resolve } from 'node:path';
import { CONFIG_DEFAULTS as DEFAULTS, LIMIT_DEFAULTS, type Pm2McpConfig } from '../model/config.js';
import { TOOL_NAMES, type PresetName, type ToolEffect, type ToolName } from '../model/tools.js';
import { nameMatcher, pathMatcher, type Matcher } from './globs.js';
import type { ServerFacts } from '../model/requests.js';

export interface PolicyInput {
  config: Pm2McpConfig;
  root: string;
  sources: string[];
  preset: PresetName;
  configFile?: string | undefined;
  /** Why the working folder could not be the root (no config file, no project): the policy is readonly. */
  rootRefused?: string | undefined;
  /** Every config file of the extends chain (presets excluded): pm2-mcp's own files. */
  configFiles?: readonly string[] | undefined;
  /** Facts of the running server; none for `check` and `explain` before a home is chosen. */
  server?: ServerFacts | undefined;
  /** The preset at the bottom of the chain as it ships: hints say which deny patterns are its own. */
  presetConfig?: Pm2McpConfig | undefined;
}

/** A tool's limit of calls: at most `calls` within any `perSeconds` seconds (src/server/limits.ts counts them). */
export interface CallLimit {
  calls: number;
  perSeconds: number;
  /** "process": each target pm_id counts on its own. */
  per: 'tool' | 'process';
}

export interface CompiledPolicy {
  preset: PresetName;
  mode: 'enforce' | 'audit';
  root: string;
  sources: string[];
  configFile?: string | undefined;
  config: Pm2McpConfig;
  tools: Record<ToolName, ToolEffect>;
  start: {
    scripts: Matcher;
    scriptsExclude: Matcher;
    cwd: Matcher;
    ecosystemFiles: Matcher;
    /** Exact real paths of JavaScript ecosystem files the config names (they are executed to be read). */
    jsEcosystemFiles: ReadonlySet<string>;
    logFiles: Matcher;
    interpreters: { any: boolean; none: boolean; paths: ReadonlySet<string>; globs: Matcher; names: readonly string[] };
    interpreterArgs: Matcher;
    env: { allow: Matcher; deny: Matcher; passThrough: readonly string[] };
    maxInstances: number;
    /** The longest timeoutMs a start, restart or reload may wait for its app. */
    maxWaitMs: number;
    watch: boolean;
    /** A soft refusal of a start is asked of a person instead. */
    ask: boolean;
    /** Script globs the config pairs with interpreters the extension would not allow. */
    runWith: ReadonlyArray<{ scripts: Matcher; interpreters: readonly string[] }>;
  };
  processes: { names: Matcher; namespaces: Matcher; inRoot: boolean; allowAll: boolean; updateEnv: boolean; max: number };
  output: { redactEnv: boolean };
  logs: { maxLines: number };
  /** The tools this policy limits, and how. */
  limits: Readonly<Partial<Record<ToolName, CallLimit>>>;
  server: ServerFacts;
  /** The deny patterns the preset brings: extending it never removes them (src/config/merge.ts), as hints say. */
  fromPreset: { envDeny: ReadonlySet<string>; scriptsExclude: ReadonlySet<string> };
  /** Why the working folder could not be the root, when it could not (the policy is then readonly). */
  rootRefused?: string | undefined;
}

/** With no running server nothing is pm2's default log folder, and only the config files are ours. */
const NO_SERVER: ServerFacts = { pm2Home: '', pm2LogDir: '', ownFiles: [] };

/** The same policy, told the facts of the server that enforces it (PM2_HOME, its own files). */
export function withServerFacts(policy: CompiledPolicy, facts: ServerFacts): CompiledPolicy {
  return { ...policy, server: { ...facts, ownFiles: [...new Set([...facts.ownFiles, ...policy.server.ownFiles])] } };
}

const GLOB_CHARS = /[*?[\]{}]/;
const JS_EXT = /\.(c|m)?js$/i;

/**
 * The entries of start.interpreters that name one file (a name looked up on PATH, or an exact
 * absolute path): the caller resolves them to real paths before compiling, so that neither
 * compiling nor deciding does any I/O.
 */
export function interpreterFiles(config: Pm2McpConfig): string[] {
  return (config.start?.interpreters ?? DEFAULTS.start.interpreters).filter((e) => e !== '*' && e !== 'none' && !(isAbsolute(e) && GLOB_CHARS.test(e)));
}

/** `interpreterPaths`: each entry of interpreterFiles() → its real path, where it has one. */
export function compilePolicy(input: PolicyInput, interpreterPaths: ReadonlyMap<string, string>): CompiledPolicy {
  const { config, root } = input;
  const start = config.start ?? {};
  const processes = config.processes ?? {};
  const tools = Object.fromEntries(TOOL_NAMES.map((t) => [t, config.tools?.[t] ?? DEFAULTS.tools[t]])) as Record<ToolName, ToolEffect>;

  const interpreters = start.interpreters ?? DEFAULTS.start.interpreters;
  const names: string[] = [];
  const globs: string[] = [];
  const exact: string[] = [];
  for (const entry of interpreters) {
    if (entry === '*' || entry === 'none') continue;
    if (isAbsolute(entry) && GLOB_CHARS.test(entry)) globs.push(entry);
    else if (isAbsolute(entry)) exact.push(entry);
    else names.push(entry);
  }
  // An exact path that does not resolve is still matched as written; a name not found allows nothing.
  const paths = new Set([...exact.map((e) => interpreterPaths.get(e) ?? e), ...names.map((n) => interpreterPaths.get(n)).filter((p): p is string => p !== undefined)]);

  const ecosystem = start.ecosystemFiles ?? DEFAULTS.start.ecosystemFiles;
  const jsFiles = new Set(ecosystem.filter((p) => JS_EXT.test(p) && !GLOB_CHARS.test(p)).map((p) => resolve(root, p)));

  return {
    preset: input.preset,
    mode: config.mode ?? DEFAULTS.mode,
    root,
    sources: input.sources,
    configFile: input.configFile,
    config,
    tools,
    start: {
      scripts: pathMatcher(start.scripts ?? DEFAULTS.start.scripts, root),
      scriptsExclude: pathMatcher(start.scriptsExclude ?? DEFAULTS.start.scriptsExclude, root),
      cwd: pathMatcher(start.cwd ?? DEFAULTS.start.cwd, root),
      ecosystemFiles: pathMatcher(ecosystem, root),
      jsEcosystemFiles: jsFiles,
      logFiles: pathMatcher(start.logFiles ?? DEFAULTS.start.logFiles, root),
      interpreters: { any: interpreters.includes('*'), none: interpreters.includes('none'), paths, globs: pathMatcher(globs, root), names },
      interpreterArgs: nameMatcher(start.interpreterArgs ?? DEFAULTS.start.interpreterArgs),
      env: {
        allow: nameMatcher(start.env?.allow ?? DEFAULTS.start.env.allow),
        deny: nameMatcher(start.env?.deny ?? DEFAULTS.start.env.deny),
        passThrough: start.env?.passThrough ?? DEFAULTS.start.env.passThrough,
      },
      maxInstances: start.maxInstances ?? DEFAULTS.start.maxInstances,
      maxWaitMs: start.maxWaitMs ?? DEFAULTS.start.maxWaitMs,
      watch: start.watch ?? DEFAULTS.start.watch,
      ask: start.ask ?? DEFAULTS.start.ask,
      runWith: Object.entries(start.runWith ?? DEFAULTS.start.runWith).map(([glob, names]) => ({ scripts: pathMatcher([glob], root), interpreters: names })),
    },
    processes: {
      names: nameMatcher(processes.names ?? DEFAULTS.processes.names),
      namespaces: nameMatcher(processes.namespaces ?? DEFAULTS.processes.namespaces),
      inRoot: processes.inRoot ?? DEFAULTS.processes.inRoot,
      allowAll: processes.allowAll ?? DEFAULTS.processes.allowAll,
      updateEnv: processes.updateEnv ?? DEFAULTS.processes.updateEnv,
      // Fail closed: with no number in the chain, the agent's starts create nothing.
      max: processes.max ?? DEFAULTS.processes.max,
    },
    output: { redactEnv: config.output?.redactEnv ?? DEFAULTS.output.redactEnv },
    logs: { maxLines: config.logs?.maxLines ?? DEFAULTS.logs.maxLines },
    limits: compileLimits(config.limits ?? DEFAULTS.limits),
    server: input.server ?? { ...NO_SERVER, ownFiles: input.configFiles ?? [] },
    fromPreset: presetDenyLists(input),
    ...(input.rootRefused !== undefined ? { rootRefused: input.rootRefused } : {}),
  };
}

/** Each limit complete: a key no file set takes its default. Keys are the catalog's tools (the schema holds no other). */
function compileLimits(limits: NonNullable<Pm2McpConfig['limits']>): CompiledPolicy['limits'] {
  const out: Partial<Record<ToolName, CallLimit>> = {};
  for (const tool of TOOL_NAMES) {
    const limit = limits[tool];
    if (limit) out[tool] = { calls: limit.calls, perSeconds: limit.perSeconds, per: limit.per ?? LIMIT_DEFAULTS.per };
  }
  return out;
}

/**
 * Tools the policy denies outright: hidden from tools/list (every call is still checked). In
 * audit mode nothing is hidden: the dry run must show what an agent would have called.
 */
export function hiddenTools(policy: CompiledPolicy): Set<string> {
  if (policy.mode === 'audit') return new Set();
  return new Set(TOOL_NAMES.filter((t) => policy.tools[t] !== 'allow'));
}

/** What a session does not list: what the server's policy denies outright, and what a token's narrowing one does. */
export function hiddenFor(policy: CompiledPolicy, narrowing?: CompiledPolicy): Set<string> {
  return new Set([...hiddenTools(policy), ...(narrowing ? hiddenTools(narrowing) : [])]);
}

/** Not told the preset's own config, a policy without a config file is its preset as it ships (no file found, a token's preset). */
function presetDenyLists(input: PolicyInput): CompiledPolicy['fromPreset'] {
  const preset = input.presetConfig ?? (input.configFile === undefined ? input.config : {});
  return { envDeny: new Set(preset.start?.env?.deny ?? []), scriptsExclude: new Set(preset.start?.scriptsExclude ?? []) };
}
