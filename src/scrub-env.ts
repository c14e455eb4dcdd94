// The server's own environment, cut down before pm2 is loaded. A pm2 daemon this server spawns
// inherits it, and pm2's cluster mode hands the daemon's environment to every worker, whatever
// filter_env says: the MCP client's secrets (API keys it passed to this server) must not be in it.
const ALWAYS_KEPT = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM',
  'XDG_RUNTIME_DIR', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME', 'NODE_ENV',
];

/** Removes every variable but those an app may inherit, the locale, and pm2's and pm2-mcp's own. */
export function scrubEnvironment(env: NodeJS.ProcessEnv, passThrough: readonly string[]): string[] {
  const keep = new Set([...ALWAYS_KEPT, ...passThrough]);
  const removed: string[] = [];
  for (const name of Object.keys(env)) {
    if (keep.has(name) || name.startsWith('LC_') || name.startsWith('PM2_')) continue;
    delete env[name];
    removed.push(name);
  }
  return removed;
}
