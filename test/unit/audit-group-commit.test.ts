// Group commit (src/audit/chain-writer.ts): records handed over in one turn of the event loop are
// written under one hold of the lock, and still each record is settled on its own: only once its
// line is in the file, with its own wait for the lock, and failing only where it would have failed
// written alone (a full disk, rotation at maxBytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainWriter } from '../../src/audit/chain-writer.js';
import { chainFiles } from '../../src/audit/files.js';
import { verifyChain } from '../../src/audit/verify.js';
import { startTime, withFileLock } from '../../src/file-lock.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

function folder(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-group-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A writer whose lock holds are counted. */
function counted(file: string, options: { maxBytes?: number; lockWaitMs?: number } = {}): { writer: ChainWriter; holds: () => number } {
  let holds = 0;
  const lock: typeof withFileLock = (path, run, opts) => withFileLock(path, () => {
    holds++;
    return run();
  }, opts);
  return { writer: new ChainWriter({ file, maxBytes: options.maxBytes ?? 50 * 1024 * 1024, lock, ...(options.lockWaitMs ? { lockWaitMs: options.lockWaitMs } : {}) }), holds: () => holds };
}

const body = (note: string) => ({ kind: 'decision', decision_id: randomUUID(), note });
const ids = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { decision_id: string }).decision_id);

async function liveHolder(t: { after: (fn: () => void) => void }): Promise<string> {
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => void holder.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const started = startTime(holder.pid!);
    if (started !== undefined) return `${holder.pid} ${started} held`;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no start time for the holder');
}

test('50 records handed over at once: one hold of the lock, each settled only once its line is in the file', async (t) => {
  const file = join(folder(t), 'audit.jsonl');
  const { writer, holds } = counted(file);
  const bodies = Array.from({ length: 50 }, (_, i) => body(`r${i}`));
  const seenOnDisk = await Promise.all(bodies.map((b) => writer.append(b, { sync: b.note === 'r7', keep: false }).then(() => ids(file).includes(b.decision_id))));
  assert.ok(seenOnDisk.every(Boolean), 'a promise settled before its line was written');
  assert.equal(holds(), 1);
  assert.deepEqual(ids(file), bodies.map((b) => b.decision_id), 'in the order handed over');
  assert.equal((await verifyChain(file)).status, 'intact');
  // One after another, each its own hold, as before.
  for (let i = 0; i < 3; i++) await writer.append(body(`s${i}`), { sync: false, keep: false });
  assert.equal(holds(), 4);
  assert.equal((await verifyChain(file)).status, 'intact');
});

test('a record handed over while others wait for the lock keeps its own wait: it is written if the lock comes free in its time', async (t) => {
  const file = join(folder(t), 'audit.jsonl');
  writeFileSync(`${file}.lock`, await liveHolder(t));
  const { writer } = counted(file, { lockWaitMs: 1_000 });
  const began = Date.now();
  const settle = (p: Promise<void>) => p.then(() => ({ ok: true, at: Date.now() - began }), () => ({ ok: false, at: Date.now() - began }));
  const first = settle(writer.append(body('at 0'), { sync: false, keep: false }));
  await new Promise((r) => setTimeout(r, 300));
  const second = settle(writer.append(body('at 300'), { sync: false, keep: false }));
  await new Promise((r) => setTimeout(r, 500));
  const third = settle(writer.append(body('at 800'), { sync: false, keep: false }));
  // The second and third queue behind the first, and go in one batch once it gives up (~1 000 ms):
  // the second gives up at ~1 300 ms, the third still has until ~1 800 ms.
  setTimeout(() => rmSync(`${file}.lock`), 1_500 - (Date.now() - began));
  const [a, b, c] = await Promise.all([first, second, third]);
  assert.equal(a.ok, false);
  assert.equal(b.ok, false);
  assert.ok(b.at >= 1_250, `the second gave up after ${b.at} ms, before its own deadline`);
  assert.equal(c.ok, true, `the third failed after ${c.at} ms`);
  assert.equal(ids(file).length, 1);
});

test('rotation inside a batch: each file was under maxBytes before its last record, as when written one by one', async (t) => {
  const file = join(folder(t), 'audit.jsonl');
  const MAX = 2_000;
  const { writer, holds } = counted(file, { maxBytes: MAX });
  const bodies = Array.from({ length: 40 }, (_, i) => body(`r${i} ${'x'.repeat(100)}`));
  await Promise.all(bodies.map((b) => writer.append(b, { sync: false, keep: false })));
  assert.equal(holds(), 1);
  const files = await chainFiles(file);
  assert.ok(files.length >= 3, `${files.length} files`);
  for (const f of files.slice(0, -1)) {
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    assert.ok(statSync(f).size - Buffer.byteLength(lines.at(-1)!) - 1 < MAX, `${f} was rotated late`);
    assert.ok(statSync(f).size >= MAX, `${f} was rotated early`);
  }
  assert.deepEqual((await verifyChain(file)).status, 'intact');
  assert.equal(files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n')).length, 40);
});

test('a full disk under a batch: it is cut back, and each record then succeeds or fails as it would alone', async (t) => {
  const mount = mountTmpfs(t, 64 * 1024);
  if (!mount) return;
  const file = join(mount.dir, 'audit.jsonl');
  const { writer } = counted(file);
  await writer.append(body('first'), { sync: false, keep: false });
  // Fill the disk but for a few KiB: small records still fit, a 16 KiB one does not.
  const filler = join(mount.dir, 'filler');
  writeFileSync(filler, Buffer.alloc(64 * 1024 - statSync(file).size - 12 * 1024));
  const small = [body('small 1'), body('small 2')];
  const big = body(`big ${'x'.repeat(16 * 1024)}`);
  const settled = await Promise.all([small[0]!, big, small[1]!].map((b) => writer.append(b, { sync: false, keep: false }).then(() => 'ok', (err: NodeJS.ErrnoException) => err.code)));
  assert.deepEqual(settled, ['ok', 'ENOSPC', 'ok']);
  assert.deepEqual(ids(file).slice(1), small.map((b) => b.decision_id));
  assert.equal((await verifyChain(file)).status, 'intact');
  rmSync(filler);
});

test('a kept record (an outcome that could not be written) goes first into the next batch, and flush tries it once more', async (t) => {
  const file = join(folder(t), 'audit.jsonl');
  const { writer } = counted(file, { lockWaitMs: 300 });
  await writer.append(body('decision'), { sync: false, keep: false });
  writeFileSync(`${file}.lock`, await liveHolder(t));
  const outcome = body('outcome');
  await assert.rejects(writer.append(outcome, { sync: false, keep: true }), /held by pid/);
  assert.equal(writer.keptCount, 1);
  await writer.flush();
  assert.equal(writer.keptCount, 1, 'the lock still held: kept');
  rmSync(`${file}.lock`);
  const next = body('next');
  await writer.append(next, { sync: false, keep: false });
  assert.deepEqual(ids(file).slice(1), [outcome.decision_id, next.decision_id]);
  assert.equal(writer.keptCount, 0);
  await writer.flush();
  assert.equal(existsSync(`${file}.lock`), false);
});
