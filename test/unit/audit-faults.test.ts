// The audit log under faults: a stuck lock holder, a full disk, its folder removed while serving.
// An append is all or nothing, and every wait has one deadline per call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, serverRecord } from '../../src/audit/audit-log.js';
import type { DecisionEntry } from '../../src/audit/auditor.js';
import { verifyChain } from '../../src/audit/verify.js';
import { startTime } from '../../src/file-lock.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

function newLog(file: string, lockWaitMs?: number): AuditLog {
  return new AuditLog({
    file,
    fsync: false,
    maxBytes: 50 * 1024 * 1024,
    policy: { sources: ['preset standard'], sha256: 'a'.repeat(64), preset: 'standard', mode: 'enforce' },
    server: serverRecord('test'),
    ...(lockWaitMs !== undefined ? { lockWaitMs } : {}),
  });
}

/** A live process that is not this one, and its start time: a lock holder that never lets go. */
async function liveHolder(t: { after: (fn: () => void) => void }): Promise<{ holder: ReturnType<typeof spawn>; started: string | undefined }> {
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => void holder.kill('SIGKILL'));
  let started: string | undefined;
  for (let i = 0; i < 100 && started === undefined; i++) {
    started = startTime(holder.pid!);
    if (started === undefined) await new Promise((r) => setTimeout(r, 10));
  }
  return { holder, started };
}

function entry(reason = 'allowed'): DecisionEntry {
  return {
    decisionId: randomUUID(),
    operation: 'pm2_list_processes',
    request: { kind: 'read', operation: 'pm2_list_processes', targets: [] },
    decision: { effect: 'allow', ruleId: 'read', reason },
    effect: 'allow',
    caller: { transport: 'stdio', principal: 'local' },
  };
}

test('appends queued behind a stuck lock holder each fail at their own call\'s deadline, not one after another', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-auditlock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { holder, started } = await liveHolder(t);
  const file = join(dir, 'audit.jsonl');
  writeFileSync(`${file}.lock`, `${holder.pid} ${started} stuck`);
  const log = newLog(file, 400);
  const began = Date.now();
  const settled = await Promise.all(
    [0, 1, 2].map((i) =>
      log.decision(entry(`call ${i}`)).then(
        () => ({ ok: true, at: Date.now() - began, message: '' }),
        (err: Error) => ({ ok: false, at: Date.now() - began, message: err.message }),
      ),
    ),
  );
  for (const s of settled) {
    assert.equal(s.ok, false);
    assert.match(s.message, /the audit log lock .*audit\.jsonl\.lock is held by pid \d+ \(alive\)/);
  }
  const last = Math.max(...settled.map((s) => s.at));
  assert.ok(last < 900, `the third call answered after ${last} ms (one deadline each would be ~400 ms; queued deadlines 1 200 ms)`);
  assert.equal(existsSync(file), false, 'nothing was written');
});

test('a full disk: the failed append is cut back, the chain stays intact and goes on once there is room', async (t) => {
  const mount = mountTmpfs(t, 64 * 1024);
  if (!mount) return;
  const file = join(mount.dir, 'audit.jsonl');
  const log = newLog(file);
  // Room to free later, as an operator would by moving other files away.
  const filler = join(mount.dir, 'filler');
  writeFileSync(filler, Buffer.alloc(16 * 1024));
  // Records of ~5 KiB: one crosses the last free page, so the disk fills in the middle of a line.
  const big = 'x'.repeat(5000);
  let failures = 0;
  let sizeBefore = 0;
  for (let i = 0; i < 40 && failures === 0; i++) {
    sizeBefore = existsSync(file) ? statSync(file).size : 0;
    await log.decision(entry(`${i} ${big}`)).catch((err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOSPC');
      failures++;
    });
  }
  assert.equal(failures, 1, 'the disk filled');
  assert.equal(statSync(file).size, sizeBefore, 'the part already written was cut back');
  assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
  const verified = await verifyChain(file);
  assert.equal(verified.status, 'intact', JSON.stringify(verified));
  rmSync(filler);
  await log.decision(entry(`after ${big}`));
  const after = await verifyChain(file);
  assert.equal(after.status, 'intact', JSON.stringify(after));
});

test('the audit folder removed while serving is made again at the next append', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-auditdir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'logs', 'audit.jsonl');
  const log = newLog(file);
  await log.decision(entry('first'));
  rmSync(join(dir, 'logs'), { recursive: true, force: true });
  await log.decision(entry('second'));
  await log.flush();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal((statSync(join(dir, 'logs')).mode & 0o777).toString(8), '700');
});

test('verify tells a torn write left by a crash from an edit in the middle', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-torn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.jsonl');
  const log = newLog(file);
  for (let i = 0; i < 3; i++) await log.decision(entry(`before ${i}`));
  await log.flush();
  // A crash in the middle of the fourth append: half its line is on disk.
  const whole = readFileSync(file, 'utf8');
  writeFileSync(file, `${whole}{"kind":"decision","decision_id":"cut-sh`);
  const tail = await verifyChain(file);
  assert.equal(tail.status, 'broken');
  assert.match(tail.status === 'broken' ? tail.why : '', /torn or truncated write \(a server stopped in the middle of an append/);
  // The next server appends on a line of its own, chained to the fragment as it found it.
  const next = newLog(file);
  await next.decision(entry('after'));
  await next.flush();
  const over = await verifyChain(file);
  assert.equal(over.status, 'intact', JSON.stringify(over));
  assert.deepEqual(over.status === 'intact' ? over.torn : undefined, [{ file, line: 4 }]);
  // The fragment edited afterwards no longer matches what the next record holds: an edit.
  writeFileSync(file, readFileSync(file, 'utf8').replace('"cut-sh', '"cut-sH'));
  const edited = await verifyChain(file);
  assert.equal(edited.status, 'broken');
  assert.match(edited.status === 'broken' ? edited.why : '', /a line was edited or inserted/);
});

test('an outcome whose append failed is written with the next record, so no action that ran lacks one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-retry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { holder, started } = await liveHolder(t);
  const file = join(dir, 'audit.jsonl');
  const log = newLog(file, 300);
  const decided = entry('ran');
  await log.decision(decided);
  writeFileSync(`${file}.lock`, `${holder.pid} ${started} held`);
  await assert.rejects(log.outcome({ decisionId: decided.decisionId, ok: true, durationMs: 1, affected: [0] }), /held by pid/);
  assert.equal(log.unwrittenOutcomes, 1);
  rmSync(`${file}.lock`);
  await log.decision(entry('next'));
  await log.flush();
  const kinds = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; decision_id: string });
  assert.deepEqual(kinds.map((k) => k.kind), ['decision', 'outcome', 'decision']);
  assert.equal(kinds[1]!.decision_id, decided.decisionId);
  assert.equal(log.unwrittenOutcomes, 0);
  assert.equal((await verifyChain(file)).status, 'intact');
});

test('a full disk while taking the lock: the error names the lock, and no empty lock is left', async (t) => {
  const mount = mountTmpfs(t, 64 * 1024);
  if (!mount) return;
  const file = join(mount.dir, 'audit.jsonl');
  const log = newLog(file);
  await log.decision(entry('first'));
  await log.flush();
  // Fill every last byte: even the lock's holder line cannot be written.
  const filler = join(mount.dir, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(128 * 1024));
  } catch {
    // ENOSPC: full, as wanted.
  }
  for (let i = 0; i < 64; i++) {
    try {
      writeFileSync(join(mount.dir, `f${i}`), 'x'.repeat(4096));
    } catch {
      break;
    }
  }
  await assert.rejects(log.decision(entry('second')), (err: Error) => /ENOSPC/.test(err.message));
  assert.equal(existsSync(`${file}.lock`), false, 'an empty lock was left behind');
});
