// The I/O half of log-file safety (docs/threat-model.md §T9, §T15): what a log path is when
// it is checked, and opening it later only if it is still that file. A log file pm2-mcp can stand
// behind is a regular file or nothing: a symbolic link would send pm2's appends, our reads and
// our truncation somewhere else; a FIFO blocks whoever opens it; a device or socket streams.
import { constants, lstatSync, type Stats } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogFileRef } from '../model/requests.js';
import { realOrUndefined } from '../real-path.js';
import type { Pm2RawProcess } from './types.js';

export type LogFileKind = 'absent' | 'regular file' | 'hard-linked file' | 'symbolic link' | 'FIFO' | 'socket' | 'device' | 'folder' | 'special file';

export interface LogPathState {
  /** The path with its folder's real path, and the file's identity when it is a regular file. */
  ref: LogFileRef;
  /** False when the folder does not exist (ref.path is then the path as given). */
  folderExists: boolean;
  /** What the last component is, seen without following it. */
  kind: LogFileKind;
}

/**
 * What `path` (absolute) is, without following its last component: the folder is resolved to its
 * real path (a folder reached through a link is where the file really is), the file is lstat'ed.
 */
export async function inspectLogPath(path: string, stream: LogFileRef['stream']): Promise<LogPathState> {
  // Synchronous system calls (µs each): a start or restart makes one pair per log file.
  const folder = realOrUndefined(dirname(path));
  if (folder === undefined) return { ref: { stream, path }, folderExists: false, kind: 'absent' };
  const real = join(folder, basename(path));
  let info: Stats | undefined;
  try {
    info = lstatSync(real);
  } catch {
    info = undefined; // absent, or not reachable: the same to the caller
  }
  if (!info) return { ref: { stream, path: real }, folderExists: true, kind: 'absent' };
  const kind = kindOf(info);
  const ref: LogFileRef = kind === 'regular file' ? { stream, path: real, dev: info.dev, ino: info.ino } : { stream, path: real };
  return { ref, folderExists: true, kind };
}

/**
 * A file pm2 already writes (a stored pm_out_log_path, pm_err_log_path or pm_log_path), as it is
 * now. pm2-mcp hands pm2 log paths whose folder is its real path, so a stored folder that now
 * resolves elsewhere was swapped for a link after the start was allowed: `moved` says so, and the
 * file must not be read, emptied or appended to. pm2's default folder is exempt, being
 * PM2_HOME/logs as pm2 spells it (a PM2_HOME reached through a link is the operator's choice,
 * and whoever can swap PM2_HOME's folders controls pm2 anyway).
 */
export async function inspectStoredLogPath(stored: string, stream: LogFileRef['stream'], defaultLogDir: string): Promise<LogPathState & { moved?: string }> {
  const state = await inspectLogPath(stored, stream);
  const folder = dirname(stored);
  const real = dirname(state.ref.path);
  if (!state.folderExists || real === folder || folder === defaultLogDir) return state;
  return { ...state, moved: `its folder ${folder} now leads to ${real} through a link (swapped in after the start was allowed, or a path pm2-mcp did not give pm2), so it is left alone` };
}

/**
 * For a restart or reload, which makes pm2 reopen the stored log files for appending (following
 * links): why the file at `stored` must not be reopened, or undefined. The path to hand the
 * policy (logFileRefusal) is the inspection's ref.path.
 */
export async function storedLogFileRefusal(stored: string, stream: LogFileRef['stream'], defaultLogDir: string): Promise<{ ref: LogFileRef; refused?: string }> {
  const state = await inspectStoredLogPath(stored, stream, defaultLogDir);
  if (state.moved) return { ref: state.ref, refused: `the ${stream} log file ${stored}: ${state.moved}` };
  if (state.kind === 'absent' || state.kind === 'regular file') return { ref: state.ref };
  return { ref: state.ref, refused: `the ${stream} log file ${stored} is a ${state.kind}: a log file must be a regular file or not exist yet` };
}

/** The log files pm2 keeps for a process (pm_out_log_path, pm_err_log_path, pm_log_path), as stored. */
export function storedLogPaths(proc: Pm2RawProcess): Array<{ stream: LogFileRef['stream']; path: string }> {
  const env = proc.pm2_env ?? {};
  const paths: Array<{ stream: LogFileRef['stream']; path: string }> = [];
  for (const [stream, path] of [['out', env.pm_out_log_path], ['err', env.pm_err_log_path], ['combined', env.pm_log_path]] as const) {
    if (typeof path === 'string' && path.length > 0) paths.push({ stream, path });
  }
  return paths;
}

export type OpenedLogFile = { handle: FileHandle } | { missing: true } | { refused: string };

// O_NOFOLLOW: the open itself refuses a link (ELOOP), so a link swapped in after the lstat below
// is still refused. O_NONBLOCK: a FIFO swapped in there cannot block the open (a read open
// returns at once, a write open fails with ENXIO). O_NOCTTY: a terminal never becomes ours.
// Where a flag does not exist (Windows) the lstat alone decides, with a race accepted there.
const FLAGS = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Opens the file `ref` names, for reading or writing (never creating it), only if it is still the
 * file that was checked: its folder's real path is still its folder (no folder swapped for a
 * link), it is not a link itself, it is a regular file, and when resolve saw it, it is the same
 * inode. Anything else is a refusal with its reason, never an exception: one bad file must not
 * hide the others of a call.
 */
export async function openLogFile(ref: LogFileRef, mode: 'read' | 'write'): Promise<OpenedLogFile> {
  const moved = await folderMoved(ref.path);
  if (moved === 'gone') return { missing: true };
  if (moved) return { refused: moved };
  // Not even opened when it is no regular file: opening a device can act (a tape rewinds).
  const info = await lstat(ref.path).catch(() => undefined);
  if (!info) return { missing: true };
  const kind = kindOf(info);
  if (kind === 'symbolic link') return { refused: 'it is a symbolic link' };
  if (kind !== 'regular file') return { refused: `it is a ${kind}, not a regular file` };
  let handle: FileHandle;
  try {
    handle = await open(ref.path, (mode === 'read' ? constants.O_RDONLY : constants.O_WRONLY) | FLAGS);
  } catch (err) {
    return openFailure(err);
  }
  const refused = await checkOpened(handle, ref);
  if (refused === undefined) return { handle };
  await handle.close();
  return { refused };
}

async function checkOpened(handle: FileHandle, ref: LogFileRef): Promise<string | undefined> {
  const info = await handle.stat();
  const kind = kindOf(info);
  if (kind !== 'regular file') return `it is a ${kind}, not a regular file`;
  if (ref.ino !== undefined && (info.ino !== ref.ino || info.dev !== ref.dev)) return 'it was replaced by another file after it was checked';
  // Checked again after the open: a folder swapped for a link and back in between is the only
  // race left, and an inode seen by resolve closes it too.
  const moved = await folderMoved(ref.path);
  return moved === 'gone' ? 'its folder disappeared while it was opened' : moved;
}

/** Why the folder is no longer the one recorded in `path` ("gone" when it does not exist). */
async function folderMoved(path: string): Promise<string | 'gone' | undefined> {
  const folder = dirname(path);
  const real = await realpath(folder).catch(() => undefined);
  if (real === undefined) return 'gone';
  return real === folder ? undefined : `its folder ${folder} now leads to ${real} (a folder or link was swapped in after it was checked)`;
}

function openFailure(err: unknown): OpenedLogFile {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return { missing: true };
  if (code === 'ELOOP' || code === 'EMLINK') return { refused: 'it is a symbolic link' };
  if (code === 'ENXIO') return { refused: 'it is a FIFO or socket, not a regular file' };
  if (code === 'EISDIR') return { refused: 'it is a folder, not a regular file' };
  return { refused: `it cannot be opened (${typeof code === 'string' ? code : (err as Error).message})` };
}

export function kindOf(info: Stats): Exclude<LogFileKind, 'absent'> {
  // A second name of a file is that file: a hard link to the audit log or to another app's log
  // would pass every path check. pm2 and pm2-mcp never make one, so a file with two names is not
  // a log file we can stand behind.
  if (info.isFile()) return info.nlink > 1 ? 'hard-linked file' : 'regular file';
  if (info.isSymbolicLink()) return 'symbolic link';
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  if (info.isDirectory()) return 'folder';
  return 'special file';
}
