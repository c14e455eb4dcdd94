// The lock across pm2-mcp processes: stale means the holder is gone (pid and start time), never
// merely old; every wait has one deadline and sleeps; a lock that cannot be removed is an error
// that names it, at once, not a spin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTime, withFileLock } from '../../src/file-lock.js';
import { hasMkfifo } from '../helpers/fifo.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'pm2mcp-lock-'));
}

/** A live process that is not this one, stopped by its pid when the test ends. */
function liveProcess(t: { after: (fn: () => void) => void }): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

async function startedOf(child: ChildProcess): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const s = startTime(child.pid!);
    if (s !== undefined) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no start time');
}

/** A pid that no process has: a child that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

const LOCK = { what: 'the test lock' };

test('a lock whose holder is gone is broken at once', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, `${await deadPid()} 1 abc`);
  const began = Date.now();
  assert.equal(await withFileLock(lock, () => 'ran', { ...LOCK, deadline: Date.now() + 2_000 }), 'ran');
  assert.ok(Date.now() - began < 500, 'taken without waiting out the deadline');
  assert.equal(existsSync(lock), false, 'released');
});

test('a lock held by a live process is never broken, however old its file', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = liveProcess(t);
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, `${child.pid} ${await startedOf(child)} abc`);
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(lock, hourAgo, hourAgo);
  let ran = false;
  await assert.rejects(
    withFileLock(lock, () => (ran = true), { ...LOCK, deadline: Date.now() + 300 }),
    (err: Error) => err.message.includes('the test lock') && err.message.includes(`pid ${child.pid} (alive)`) && err.message.includes(lock),
  );
  assert.equal(ran, false);
  assert.equal(readFileSync(lock, 'utf8').startsWith(String(child.pid)), true, 'the holder keeps its lock');
});

test('a pid reused by a process started at another time is a stale lock', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = liveProcess(t);
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, `${child.pid} 1 abc`); // started at tick 1: not this process
  assert.equal(await withFileLock(lock, () => 'ran', { ...LOCK, deadline: Date.now() + 2_000 }), 'ran');
});

test('a lock file created and never written is broken once it is older than a second', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, '');
  const old = new Date(Date.now() - 5_000);
  utimesSync(lock, old, old);
  assert.equal(await withFileLock(lock, () => 'ran', { ...LOCK, deadline: Date.now() + 2_000 }), 'ran');
});

test('the holder line names this process, its start time and a token of the hold', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  const line = await withFileLock(lock, () => readFileSync(lock, 'utf8'), LOCK);
  const [pid, started, token] = line.split(' ');
  assert.equal(pid, String(process.pid));
  assert.equal(started, startTime(process.pid));
  assert.match(token!, /^[0-9a-f]{12}$/);
});

test('the caller\'s deadline bounds the wait, and the wait sleeps (no spin)', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = liveProcess(t);
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, `${child.pid} ${await startedOf(child)} abc`);
  const cpuBefore = process.cpuUsage();
  const began = Date.now();
  await assert.rejects(withFileLock(lock, () => undefined, { ...LOCK, deadline: Date.now() + 400 }));
  const waited = Date.now() - began;
  const cpu = process.cpuUsage(cpuBefore);
  assert.ok(waited >= 380 && waited < 1_000, `waited ${waited} ms`);
  assert.ok((cpu.user + cpu.system) / 1000 < waited * 0.5, `a waiting loop used ${(cpu.user + cpu.system) / 1000} ms of CPU in ${waited} ms`);
});

test('a deadline already past fails at once', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = liveProcess(t);
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, `${child.pid} ${await startedOf(child)} abc`);
  const began = Date.now();
  await assert.rejects(withFileLock(lock, () => undefined, { ...LOCK, deadline: Date.now() - 1 }));
  assert.ok(Date.now() - began < 100);
});

test('a folder where no lock can be made is an error naming the lock, not a wait', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'missing', 'x.lock');
  await assert.rejects(withFileLock(lock, () => undefined, LOCK), (err: Error) => err.message.includes('the test lock') && err.message.includes('ENOENT'));
});

test('a stale lock on a read-only file system: an error at once that says it cannot be removed', async (t) => {
  const mount = mountTmpfs(t, 64 * 1024);
  if (!mount) return;
  const lock = join(mount.dir, 'x.lock');
  writeFileSync(lock, `${await deadPid()} 1 abc`);
  mount.readOnly();
  const cpuBefore = process.cpuUsage();
  const began = Date.now();
  await assert.rejects(withFileLock(lock, () => undefined, { ...LOCK, deadline: Date.now() + 5_000 }), (err: Error) => /cannot be removed \(EROFS\)/.test(err.message) && err.message.includes('the test lock'));
  assert.ok(Date.now() - began < 1_000, 'no waiting for the deadline');
  const cpu = process.cpuUsage(cpuBefore);
  assert.ok((cpu.user + cpu.system) / 1000 < 500);
});

test('a lock that cannot be released is reported, kept by this process, and taken again by it', async (t) => {
  const mount = mountTmpfs(t, 64 * 1024);
  if (!mount) return;
  const lock = join(mount.dir, 'x.lock');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await withFileLock(lock, () => mount.readOnly(), LOCK);
  } finally {
    process.stderr.write = write;
  }
  assert.ok(written.some((l) => l.includes('the test lock') && l.includes('cannot be removed (EROFS)')), written.join(''));
  assert.equal(existsSync(lock), true, 'still there');
  // Another holder would wait for this live process; this process takes its own lock again.
  assert.equal(await withFileLock(lock, () => 'again', { ...LOCK, deadline: Date.now() + 500 }), 'again');
});

// Anything but a regular file at a lock's path is an error at once that says what is there: a
// FIFO blocked the event loop for good, a link to /dev/zero grew the server by 250 MB/s, a folder
// or a dangling link made every call wait its whole deadline for "a process that just released it".
const notLockFiles: Array<{ name: string; make: (lock: string, dir: string) => void; says: RegExp }> = [
  { name: 'a folder', make: (lock) => mkdirSync(lock), says: /is a folder, not a lock file: remove it/ },
  { name: 'a link to /dev/zero', make: (lock) => symlinkSync('/dev/zero', lock), says: /is a symbolic link, not a lock file: remove it/ },
  { name: 'a dangling link', make: (lock, dir) => symlinkSync(join(dir, 'nowhere'), lock), says: /is a symbolic link, not a lock file/ },
  { name: 'a link to a real lock file', make: (lock, dir) => (writeFileSync(join(dir, 'other'), '1 2 3'), symlinkSync(join(dir, 'other'), lock)), says: /is a symbolic link/ },
  ...(hasMkfifo ? [{ name: 'a FIFO', make: (lock: string) => execFileSync('mkfifo', [lock]), says: /is a FIFO, not a lock file: remove it/ }] : []),
];

for (const c of notLockFiles) {
  test(`${c.name} at the lock's path: an error at once, and nothing runs`, async (t) => {
    const dir = folder();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const lock = join(dir, 'x.lock');
    c.make(lock, dir);
    let ran = false;
    const began = Date.now();
    await assert.rejects(withFileLock(lock, () => void (ran = true), LOCK), (err: Error) => err.message.includes('the test lock') && c.says.test(err.message));
    assert.ok(Date.now() - began < 500, `took ${Date.now() - began} ms`);
    assert.equal(ran, false);
  });
}

test('a lock file of 1 MB is read no further than a holder line', async (t) => {
  const dir = folder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  writeFileSync(lock, 'x'.repeat(1 << 20));
  // Garbage names no pid: broken as an unwritten lock once it is a second old.
  utimesSync(lock, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
  await withFileLock(lock, () => undefined, LOCK);
  assert.equal(existsSync(lock), false);
});
