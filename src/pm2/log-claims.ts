// No two processes share a log file (docs/threat-model.md §T14, §T9): flushing one would empty
// the other's, and an agent could read or empty a log it has no business with. The comparison is
// pure; sharedLogRefusal gathers the paths, with their folders' real paths (src/pm2/log-path.ts).
import { basename, dirname, join } from 'node:path';
import type { StartApp } from '../model/requests.js';
import { realOrUndefined } from '../real-path.js';
import { storedLogPaths } from './log-path.js';
import type { Pm2RawProcess } from './types.js';
import { pmIdOf, processName } from './views.js';

/**
 * Why starting `apps` would make two processes share a log file, or undefined: a file they name,
 * or pm2's default file for their name in $PM2_HOME/logs, that a process in `list` (or another of
 * `apps`) writes. Paths count by their folders' real paths: a folder reached through a link is
 * that folder.
 */
/** A folder's real path, or the path as given when it does not exist (yet). */
const realOrGiven = (dir: string): string => realOrUndefined(dir) ?? dir;

export async function sharedLogRefusal(apps: readonly StartApp[], list: readonly Pm2RawProcess[], home: string): Promise<string | undefined> {
  const logDir = realOrGiven(join(home, 'logs')); // pm2's DEFAULT_LOG_PATH (pm2/paths.js)
  const others: LogClaim[] = [];
  // Most processes log into the same folder or two: each folder's real path is looked up once.
  const folders = new Map<string, string>();
  const byRealFolder = (path: string): string => {
    const dir = dirname(path);
    let real = folders.get(dir);
    if (real === undefined) folders.set(dir, (real = realOrGiven(dir)));
    return join(real, basename(path));
  };
  for (const proc of list) {
    const paths = storedLogPaths(proc).map(({ stream, path }) => ({ stream, path: byRealFolder(path) }));
    others.push(...existingClaims(`${JSON.stringify(processName(proc))} (pm_id ${pmIdOf(proc) ?? '?'})`, paths));
  }
  const mine = apps.flatMap((a) => claimsOf(a, logDir));
  const shared = sharedLogFile(mine, [...others, ...mine]);
  if (!shared) return undefined;
  return `${describeClaim(shared.mine)} would be ${describeClaim(shared.other)}: two processes must not share a log file (flushing one empties the other's). Choose another name or log file.`;
}

/** A file a process writes: an exact path, or pm2's default for a name (with or without -<pm_id>). */
export type LogClaim =
  | { owner: string; stream: string; path: string }
  | { owner: string; stream: 'out' | 'err'; dir: string; name: string };

/** What a new app will write: the files it names, and pm2's default files for those it does not. */
export function claimsOf(app: StartApp, logDir: string): LogClaim[] {
  const owner = JSON.stringify(app.name);
  const claims: LogClaim[] = [];
  for (const stream of ['out', 'err', 'combined'] as const) {
    const path = app.logFiles[stream];
    if (path) claims.push({ owner, stream, path });
    else if (stream !== 'combined') claims.push({ owner, stream, dir: logDir, name: app.name });
  }
  return claims;
}

/** The files an existing process writes, as pm2 stored them (pm_out_log_path …). */
export function existingClaims(owner: string, paths: ReadonlyArray<{ stream: string; path: string }>): LogClaim[] {
  return paths.map((p) => ({ owner, stream: p.stream, path: p.path }));
}

/** The first pair of claims of different owners that name one file, or undefined. */
export function sharedLogFile(mine: readonly LogClaim[], others: readonly LogClaim[]): { mine: LogClaim; other: LogClaim } | undefined {
  for (const a of mine) {
    for (const b of others) if (a.owner !== b.owner && same(a, b)) return { mine: a, other: b };
  }
  return undefined;
}

// Compared without regard to case: on a case-insensitive file system (macOS, Windows) "API" and
// "api" are one file, and refusing a start there costs less than two apps in one log.
function same(a: LogClaim, b: LogClaim): boolean {
  if ('path' in a && 'path' in b) return a.path.toLowerCase() === b.path.toLowerCase();
  if ('path' in a) return matchesDefault(a.path, b as Extract<LogClaim, { dir: string }>);
  if ('path' in b) return matchesDefault(b.path, a);
  return a.dir.toLowerCase() === b.dir.toLowerCase() && a.name.toLowerCase() === b.name.toLowerCase();
}

/**
 * pm2's default files for a name: $PM2_HOME/logs/<name>-out.log and -error.log, and with a
 * -<pm_id> before ".log" when logs are not merged (lib/God.js). The name is already in the safe
 * set (src/policy/names.ts), which pm2 maps to itself.
 */
function matchesDefault(path: string, claim: Extract<LogClaim, { dir: string }>): boolean {
  if (dirname(path).toLowerCase() !== claim.dir.toLowerCase()) return false;
  const suffix = claim.stream === 'out' ? 'out' : 'error';
  const escaped = claim.name.replace(/[.\\^$|?*+()[\]{}-]/g, '\\$&');
  return new RegExp(`^${escaped}-${suffix}(?:-\\d+)?\\.log$`, 'i').test(basename(path));
}

/** How a claim reads in a message. */
export function describeClaim(claim: LogClaim): string {
  const file = 'path' in claim ? claim.path : join(claim.dir, `${claim.name}-${claim.stream === 'out' ? 'out' : 'error'}[-<pm_id>].log`);
  return `the ${claim.stream} log ${file} of ${claim.owner}`;
}
