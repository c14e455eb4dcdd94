// Is a pm2 process a pm2-mcp server? (docs/threat-model.md §T21) A server started with --pm2, or
// by its owner with `pm2 start …/pm2-mcp/dist/cli.js`, serves every client of its port: no client
// may stop, restart or delete it for the others, and no agent may start one (a second server
// with --no-auth would hand pm2 to anyone on the machine). It is recognised three ways, any one
// enough: it is this very process; it carries the marker variable that `--pm2` sets (agents can
// never set a PM2_* variable: src/policy/env-families.ts); its pm_id is in the registry of
// serving pm2-mcp servers (a server under npm or a shell script); or its script is a pm2-mcp
// entry, of this install or any other (a dist/cli.js inside a package named pm2-mcp).
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { realOrUndefined } from '../real-path.js';
import { carriesVariable } from './app-env.js';
import type { Pm2RawProcess } from './types.js';
import { isAlive } from '../process-alive.js';

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
  return remember(realCache, path, () => realOrUndefined(path));
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
  if (carriesVariable(proc, SERVER_MARKER)) return true;
  const id = typeof proc.pm_id === 'number' ? proc.pm_id : typeof env.pm_id === 'number' ? env.pm_id : undefined;
  if (id !== undefined && registeredIds().has(id)) return true;
  const script = typeof env.pm_exec_path === 'string' ? real(env.pm_exec_path) : undefined;
  return script !== undefined && isPm2McpEntry(script);
}

// A server pm2 manages through something else (`pm2 start npm -- run mcp`: pm2's process is npm,
// the server its child) is recognised by what it says of itself: pm2 gives every descendant of an
// app that app's pm_id in the environment, and a serving pm2-mcp records that id in a registry in
// PM2_HOME (private to the user: an entry only ever protects a process, never exposes one).
const REGISTRY_TTL_MS = 500;
let registryDir: string | undefined;
let registryRead: { at: number; ids: ReadonlySet<number> } | undefined;

/** The registry of the PM2_HOME this server serves: $PM2_HOME/pm2-mcp/servers/<pm_id> holds a pid. */
export function serverRegistryDir(home: string): string {
  return join(home, 'pm2-mcp', 'servers');
}

/** Consult this registry from now on (serve calls it once it knows its PM2_HOME). */
export function useServerRegistry(dir: string): void {
  registryDir = dir;
  registryRead = undefined;
}

/** Record this server under the pm_id pm2 gave it (or its ancestor); returns how to remove the entry. */
export function registerServer(dir: string, pmId: number, pid = process.pid): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, String(pmId));
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
  registryRead = undefined;
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(pid)) unlinkSync(file);
    } catch {
      // Gone already.
    }
  };
}

/** pm_ids with a live registered server (an entry whose pid died is stale and ignored). */
function registeredIds(): ReadonlySet<number> {
  if (registryDir === undefined) return new Set();
  if (registryRead && Date.now() - registryRead.at < REGISTRY_TTL_MS) return registryRead.ids;
  const ids = new Set<number>();
  let names: string[] = [];
  try {
    names = readdirSync(registryDir);
  } catch {
    names = [];
  }
  for (const name of names) {
    if (!/^\d{1,9}$/.test(name)) continue;
    try {
      const pid = Number.parseInt(readFileSync(join(registryDir, name), 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) ids.add(Number(name));
    } catch {
      // Unreadable: not an entry.
    }
  }
  registryRead = { at: Date.now(), ids };
  return ids;
}

