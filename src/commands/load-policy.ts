// Config file → effective config → compiled policy: what serve, check and explain share.
import { realOrUndefined } from '../real-path.js';
import { loadConfig } from '../config/load.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
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
  return compilePolicy({ ...loaded, configFiles }, resolveInterpreterPath);
}

/**
 * An interpreter the policy names ("node") is allowed as the real file it is on the server's
 * PATH, the same lookup the resolve stage makes: a binary elsewhere merely called "node" is not.
 */
export function resolveInterpreterPath(nameOrPath: string): string | undefined {
  const found = nameOrPath.startsWith('/') ? nameOrPath : (which(nameOrPath) ?? (nameOrPath === 'node' ? process.execPath : undefined));
  return found === undefined ? undefined : realOrUndefined(found);
}
