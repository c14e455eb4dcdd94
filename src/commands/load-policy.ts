// Config file → effective config → compiled policy: what serve, check and explain share.
import { realOrUndefined } from '../real-path.js';
import { loadConfig } from '../config/load.js';
import { compilePolicy, interpreterFiles, type CompiledPolicy, type PolicyInput } from '../policy/compile.js';
import { which } from '../pm2/which.js';

export interface PolicyOptions {
  cwd: string;
  configFile?: string | undefined;
  policy?: string | undefined;
}

export async function loadPolicy(opts: PolicyOptions): Promise<CompiledPolicy> {
  const loaded = await loadConfig({ cwd: opts.cwd, ...(opts.configFile ? { configFile: opts.configFile } : {}), ...(opts.policy ? { policy: opts.policy } : {}) });
  // The chain's files (the presets are labelled "preset …"): pm2-mcp's own, never an app's log file.
  const configFiles = loaded.sources.filter((s) => !s.startsWith('preset '));
  return compileResolved({ ...loaded, configFiles });
}

/** Compiles a policy after resolving the interpreters it names on this server's PATH (the I/O compile does not do). */
export function compileResolved(input: PolicyInput): CompiledPolicy {
  const paths = new Map<string, string>();
  for (const entry of interpreterFiles(input.config)) {
    const path = resolveInterpreterPath(entry);
    if (path !== undefined) paths.set(entry, path);
  }
  return compilePolicy(input, paths);
}

/**
 * An interpreter the policy names ("node") is allowed as the real file it is on the server's
 * PATH, the same lookup the resolve stage makes: a binary elsewhere merely called "node" is not.
 */
export function resolveInterpreterPath(nameOrPath: string): string | undefined {
  const found = nameOrPath.startsWith('/') ? nameOrPath : (which(nameOrPath) ?? (nameOrPath === 'node' ? process.execPath : undefined));
  return found === undefined ? undefined : realOrUndefined(found);
}
