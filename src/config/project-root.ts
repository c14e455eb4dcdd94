// With no config file, the working folder becomes the root that the standard preset's powers are
// relative to: scripts inside it may start, processes whose cwd is inside it may be stopped. Some
// MCP hosts start servers from `/` or from the home folder, and a root there puts every script on
// the disk and every process in scope. So the working folder is a root only when it is a project
// and not a folder that holds the disk, a home or the system's own files; otherwise the server
// serves readonly and says why (docs/threat-model.md, "An implicit root that is the whole disk").
//
// judgeRoot is pure (facts in, verdict out, tested by a table); rootFacts is the I/O that gathers
// the facts. Paths are POSIX real paths: on Windows only a drive's root is recognised.
import { statSync, realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, parse, resolve } from 'node:path';
import { isSharedFolder } from './config-trust.js';

/**
 * What makes a folder a project: something only a person setting up a project puts there.
 * - package.json: npm, yarn, pnpm and bun projects (a file);
 * - .git: a repository (a folder), or a worktree or submodule checkout (a file);
 * - pm2's ecosystem file under its conventional name, ecosystem.config.* (a file).
 * Not `*.config.js`: every tool has one (vite, jest, eslint), they say nothing about pm2 and turn
 * up in global installs. Not pyproject.toml, go.mod and the like: pm2-mcp's default preset is
 * about node projects; any other project states its root with a pm2-mcp.config.json.
 */
export const PROJECT_MARKERS: ReadonlyArray<{ name: string; folder: boolean }> = [
  { name: 'package.json', folder: false },
  { name: '.git', folder: true },
  ...['js', 'cjs', 'mjs', 'json', 'yaml', 'yml'].map((ext) => ({ name: `ecosystem.config.${ext}`, folder: false })),
];

/**
 * Never a root themselves, though a subfolder may be: /srv/app, /opt/app, /var/www/site,
 * /tmp/x and /usr/src/app (the WORKDIR of Node's Docker guide) are legitimate projects.
 */
const NEVER_ROOT = new Set([
  '/home', '/Users', '/root', '/mnt', '/media', '/Volumes', '/opt', '/srv', '/tmp', '/var', '/var/tmp', '/var/www',
  '/var/lib', '/usr', '/usr/src', '/usr/local', '/usr/local/src', '/private', '/Applications', '/Library', '/nix',
]);

/** Folders whose direct children are never a root either: other users' homes, mounted disks. */
const NEVER_ROOT_CHILDREN: ReadonlyArray<[folder: string, what: string]> = [
  ['/home', 'a home folder'], ['/Users', 'a home folder'], ['/mnt', 'a mounted disk'], ['/media', 'a mounted disk'], ['/Volumes', 'a mounted disk'],
];

/**
 * The system's own trees: neither they nor anything under them is a root, whatever markers they
 * hold (etckeeper keeps /etc in git; every global npm package has a package.json).
 */
const SYSTEM_TREES = [
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys',
  '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/usr/libexec', '/usr/include', '/usr/share',
  '/usr/local/bin', '/usr/local/sbin', '/usr/local/lib', '/usr/local/libexec', '/usr/local/include', '/usr/local/share',
  '/usr/local/etc', '/usr/local/Homebrew', '/opt/homebrew',
  '/var/log', '/var/cache', '/var/spool', '/var/run', '/var/lock', '/var/mail', '/var/backups', '/var/db',
  '/System', '/nix/store', '/snap',
];

export interface RootFacts {
  /** Real path of the working folder. */
  realCwd: string;
  /** Real paths of the user's home folders ($HOME, os.homedir(), the passwd entry). */
  homes: readonly string[];
  /** The PROJECT_MARKERS names present in realCwd with the right kind. */
  markers: readonly string[];
  /** realCwd is world-writable or sticky (as /tmp, /var/tmp, /dev/shm): every user may put files in it. */
  shared?: boolean;
}

export type RootVerdict = { project: true; marker: string } | { project: false; why: string };

const within = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);

/** macOS keeps /tmp, /var and /etc under /private: judge /private/x as /x too. */
function aliases(path: string): string[] {
  return path.startsWith('/private/') ? [path, path.slice('/private'.length)] : [path];
}

function systemReason(path: string): string | undefined {
  for (const p of aliases(path)) {
    const tree = SYSTEM_TREES.find((t) => within(p, t));
    if (tree !== undefined) return p === tree ? 'it is a system folder' : `it is inside the system folder ${tree}`;
    if (NEVER_ROOT.has(p)) return 'it is a system folder, not a project in it';
    const child = NEVER_ROOT_CHILDREN.find(([f]) => p.startsWith(`${f}/`) && !p.slice(f.length + 1).includes('/'));
    if (child !== undefined) return `it is ${child[1]}`;
  }
  return undefined;
}

const SHARED_WHY = 'every user may write to it (a world-writable or sticky folder)';

/**
 * Why the folder of a config file may not be the root, or undefined when it may. Fewer refusals
 * than judgeRoot: a config file is its owner's explicit choice of root (the home, a folder with
 * no marker), but a config never makes a root of the disk's root, nor of a folder where every
 * user may put scripts (they would be the root's own scripts). Its file passed configDistrust.
 */
export function judgeConfigRoot(realDir: string, shared: boolean): string | undefined {
  if (parse(realDir).root === realDir) return 'it is the file system\'s root';
  if (shared) return SHARED_WHY;
  return undefined;
}

/** judgeConfigRoot on a real folder (a realpath): the one line of the ConfigError, or undefined. */
export function refusedConfigRoot(realDir: string): string | undefined {
  const why = judgeConfigRoot(realDir, isSharedFolder(realDir));
  return why === undefined ? undefined : `its folder ${realDir} cannot be the root (${why}): put the config in the project's own folder`;
}

/** Why the working folder may not be the root, or the marker that makes it a project. */
export function judgeRoot(facts: RootFacts): RootVerdict {
  const { realCwd: dir } = facts;
  if (parse(dir).root === dir) return { project: false, why: 'it is the file system\'s root' };
  if (facts.homes.includes(dir)) return { project: false, why: 'it is the home folder' };
  const held = facts.homes.find((h) => within(h, dir));
  if (held !== undefined) return { project: false, why: `it holds the home folder ${held}` };
  const system = systemReason(dir);
  if (system !== undefined) return { project: false, why: system };
  if (facts.shared === true) return { project: false, why: SHARED_WHY };
  const marker = PROJECT_MARKERS.find((m) => facts.markers.includes(m.name));
  if (marker === undefined) return { project: false, why: 'it holds no package.json, .git or ecosystem.config.* file' };
  return { project: true, marker: marker.name };
}

/**
 * The one line that serve (stderr and the client), check and explain say when the working folder
 * is refused, or undefined when it is a project. An explicit --policy readonly loses nothing.
 */
export function refusedRoot(facts: RootFacts, requested?: string): string | undefined {
  if (requested === 'readonly') return undefined;
  const verdict = judgeRoot(facts);
  if (verdict.project) return undefined;
  // A preset's powers are relative to the root: with no root, --policy standard would grant them
  // over whatever folder the server happened to start in.
  const instead = requested === undefined ? '' : ` instead of --policy ${requested} (a preset grants powers relative to a root, and there is none)`;
  return (
    `the working folder ${facts.realCwd} is not a project root (${verdict.why}), so pm2-mcp serves the readonly preset${instead}. ` +
    'To manage processes, run pm2-mcp from the project\'s folder (one with a package.json, .git or ecosystem.config.* file), add a pm2-mcp.config.json, or pass --config FILE.'
  );
}

function realOrResolved(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

/** Every home the user has: $HOME may point elsewhere than the passwd entry, and both are theirs. */
function homeFolders(env: NodeJS.ProcessEnv): string[] {
  const candidates = [env.HOME, homedir()];
  try {
    candidates.push(userInfo().homedir);
  } catch {
    // No passwd entry (a container's arbitrary uid): $HOME and os.homedir() are all there is.
  }
  const absolute = candidates.filter((h): h is string => typeof h === 'string' && h !== '' && isAbsolute(h));
  return [...new Set(absolute.map(realOrResolved))];
}

function hasMarker(dir: string, marker: { name: string; folder: boolean }): boolean {
  const s = statSync(resolve(dir, marker.name), { throwIfNoEntry: false });
  return s !== undefined && (s.isFile() || (marker.folder && s.isDirectory()));
}

/**
 * The I/O behind judgeRoot. Synchronous on purpose, like the config search's probe: a dozen stats
 * at start-up, µs each. Throws if cwd does not exist (as the config search would).
 */
export function rootFacts(cwd: string, env: NodeJS.ProcessEnv = process.env): RootFacts {
  const realCwd = realpathSync.native(cwd);
  const markers = PROJECT_MARKERS.filter((m) => hasMarker(realCwd, m)).map((m) => m.name);
  return { realCwd, homes: homeFolders(env), markers, shared: isSharedFolder(realCwd) };
}
