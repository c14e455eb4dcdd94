// From the effective config (presets merged) to matchers built once. Pure: interpreter names
// are resolved to real paths by a function the caller passes in (it does the I/O).
import { isAbsolute, resolve } from 'node:path';
import { TOOL_NAMES, type Pm2McpConfig, type PresetName, type ToolEffect, type ToolName } from '../config/types.js';
import { nameMatcher, pathMatcher, type Matcher } from './globs.js';

export interface PolicyInput {
  config: Pm2McpConfig;
  root: string;
  sources: string[];
  preset: PresetName;
  configFile?: string | undefined;
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
  };
  processes: { names: Matcher; namespaces: Matcher; inRoot: boolean; allowAll: boolean; updateEnv: boolean };
  output: { redactEnv: boolean };
  logs: { maxLines: number };
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
    },
    processes: {
      names: nameMatcher(processes.names ?? []),
      namespaces: nameMatcher(processes.namespaces ?? []),
      inRoot: processes.inRoot ?? false,
      allowAll: processes.allowAll ?? false,
      updateEnv: processes.updateEnv ?? false,
    },
    output: { redactEnv: config.output?.redactEnv ?? true },
    logs: { maxLines: config.logs?.maxLines ?? 1000 },
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
