// A lock file around each append, so that several pm2-mcp processes (every MCP client spawns its
// own) can share one log: the chain needs "read the last hash, append the next record" to be one
// step. O_EXCL creation is atomic on local file systems; a lock left by a dead process, or older
// than STALE_MS, is broken.
import { open, readFile, stat, unlink } from 'node:fs/promises';

const STALE_MS = 10_000;
const WAIT_MS = 10_000;

export async function withFileLock<T>(lockPath: string, run: () => Promise<T>): Promise<T> {
  await acquire(lockPath);
  try {
    return await run();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function acquire(lockPath: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let pause = 1;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.write(String(process.pid));
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await stale(lockPath)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the audit log lock ${lockPath} is held by another process for more than ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 20);
  }
}

async function stale(lockPath: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number.parseInt(text, 10);
    if (Date.now() - info.mtimeMs > STALE_MS) return true;
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 1_000; // still being written
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
