// Which config files pm2-mcp may adopt. A config grants powers (start scripts, stop processes)
// and a JS config runs in the server: a file that someone other than the server's user could have
// written, or could swap, must not be one. Two rules:
// - where the search looks: from the working folder up to the nearest folder holding a `.git`
//   (the repository a team commits its config to), never above the home folder; with no
//   repository, the working folder only. Then the user's own config folder (~/.config/pm2-mcp).
// - what a found (or named, or extended) file must be: owned by the server's user or root, not
//   writable by group or others, in a folder of its owner's that nobody else may write to.
// Synchronous on purpose, like rootFacts: a few stats at start-up.
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';

const MODULE_NAME = 'pm2-mcp';

/** POSIX owners and modes exist: on Windows stat's mode bits are made up. */
const POSIX = process.platform !== 'win32';

function isRepository(dir: string): boolean {
  // A folder (a repository) or a file (a worktree's or a submodule's checkout).
  const s = statSync(join(dir, '.git'), { throwIfNoEntry: false });
  return s !== undefined && (s.isDirectory() || s.isFile());
}

/**
 * The highest folder the upward search looks in: the nearest folder, from cwd upward, that holds
 * a `.git`; cwd itself when none does. The walk goes by name (as cosmiconfig's does), never past
 * the home folder (a `.git` above the home is no repository of the projects in it), and never
 * into a shared folder above cwd (world-writable or sticky, as /tmp): anyone could plant a `.git`
 * there, and with it a config that would stop every server started in a project below.
 */
export function searchBound(cwd: string, home: string = homedir()): string {
  const start = resolve(cwd);
  // The home by name and by real path: cwd may be given either way.
  const homes = home === '' ? [] : [resolve(home), realOr(resolve(home))];
  for (let dir = start; ; dir = dirname(dir)) {
    if (dir !== start && isSharedFolder(dir)) return start;
    if (isRepository(dir)) return dir;
    if (homes.includes(dir) || dirname(dir) === dir) return start;
  }
}

function realOr(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/** The folders the search looks in, cwd first, up to searchBound (by name, as cosmiconfig walks). */
export function searchDirs(cwd: string, home?: string): string[] {
  const bound = searchBound(cwd, home);
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === bound || dirname(dir) === dir) return dirs;
  }
}

/**
 * The user's config folder, where cosmiconfig's 'global' search looks last: env-paths' `config`
 * for "pm2-mcp" without suffix (~/.config/pm2-mcp or $XDG_CONFIG_HOME/pm2-mcp on Linux).
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', MODULE_NAME);
  if (process.platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), MODULE_NAME, 'Config');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), MODULE_NAME);
}

export const within = (path: string, folder: string): boolean => {
  const root = parse(folder).root === folder;
  return path === folder || path.startsWith(root ? folder : `${folder}${sep}`);
};

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** A folder where others may create or replace files: world-writable, or sticky as /tmp is. */
export function sharedFolderReason(st: Stats): string | undefined {
  if (!POSIX) return undefined;
  if ((st.mode & 0o1000) !== 0) return `sticky (mode ${octal(st.mode)}): a shared folder, as /tmp is, where every user may create files`;
  if ((st.mode & 0o002) !== 0) return `writable by every user (mode ${octal(st.mode)})`;
  return undefined;
}

/** Whether a folder is shared (world-writable or sticky); false if it cannot be read. */
export function isSharedFolder(dir: string): boolean {
  const st = statSync(dir, { throwIfNoEntry: false });
  return st !== undefined && sharedFolderReason(st) !== undefined;
}

const owner = (uid: number): string => (uid === 0 ? 'root' : `uid ${uid}`);

/**
 * Why pm2-mcp may not adopt this config file, or undefined when it may. Judged by the real file
 * and its real folder (a symlink is what it points to): the file is owned by `uid` or root and
 * is writable by no group or other user; its folder is owned by `uid` or root, is neither
 * world-writable nor sticky, and no folder above it is world-writable without the sticky bit
 * (where anyone could rename the folder away and put another in its place).
 * `uid` null (Windows: no POSIX owners and modes): there is nothing to judge.
 */
export function configDistrust(file: string, uid: number | null = process.getuid?.() ?? null): string | undefined {
  if (uid === null || !POSIX) return undefined;
  try {
    return distrustOf(resolve(file), uid);
  } catch (err) {
    return `it cannot be checked (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

/**
 * A user private group (Debian, Ubuntu, Fedora: umask 002 makes files group-writable): the
 * group named after the user, with no other member. Its write bit lets nobody else in.
 */
function privateGroup(gid: number, uid: number): boolean {
  if (gid !== process.getgid?.()) return false;
  let user: string;
  let groups: string;
  try {
    user = userInfo().username;
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    return false;
  }
  if (uid !== userInfo().uid) return false;
  const line = groups.split('\n').find((l) => l.split(':')[2] === String(gid));
  if (line === undefined) return false;
  const [name, , , members = ''] = line.split(':');
  return name === user && members.split(',').filter(Boolean).every((m) => m === user);
}

function distrustOf(named: string, uid: number): string | undefined {
  const real = realpathSync.native(named);
  const it = real === named ? 'the file' : `its real file ${real}`;
  const st = statSync(real);
  if (!st.isFile()) return `${it} is not a regular file`;
  if (st.uid !== uid && st.uid !== 0) {
    const us = uid === 0 ? 'root, the user pm2-mcp runs as' : `uid ${uid}, the user pm2-mcp runs as, or root`;
    return `${it} is owned by ${owner(st.uid)}, not by ${us}: a config grants powers, and another user wrote this one`;
  }
  if ((st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && !privateGroup(st.gid, uid))) {
    const who = (st.mode & 0o020) !== 0 && (st.mode & 0o002) !== 0 ? 'its group and every user' : (st.mode & 0o020) !== 0 ? 'its group' : 'every user';
    return `${it} is writable by ${who} (mode ${octal(st.mode)}): a config grants powers, so only its owner may write it (chmod go-w ${real})`;
  }
  const folder = dirname(real);
  const fst = statSync(folder);
  const shared = sharedFolderReason(fst);
  if (shared !== undefined) return `${it} is in ${folder}, which is ${shared}: keep the config in a folder of your own`;
  if (fst.uid !== uid && fst.uid !== 0) return `${it} is in ${folder}, which is owned by ${owner(fst.uid)}: that user can replace the file`;
  // A group that may write the folder may rename the file away and put another in its place.
  if ((fst.mode & 0o020) !== 0 && !privateGroup(fst.gid, uid)) return `${it} is in ${folder}, which its group may write to (mode ${octal(fst.mode)}): a member can replace the file (chmod g-w ${folder})`;
  for (let up = dirname(folder); ; up = dirname(up)) {
    const ust = statSync(up, { throwIfNoEntry: false });
    if (ust !== undefined && (ust.mode & 0o002) !== 0 && (ust.mode & 0o1000) === 0) {
      return `${it} is below ${up}, which is writable by every user and not sticky (mode ${octal(ust.mode)}): anyone can put another folder in the place of ${folder}`;
    }
    if (dirname(up) === up) break;
  }
  return undefined;
}

/** configDistrust as a ConfigError naming the file (as found or named). */
export function assertTrusted(file: string): void {
  const why = configDistrust(file);
  if (why !== undefined) throw new ConfigError(file, [`not a config pm2-mcp can trust: ${why}`]);
}
