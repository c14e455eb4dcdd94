// From the effective config (presets merged) to matchers built once. Pure: interpreter names
// are resolved to real paths by a function the caller passes in (it does the I/O).
import { isAbsolute, resolve } from 'node:path';
import { type Pm2McpConfig } from '../config/types.js';
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
    watch: boolean;
    /** Script globs the config pairs with interpreters the extension would not allow. */
    runWith: ReadonlyArray<{ scripts: Matcher; interpreters: readonly string[] }>;
  };
  processes: { names: Matcher; namespaces: Matcher; inRoot: boolean; allowAll: boolean; updateEnv: boolean; max: number };
  output: { redactEnv: boolean };
  logs: { maxLines: number };
  server: ServerFacts;
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

export function compilePolicy(input: PolicyInput, resolveInterpreter: (name: string) => string | undefined): CompiledPolicy {
  const { config, root } = input;
  const start = config.start ?? {};
  const processes = config.processes ?? {};
  const tools = Object.fromEntries(TOOL_NAMES.map((t) => [t, config.tools?.[t] ?? 'deny'])) as Record<ToolName, ToolEffect>;

  const interpreters = start.interpreters ?? [];
  const names: string[] = [];
  const globs: string[] = [];
  const exact: string[] = [];
  for (const entry of interpreters) {
    if (entry === '*' || entry === 'none') continue;
    if (isAbsolute(entry) && GLOB_CHARS.test(entry)) globs.push(entry);
    else if (isAbsolute(entry)) exact.push(entry);
    else names.push(entry);
  }
  // Names resolve to real paths on first use: a PATH walk per name is start-up time otherwise.
  let paths: Set<string> | undefined;
  const resolvedPaths = () =>
    (paths ??= new Set([...exact.map((e) => resolveInterpreter(e) ?? e), ...names.map(resolveInterpreter).filter((p): p is string => p !== undefined)]));

  const ecosystem = start.ecosystemFiles ?? [];
  const jsFiles = new Set(ecosystem.filter((p) => JS_EXT.test(p) && !GLOB_CHARS.test(p)).map((p) => resolve(root, p)));

  return {
    preset: input.preset,
    mode: config.mode ?? 'enforce',
    root,
    sources: input.sources,
    configFile: input.configFile,
    config,
    tools,
    start: {
      scripts: pathMatcher(start.scripts ?? [], root),
      scriptsExclude: pathMatcher(start.scriptsExclude ?? [], root),
      cwd: pathMatcher(start.cwd ?? [], root),
      ecosystemFiles: pathMatcher(ecosystem, root),
      jsEcosystemFiles: jsFiles,
      logFiles: pathMatcher(start.logFiles ?? [], root),
      interpreters: { any: interpreters.includes('*'), none: interpreters.includes('none'), get paths() { return resolvedPaths(); }, globs: pathMatcher(globs, root), names },
      interpreterArgs: nameMatcher(start.interpreterArgs ?? []),
      env: { allow: nameMatcher(start.env?.allow ?? []), deny: nameMatcher(start.env?.deny ?? []), passThrough: start.env?.passThrough ?? [] },
      maxInstances: start.maxInstances ?? 1,
      watch: start.watch ?? false,
      runWith: Object.entries(start.runWith ?? {}).map(([glob, names]) => ({ scripts: pathMatcher([glob], root), interpreters: names })),
    },
    processes: {
      names: nameMatcher(processes.names ?? []),
      namespaces: nameMatcher(processes.namespaces ?? []),
      inRoot: processes.inRoot ?? false,
      allowAll: processes.allowAll ?? false,
      updateEnv: processes.updateEnv ?? false,
      // Fail closed: with no number in the chain, the agent's starts create nothing.
      max: processes.max ?? 0,
    },
    output: { redactEnv: config.output?.redactEnv ?? true },
    logs: { maxLines: config.logs?.maxLines ?? 1000 },
    server: input.server ?? { ...NO_SERVER, ownFiles: input.configFiles ?? [] },
    ...(input.rootRefused !== undefined ? { rootRefused: input.rootRefused } : {}),
  };
}

/**
 * Tools the policy denies outright: hidden from tools/list (every call is still checked). In
 * audit mode nothing is hidden: the dry run must show what an agent would have called.
 */
export function hiddenTools(policy: CompiledPolicy): Set<string> {
  if (policy.mode === 'audit') return new Set();
  return new Set(TOOL_NAMES.filter((t) => policy.tools[t] !== 'allow'));
}
