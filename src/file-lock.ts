// A lock file shared by every pm2-mcp process (every MCP client spawns its own): around each audit
// append (the chain needs "read the last hash, append the next record" to be one step) and around
// a start's "is the name free, start under it". O_EXCL creation is atomic on local file systems; a lock left by a dead process, or older
// than STALE_MS, is broken. Taking and dropping it are synchronous system calls (a few µs each):
// only waiting for another process's lock yields to the event loop.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

const STALE_MS = 10_000;
const WAIT_MS = 10_000;

export async function withFileLock<T>(lockPath: string, run: () => T | Promise<T>): Promise<T> {
  await acquire(lockPath);
  try {
    return await run();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // Broken by another process as stale: nothing to release.
    }
  }
}

function tryTake(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function acquire(lockPath: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let pause = 1;
  for (;;) {
    if (tryTake(lockPath)) return;
    if (stale(lockPath)) {
      try {
        unlinkSync(lockPath);
      } catch {
        // Someone else broke it first.
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the audit log lock ${lockPath} is held by another process for more than ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 20);
  }
}

function stale(lockPath: string): boolean {
  try {
    const age = Date.now() - statSync(lockPath).mtimeMs;
    if (age > STALE_MS) return true;
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) return age > 1_000; // still being written
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // Gone already: the next try takes it.
  }
}
