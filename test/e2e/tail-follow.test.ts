// Logs an agent can follow (issue 11), through the built binary against a real daemon: tails with
// a cursor, with writes, a flush, a pm2-logrotate rotation (copy, then truncate) and a rename
// rotation with pm2_reload_logs between them, return every line exactly once. The app writes a
// numbered batch of out and err lines each time the test asks (a trigger file), with pm2's
// `time` prefix, so `combined` interleaves the two streams by time.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, realpathSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, connect, destroyHome, makeTempDir, textOf, waitFor, type Session } from '../helpers/harness.js';
import { tailRuns, type TailRun } from '../helpers/tail-runs.js';

const BATCH = 40;

interface Tail {
  logs: TailRun[];
  cursor: string;
  more: boolean;
  lost: Array<{ path: string; reason: string }>;
  rotated: Array<{ path: string; copy: string }>;
  time_ordered?: boolean;
}

const APP = `
const { readFileSync } = require('node:fs');
const trigger = process.argv[2];
let done = 0;
let seq = 0;
console.log('ready');
setInterval(() => {
  let wanted = 0;
  try { wanted = Number(readFileSync(trigger, 'utf8')) || 0; } catch {}
  for (; done < wanted; done++) {
    for (let i = 0; i < ${BATCH}; i++, seq++) { console.log('L' + seq); console.error('E' + seq); }
  }
}, 30);
`;

describe('pm2_tail_logs with a cursor follows the logs of a real daemon', () => {
  let home: string;
  let proj: string;
  let s: Session;
  let batches = 0;
  let outLog = '';
  let errLog = '';

  /** Lines without pm2's time prefix. */
  const bare = (line: string) => line.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: /, '');
  const fileLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map(bare);

  /** One more batch, and wait until pm2 has written all of it to both files. */
  const batch = async () => {
    batches += 1;
    writeFileSync(join(proj, 'trigger'), String(batches));
    const last = batches * BATCH - 1;
    await waitFor(() => (fileLines(outLog).includes(`L${last}`) && fileLines(errLog).includes(`E${last}`)) || undefined, `batch ${batches} in the files`);
  };

  const tail = async (args: Record<string, unknown>): Promise<{ text: string; result: Tail }> => {
    const r = await call(s.client, 'pm2_tail_logs', { process: 'follow', type: 'combined', ...args });
    assert.equal(r.isError, undefined, textOf(r));
    return { text: textOf(r), result: { ...(r.structuredContent as unknown as Tail), logs: tailRuns(r) } };
  };

  before(async () => {
    home = await makeTempDir('pm2mcp-tf-');
    proj = realpathSync(await makeTempDir('pm2mcp-tfp-'));
    writeFileSync(join(proj, 'package.json'), '{ "name": "tf-project", "private": true }\n');
    writeFileSync(join(proj, 'app.js'), APP);
    writeFileSync(join(proj, 'trigger'), '0');
    writeFileSync(join(proj, 'eco.json'), JSON.stringify({ apps: [{ name: 'follow', script: 'app.js', args: [join(proj, 'trigger')], time: true }] }));
    s = await connect({ home, cwd: proj });
    const started = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'eco.json' });
    assert.equal(started.isError, undefined, textOf(started));
    const described = await call(s.client, 'pm2_describe_process', { process: 'follow' });
    const [d] = (described.structuredContent as { processes: Array<{ logs: { out: string; err: string } }> }).processes;
    outLog = d!.logs.out;
    errLog = d!.logs.err;
    await waitFor(() => { try { return fileLines(outLog).includes('ready') || undefined; } catch { return undefined; } }, 'the app ready');
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(proj, { recursive: true, force: true });
  });

  test('writes, a flush, a copy-truncate rotation and a rename with reload_logs: every line exactly once', async () => {
    const seen: string[] = [];
    const first = await tail({ lines: 5 });
    assert.ok(first.result.logs.some((r) => r.lines.some((l) => bare(l) === 'ready')), first.text);
    assert.equal(first.result.time_ordered, true, 'pm2 wrote the time: the streams are interleaved');
    assert.ok(first.text.endsWith(`cursor: ${first.result.cursor}`));
    let cursor = first.result.cursor;
    const follow = async (lines = 1000): Promise<Tail[]> => {
      const replies: Tail[] = [];
      for (let i = 0; i < 100; i++) {
        const t = await tail({ cursor, lines });
        replies.push(t.result);
        cursor = t.result.cursor;
        for (const run of t.result.logs) seen.push(...run.lines.map(bare));
        if (!t.result.more) return replies;
      }
      throw new Error('more never ended');
    };

    // 1. Writes since the cursor.
    await batch();
    const r1 = await follow();
    assert.deepEqual(r1.flatMap((r) => r.lost), []);

    // 2. A flush (after everything was read), then writes: the truncation is said, nothing missed.
    const flushed = await call(s.client, 'pm2_flush_logs', { process: 'follow' });
    assert.equal(flushed.isError, undefined, textOf(flushed));
    await batch();
    const r2 = await follow();
    assert.equal(r2[0]!.lost.length, 2, 'both files were emptied since the cursor');

    // 3. Writes, then pm2-logrotate's rotation (copy to name__date.log, then truncate), then writes.
    await batch();
    for (const log of [outLog, errLog]) {
      copyFileSync(log, log.replace(/\.log$/, '__2025-01-01_00-00-00.log'));
      truncateSync(log, 0);
    }
    await batch();
    const r3 = await follow();
    assert.deepEqual(r3.flatMap((r) => r.lost), [], 'the rotated copy held the lines');
    assert.equal(r3[0]!.rotated.length, 2);

    // 4. Writes, a rename rotation, pm2_reload_logs (pm2 reopens by name), writes; read 25 lines at a time.
    await batch();
    for (const log of [outLog, errLog]) renameSync(log, `${log}.1`);
    const reloaded = await call(s.client, 'pm2_reload_logs');
    assert.equal(reloaded.isError, undefined, textOf(reloaded));
    await batch();
    const r4 = await follow(25);
    assert.ok(r4.length > 1 && r4.every((r) => r.logs.reduce((n, run) => n + run.lines.length, 0) <= 25), 'bounded replies, with more said');
    assert.deepEqual(r4.flatMap((r) => r.lost), []);

    const expected = ['L', 'E'].flatMap((tag) => Array.from({ length: batches * BATCH }, (_, i) => `${tag}${i}`));
    assert.deepEqual([...seen].sort(), [...expected].sort(), 'every line exactly once');
    // Each stream in its order.
    for (const tag of ['L', 'E']) assert.deepEqual(seen.filter((l) => l.startsWith(tag)), expected.filter((l) => l.startsWith(tag)));
  });

  test('grep keeps matching lines before the lines bound; a bad regex or cursor is refused', async () => {
    // The out log holds the last batch only now (L200..L239): four lines end in 7, fewer than asked.
    const t = await tail({ type: 'out', grep: '/: L\\d*7$/', lines: 5 });
    assert.deepEqual(t.result.logs.flatMap((r) => r.lines).map(bare), ['L207', 'L217', 'L227', 'L237']);
    const literal = await tail({ type: 'err', grep: 'E23', lines: 3 });
    assert.deepEqual(literal.result.logs.flatMap((r) => r.lines).map(bare), ['E237', 'E238', 'E239']);
    const bad = await call(s.client, 'pm2_tail_logs', { process: 'follow', grep: '/(a)\\1/' });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /^INVALID_ARGUMENTS: grep: /);
    const forged = await call(s.client, 'pm2_tail_logs', { process: 'follow', cursor: Buffer.from('{"path":"/etc/passwd"}').toString('base64url') });
    assert.equal(forged.isError, true);
    assert.match(textOf(forged), /^INVALID_ARGUMENTS: cursor: /);
  });

  test('the structure does not repeat the name and id per line, and the text is the lines', async () => {
    const t = await tail({ type: 'out', lines: 3 });
    assert.equal(t.result.logs.length, 1);
    const [run] = t.result.logs;
    assert.deepEqual(Object.keys(run!).sort(), ['lines', 'name', 'pm_id', 'stream']);
    assert.ok(t.text.startsWith(`${run!.lines.join('\n')}\ncursor: `), t.text);
  });
});
