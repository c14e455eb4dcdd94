// Which files an app may log to, and which files tail and flush may touch (docs/threat-model.md
// §T9 and §T15). Pure: it decides over the paths resolve saw; the I/O checks (a regular
// file or nothing, the same file at use time) live in src/pm2/log-path.ts.
import { basename, dirname, isAbsolute, normalize, sep } from 'node:path';
import type { CompiledPolicy } from './compile.js';
import { configName, deny, hard, relativeTo } from './decision.js';
import type { Decision, LogFileRef } from '../model/requests.js';

/** What is done with the file: pm2 appends to it (start, restart), we read it (tail) or empty it (flush). */
export type LogFileUse = 'start' | 'restart' | 'tail' | 'flush';

/**
 * Why `ref` may not be used for `use`, or undefined when it may. Refusals that protect pm2-mcp
 * and pm2 themselves (the audit log, a config file, PM2_HOME's internals) are hard: audit mode
 * never lets them run, because running them would corrupt the very record of the dry run.
 */
export function logFileRefusal(ref: LogFileRef, policy: CompiledPolicy, use: LogFileUse): Decision | undefined {
  const path = ref.path;
  const what = `the ${ref.stream} log file ${JSON.stringify(path)}`;
  if (!normalizedAbsolute(path)) {
    return hardDeny('logs.path', `${what} is not a normalized absolute path (no "..", ".", "//" or NUL), so it cannot be checked`, 'name the file by its plain absolute path; no config allows another spelling');
  }
  const own = ownFileOf(path, policy.server.ownFiles);
  if (own !== undefined) {
    return hardDeny('logs.ownFile', `${what} is pm2-mcp's own file (${own === path ? 'its audit log or a config file' : `derived from ${own}`}): pm2 would write into it and flush would empty it`, 'log to another file; no config allows this');
  }
  if (insidePm2Home(path, policy.server)) {
    return hardDeny('logs.pm2Home', `${what} is inside PM2_HOME (${policy.server.pm2Home}) and is not one of pm2's log files: pm2 keeps its daemon log, dump, sockets and pid files there`, 'log to another file; no config allows this');
  }
  if (use === 'tail') return undefined; // A read, allowed under every preset; use-time checks guard links.
  if (inDefaultLogDir(path, policy.server.pm2LogDir) || policy.start.logFiles.test(path)) return undefined;
  const where = configName(policy);
  const defaults = policy.server.pm2LogDir ? ` (${policy.server.pm2LogDir})` : '';
  if (use === 'flush') {
    // Not a hint to allow the path: it may be where a link swapped in since the start leads.
    return deny('logs.outsidePolicy', `${what} is neither in pm2's log folder${defaults} nor a place start.logFiles allows, so it is not emptied`, `if a folder of its path was swapped for a link since the start, delete the process; a folder the team logs to belongs in start.logFiles of ${where}`);
  }
  return deny('start.logFiles', `${what} is not a place the policy lets pm2 write to`, `add a glob matching "${relativeTo(policy.root, path)}" to start.logFiles in ${where}, or leave log files to pm2's default folder${defaults}`);
}

/**
 * The own file `path` is or derives from: the file itself, its rotations FILE.<n> (the audit log
 * renames itself so) and its lock FILE.lock.
 */
function ownFileOf(path: string, ownFiles: readonly string[]): string | undefined {
  for (const given of ownFiles) {
    if (!isAbsolute(given)) continue;
    const own = clean(given);
    if (path === own) return own;
    if (path.startsWith(`${own}.`) && /^(?:\d+|lock)$/.test(path.slice(own.length + 1))) return own;
  }
  return undefined;
}

/** Inside PM2_HOME, only a direct child of its logs folder is a log file. */
function insidePm2Home(path: string, server: CompiledPolicy['server']): boolean {
  if (!server.pm2Home || !isAbsolute(server.pm2Home)) return false;
  const home = clean(server.pm2Home);
  if (!(path === home || path.startsWith(home === sep ? sep : home + sep))) return false;
  return !inDefaultLogDir(path, server.pm2LogDir);
}

/** A file directly in pm2's log folder, where pm2 puts an app's logs when it names none. */
function inDefaultLogDir(path: string, logDir: string): boolean {
  if (!logDir || !isAbsolute(logDir)) return false;
  return dirname(path) === clean(logDir) && basename(path) !== '';
}

/** The facts may be spelled "/x/logs/" or "/x//logs": compare their normalized form. */
function clean(path: string): string {
  const p = normalize(path);
  return p.length > 1 && p.endsWith(sep) ? p.slice(0, -1) : p;
}

function normalizedAbsolute(path: string): boolean {
  return !path.includes('\0') && isAbsolute(path) && normalize(path) === path && (path === sep || !path.endsWith(sep));
}

function hardDeny(ruleId: string, reason: string, hint: string): Decision {
  return hard(deny(ruleId, reason, hint));
}
