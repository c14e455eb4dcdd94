// Is a pm2 process a pm2-mcp server? (docs/threat-model.md §T21) A server started with --pm2, or
// by its owner with `pm2 start …/pm2-mcp/dist/cli.js`, serves every client of its port: no client
// may stop, restart or delete it for the others, and no agent may start one (a second server
// with --no-auth would hand pm2 to anyone on the machine). It is recognised three ways, any one
// enough: it is this very process; it carries the marker variable that `--pm2` sets (agents can
// never set a PM2_* variable: src/policy/env-families.ts); or its script is a pm2-mcp entry, of
// this install or any other (a dist/cli.js inside a package named pm2-mcp).
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Pm2RawProcess } from './types.js';

/** Set in the environment of a pm2-mcp server that `pm2-mcp --pm2` starts under pm2. */
export const SERVER_MARKER = 'PM2_MCP_SERVER';

const PACKAGE_NAME = 'pm2-mcp';

/** Bounded caches: process lists are small, but a daemon restarting apps forever should not grow them. */
const realCache = new Map<string, string | undefined>();
const entryCache = new Map<string, boolean>();

function remember<V>(cache: Map<string, V>, key: string, make: () => V): V {
  if (!cache.has(key)) {
    if (cache.size > 1000) cache.clear();
    cache.set(key, make());
  }
  return cache.get(key) as V;
}

function real(path: string): string | undefined {
  return remember(realCache, path, () => {
    try {
      return realpathSync.native(path);
    } catch {
      return undefined;
    }
  });
}

/** Is this real path a pm2-mcp entry: <package>/dist/<file>.js in a package named pm2-mcp? */
export function isPm2McpEntry(realPath: string): boolean {
  return remember(entryCache, realPath, () => {
    const dist = dirname(realPath);
    if (basename(dist) !== 'dist' || !/\.(c|m)?js$/.test(realPath)) return false;
    try {
      return (JSON.parse(readFileSync(join(dirname(dist), 'package.json'), 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
    } catch {
      return false;
    }
  });
}

export function isPm2McpServer(proc: Pm2RawProcess, self: { pid: number } = { pid: process.pid }): boolean {
  const env = proc.pm2_env ?? {};
  if (proc.pid === self.pid && self.pid > 0) return true;
  const inner = env.env && typeof env.env === 'object' ? (env.env as Record<string, unknown>) : {};
  if (env[SERVER_MARKER] !== undefined || inner[SERVER_MARKER] !== undefined) return true;
  const script = typeof env.pm_exec_path === 'string' ? real(env.pm_exec_path) : undefined;
  return script !== undefined && isPm2McpEntry(script);
}
