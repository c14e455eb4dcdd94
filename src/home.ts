// Which PM2_HOME the server uses, and what to do when a sandboxed client cannot write to it.
import { accessSync, constants, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { osUserName } from './os-user.js';

export type HomeSource = '--pm2-home' | 'PM2_MCP_HOME' | 'PM2_HOME' | 'default';

export interface HomeChoice {
  home: string;
  source: HomeSource;
  /** Set when the wanted home was not writable and a private fallback is used instead. */
  fallback?: { wanted: string; reason: string };
  /** Set when the home can be reached by other users: its socket is the real boundary. */
  exposure?: string;
}

export interface HomeInputs {
  flag?: string | undefined;
  env: Record<string, string | undefined>;
  homeDir?: string;
  tmpDir?: string;
}

export function wantedHome(inputs: HomeInputs): { home: string; source: HomeSource } {
  const { flag, env } = inputs;
  if (flag) return { home: resolve(flag), source: '--pm2-home' };
  if (env.PM2_MCP_HOME) return { home: resolve(env.PM2_MCP_HOME), source: 'PM2_MCP_HOME' };
  if (env.PM2_HOME) return { home: resolve(env.PM2_HOME), source: 'PM2_HOME' };
  return { home: join(inputs.homeDir ?? homedir(), '.pm2'), source: 'default' };
}

/** Why `dir` cannot serve as a PM2_HOME, or undefined when it can (it, or the folder that would hold it, is writable). */
export function unwritableReason(dir: string): string | undefined {
  let probe = dir;
  for (;;) {
    try {
      const st = statSync(probe);
      if (!st.isDirectory()) return `${probe} is not a folder`;
      accessSync(probe, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') return `${nearestFile(probe) ?? probe} is not a folder`;
      if (code === 'ENOENT') {
        const parent = dirname(probe);
        if (parent === probe) return `no part of ${dir} exists`;
        probe = parent;
        continue;
      }
      return `${probe} is not writable (${code ?? 'error'})`;
    }
  }
}

function nearestFile(path: string): string | undefined {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // Keep going up.
    }
  }
  return undefined;
}

/**
 * Private per-user fallbacks, most durable first. Not a fixed name in the shared temp folder:
 * another user could create that first and own our socket. The last resort is a fresh
 * mkdtemp folder (random name, mode 0700).
 */
function fallbackCandidates(env: Record<string, string | undefined>, home: string): string[] {
  const out: string[] = [];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'pm2-mcp'));
  if (env.XDG_STATE_HOME) out.push(join(env.XDG_STATE_HOME, 'pm2-mcp', 'pm2'));
  out.push(join(home, '.local', 'state', 'pm2-mcp', 'pm2'));
  return out;
}

function makePrivate(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return false;
    if ((st.mode & 0o077) !== 0) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A home reachable by other users hands them the daemon (docs/threat-model.md §T11): say so. */
function exposureOf(dir: string): string | undefined {
  try {
    const st = statSync(dir);
    if ((st.mode & 0o022) !== 0) return `${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); keep PM2_HOME at 0700`;
    if ((st.mode & 0o044) !== 0) return `${dir} is readable by other users (mode ${(st.mode & 0o777).toString(8)}): its logs and dump.pm2 hold the apps' output and environment; keep PM2_HOME at 0700`;
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return `${dir} belongs to another user (uid ${st.uid})`;
  } catch {
    // Not created yet: pm2 creates it.
  }
  return undefined;
}

export function choosePm2Home(inputs: HomeInputs): HomeChoice {
  const wanted = wantedHome(inputs);
  const reason = unwritableReason(wanted.home);
  if (reason === undefined) {
    const exposure = exposureOf(wanted.home);
    return exposure ? { ...wanted, exposure } : wanted;
  }
  const homeDir = inputs.homeDir ?? homedir();
  for (const candidate of fallbackCandidates(inputs.env, homeDir)) {
    if (makePrivate(candidate)) return { ...wanted, home: candidate, fallback: { wanted: wanted.home, reason } };
  }
  // The name goes into a folder name: only safe characters.
  const user = osUserName().replace(/[^A-Za-z0-9_.-]/g, '_') || 'user';
  const temp = mkdtempSync(join(inputs.tmpDir ?? tmpdir(), `pm2-mcp-${user}-`));
  return { ...wanted, home: temp, fallback: { wanted: wanted.home, reason } };
}

export function describeFallback(choice: HomeChoice): string | undefined {
  if (!choice.fallback) return undefined;
  return (
    `PM2_HOME ${choice.fallback.wanted} (from ${choice.source}) cannot be used: ${choice.fallback.reason}. ` +
    `Using the private folder ${choice.home} instead; processes started here are not those of \`pm2 ls\`. ` +
    `Choose another home with --pm2-home DIR or PM2_MCP_HOME.`
  );
}
