// Is a pm2 process a pm2-mcp server? (docs/threat-model.md §T21) A server started with --pm2
// serves every client of its port: no client may stop, restart or delete it for the others. It
// is recognised three ways, any one enough: it is this very process; it carries the marker
// variable that `--pm2` sets (agents can never set a PM2_* variable: src/policy/env-families.ts);
// or it runs the same entry script as this server.
import { realpathSync } from 'node:fs';
import type { Pm2RawProcess } from './types.js';

/** Set in the environment of a pm2-mcp server that `pm2-mcp --pm2` starts under pm2. */
export const SERVER_MARKER = 'PM2_MCP_SERVER';

const realCache = new Map<string, string | undefined>();

function real(path: string): string | undefined {
  if (!realCache.has(path)) {
    let found: string | undefined;
    try {
      found = realpathSync.native(path);
    } catch {
      found = undefined;
    }
    // Bounded: process lists are small, but a daemon restarting apps forever should not grow it.
    if (realCache.size > 1000) realCache.clear();
    realCache.set(path, found);
  }
  return realCache.get(path);
}

export function isPm2McpServer(proc: Pm2RawProcess, self: { pid: number; entry: string | undefined } = { pid: process.pid, entry: process.argv[1] }): boolean {
  const env = proc.pm2_env ?? {};
  if (proc.pid === self.pid && self.pid > 0) return true;
  const inner = env.env && typeof env.env === 'object' ? (env.env as Record<string, unknown>) : {};
  if (env[SERVER_MARKER] !== undefined || inner[SERVER_MARKER] !== undefined) return true;
  const script = typeof env.pm_exec_path === 'string' ? env.pm_exec_path : undefined;
  if (script === undefined || self.entry === undefined) return false;
  const ownEntry = real(self.entry);
  return ownEntry !== undefined && real(script) === ownEntry;
}
