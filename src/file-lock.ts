// A lock file shared by every pm2-mcp process (every MCP client spawns its own): around each audit
// append (the chain needs "read the last hash, append the next record" to be one step) and around
// a start's "is the name free, start under it". O_EXCL creation is atomic on local file systems.
//
// The file names its holder: pid, the process's start time and a token of this hold. A lock is
// stale only when its holder is gone (no such pid, or the pid now belongs to a process started
// at another time), never because it is old: a slow holder keeps its lock. Every wait has one
// deadline, given by the caller for the whole call, and sleeps between tries; no loop runs
// without both. Taking and dropping are synchronous system calls (a few µs each): only waiting
// for another process's lock yields to the event loop.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './process-alive.js';

/** How long a call waits for a lock when its caller gives no deadline. */
export const LOCK_WAIT_MS = 10_000;
/** A lock file with no holder written in it this long after its creation was left by a crash. */
const UNWRITTEN_MS = 1_000;
const MAX_PAUSE_MS = 20;

export interface LockOptions {
  /** What the lock guards, named in errors: "the audit log lock", "the start lock". */
  what: string;
  /** When to give up (epoch ms): one deadline for the whole call, however long it queued before. */
  deadline?: number;
}

/** A lock that could not be taken in time, or at all: its message names the lock and why. */
export class LockError extends Error {
  override readonly name = 'LockError';
  /** The system's error code when the file system refused the lock (ENOENT, EROFS …). */
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** Locks this process holds but could not remove (a folder turned read-only): taken again by this process, reported. */
const unreleased = new Map<string, string>();

export async function withFileLock<T>(lockPath: string, run: () => T | Promise<T>, options: LockOptions): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await run();
  } finally {
    await release(lockPath, token, options.what);
  }
}

let selfLine: string | undefined;

/**
 * This process's identity as a holder: "pid starttime", read once: neither changes while the
 * process lives, and a read of /proc/<pid>/stat goes through every thread of the process (a
 * quarter of a busy HTTP server's CPU when it was read at every append).
 */
function self(): string {
  selfLine ??= `${process.pid} ${startTime(process.pid) ?? ''}`;
  return selfLine;
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const deadline = options.deadline ?? Date.now() + LOCK_WAIT_MS;
  // A lock this process failed to remove is still this process's: take it over.
  const left = unreleased.get(lockPath);
  if (left !== undefined && holderLine(lockPath, options.what) === left) {
    unreleased.delete(lockPath);
    return left;
  }
  unreleased.delete(lockPath);
  const token = `${self()} ${randomBytes(6).toString('hex')}`;
  let pause = 1;
  for (;;) {
    if (tryTake(lockPath, token, options.what)) return token;
    const holder = inspect(lockPath, options.what);
    if (holder.stale) breakStale(lockPath, holder.line, options.what);
    const now = Date.now();
    if (now >= deadline) throw new LockError(`${options.what} ${lockPath} is held by ${holder.who}, and the call's time to wait for it ran out`);
    await sleep(Math.min(pause, Math.max(1, deadline - now)));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function tryTake(lockPath: string, token: string, what: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new LockError(`${what} ${lockPath} cannot be created (${code ?? (err as Error).message})`, code);
  }
  try {
    writeSync(fd, token);
  } catch (err) {
    // A full disk: the file exists but names no holder. Removed, so nobody waits a second for it.
    closeSync(fd);
    try {
      unlinkSync(lockPath);
    } catch {
      // Left as it is: an unwritten lock is broken after a second.
    }
    throw new LockError(`${what} ${lockPath} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  closeSync(fd);
  return true;
}

interface Holder {
  /** The holder line as read ("" when unreadable or not yet written). */
  line: string;
  stale: boolean;
  /** For errors: "pid 123 (alive)". */
  who: string;
}

function inspect(lockPath: string, what: string): Holder {
  const line = holderLine(lockPath, what);
  if (line === undefined) return { line: '', stale: false, who: 'a process that just released it' };
  const [pidText, started] = line.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) {
    // Created but never written: its creator died between the two system calls.
    const age = ageOf(lockPath);
    return { line, stale: age !== undefined && age > UNWRITTEN_MS, who: 'a process that has not written its pid' };
  }
  if (!isAlive(pid)) return { line, stale: true, who: `pid ${pid} (gone)` };
  // The pid may have been reused by another process since: its start time tells.
  const now = startTime(pid);
  if (started && now !== undefined && now !== started) return { line, stale: true, who: `pid ${pid} (reused by another process)` };
  return { line, stale: false, who: `pid ${pid} (alive)` };
}

/**
 * Removes a lock whose holder is gone, if it still holds the same line (another process may have
 * broken it and taken it meanwhile). A lock that cannot be removed (its folder read-only) is an
 * error at once: waiting would not change it.
 */
function breakStale(lockPath: string, line: string, what: string): void {
  if (holderLine(lockPath, what) !== line) return;
  try {
    unlinkSync(lockPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new LockError(`${what} ${lockPath} was left by a process that is gone, and cannot be removed (${code ?? (err as Error).message})`);
  }
}

/** Removes the lock if it is still ours; retried, then reported, when the file system refuses. */
async function release(lockPath: string, token: string, what: string): Promise<void> {
  for (const wait of [0, 5, 50]) {
    if (wait) await sleep(wait);
    let line: string | undefined;
    try {
      line = holderLine(lockPath, what);
    } catch {
      return; // Something else is there now: not ours to remove.
    }
    if (line !== token) return; // Gone, or (never) taken over by another.
    try {
      unlinkSync(lockPath);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (wait === 50) {
        unreleased.set(lockPath, token);
        process.stderr.write(`pm2-mcp: ${what} ${lockPath} cannot be removed (${code ?? (err as Error).message}): other pm2-mcp processes wait for it until this server (pid ${process.pid}) exits or the file is removed\n`);
      }
    }
  }
}

/** Its holder line; undefined when there is no file (released). At most this much is read. */
const MAX_HOLDER_BYTES = 256;

/**
 * The holder line of the lock file, read without following a link, without waiting on a FIFO and
 * never more than MAX_HOLDER_BYTES: anything else at the lock's path (a link, a FIFO, a folder, a
 * device) is no lock of ours, and an error at once that says what is there. A FIFO planted there
 * blocked the server's event loop for good, a link to /dev/zero grew it by 250 MB/s, and a folder
 * made every call wait its whole deadline (the attack on this round's action lock).
 */
function holderLine(lockPath: string, what = 'the lock'): string | undefined {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new LockError(`${what} ${lockPath} is a symbolic link, not a lock file: remove it`, code);
    if (code === 'ENXIO') throw new LockError(`${what} ${lockPath} is a FIFO or socket, not a lock file: remove it`, code);
    // EACCES (another user's file) and the like: unreadable, as a lock being written is.
    return '';
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LockError(`${what} ${lockPath} is ${st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : 'not a regular file'}, not a lock file: remove it`, 'EINVAL');
    const buffer = Buffer.alloc(MAX_HOLDER_BYTES);
    const n = readSync(fd, buffer, 0, MAX_HOLDER_BYTES, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function ageOf(lockPath: string): number | undefined {
  try {
    return Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return undefined;
  }
}


/** A process's start time in clock ticks since boot (Linux /proc), or undefined where there is none. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
