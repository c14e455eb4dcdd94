// pm2_diagnose_process and the prompts against a real daemon: a crash-looping app is named a
// loop, with its exit code and its error (a stack trace is one entry); an online app is stable;
// the prompts are listed when their tools are, and their steps name the process; a combined tail
// of an app without pm2's `time` option is ordered by when the server heard each line.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { tailRuns } from '../helpers/tail-runs.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');

interface Diagnosis {
  pm_id: number;
  status: string;
  restarts: { total: number; recent: number; unstable: number };
  exits: Array<{ at: string; code?: number; signal?: string; up_ms?: number; source: string }>;
  findings: Array<{ kind: string; fact: string; source: string }>;
  errors: Array<{ lines: string[]; count: number }>;
  next_steps: Array<{ step: string; because: string }>;
  history: { listening: boolean; since?: string };
}

const diagnosisOf = (r: { structuredContent?: unknown }) => (r.structuredContent as { processes: Diagnosis[] }).processes;

describe('pm2_diagnose_process and the prompts', () => {
  let home: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-diag-');
    s = await connect({ home, cwd: FIXTURES });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('a crash-looping app: the loop pm2 gave up on, its exit code, its error as one entry, the next step', async () => {
    const started = await call(s.client, 'pm2_start_process', { script: 'diagnose/throws.cjs', name: 'thrower', waitUntil: 'none' });
    assert.equal(started.isError, undefined, textOf(started));
    // pm2 gives up after max_restarts (16) unstable restarts.
    await waitFor(async () => {
      const list = await call(s.client, 'pm2_describe_process', { process: 'thrower' });
      return textOf(list).includes('errored') || undefined;
    }, 'thrower errored', 30_000);
    const r = await call(s.client, 'pm2_diagnose_process', { process: 'thrower' });
    assert.equal(r.isError, undefined, textOf(r));
    const [d] = diagnosisOf(r);
    assert.equal(d!.status, 'errored');
    const gaveUp = d!.findings.find((f) => f.kind === 'gave_up');
    assert.ok(gaveUp, textOf(r));
    assert.match(gaveUp.fact, /gave up restarting it/);
    assert.ok(d!.exits.length >= 3, textOf(r));
    assert.ok(d!.exits.every((e) => e.code === 1), `exit codes: ${JSON.stringify(d!.exits)}`);
    assert.ok(d!.exits.some((e) => e.source === 'bus' && e.up_ms !== undefined), 'the exits heard on the bus carry the run\'s up time');
    // Node's report of the uncaught exception, written 17 times: one entry with its count.
    const entry = d!.errors.find((e) => e.lines.some((l) => l.includes('Error: boom: cannot reach db')));
    assert.ok(entry, textOf(r));
    assert.ok(entry.count >= 3, `count ${entry.count}`);
    assert.ok(entry.lines.some((l) => /^\s+at connect \(/.test(l)), 'the stack frames are in the entry');
    assert.equal(entry.lines[0], 'Error: boom: cannot reach db at 10.0.0.5:5432');
    assert.ok(d!.next_steps.some((st) => st.step.includes('pm2_tail_logs')), textOf(r));
    assert.equal(d!.history.listening, true);
    assert.match(textOf(r), /^thrower \(pm_id \d+\): errored; restarts \d+/);
    assert.match(textOf(r), /error ×\d+:/);
    await call(s.client, 'pm2_delete_process', { process: 'thrower' });

    // pm2 gives the name and the pm_id again (no process left: it counts from 0 again), and
    // names its log files by name: the old exits, in pm2.log and in the bus history, are not this one's.
    const again = await call(s.client, 'pm2_start_process', { script: 'diagnose/alternate.js', name: 'thrower' });
    assert.equal(again.isError, undefined, textOf(again));
    const [fresh] = diagnosisOf(await call(s.client, 'pm2_diagnose_process', { process: 'thrower' }));
    assert.equal(fresh!.pm_id, d!.pm_id, 'the test needs the pm_id given again');
    assert.deepEqual(fresh!.exits, [], JSON.stringify(fresh!.exits));
    assert.ok(!fresh!.findings.some((f) => f.kind === 'restart_loop' || f.kind === 'gave_up'), JSON.stringify(fresh!.findings));
    await call(s.client, 'pm2_delete_process', { process: 'thrower' });
  });

  test('an app killed by a signal: the wait says which signal, and so does diagnose', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'diagnose/killself.cjs', name: 'killed', timeoutMs: 8000 });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^NOT_ONLINE: /);
    assert.match(textOf(r), /killed \(pm_id \d+\): was killed by SIGKILL/);
    const meta = (r._meta?.['pm2-mcp/error'] ?? {}) as { wait?: { instances: Array<{ exit_signal?: string; exit_code?: number }> } };
    assert.equal(meta.wait!.instances[0]!.exit_signal, 'SIGKILL');
    const [d] = diagnosisOf(await call(s.client, 'pm2_diagnose_process', { process: 'killed' }));
    assert.ok(d!.exits.some((e) => e.signal === 'SIGKILL'), JSON.stringify(d!.exits));
    await call(s.client, 'pm2_delete_process', { process: 'killed' });
  });

  test('an online app is stable, with no exit in the recent window', async () => {
    const started = await call(s.client, 'pm2_start_process', { script: 'diagnose/alternate.js', name: 'steady' });
    assert.equal(started.isError, undefined, textOf(started));
    const [d] = diagnosisOf(await call(s.client, 'pm2_diagnose_process', { process: 'steady' }));
    assert.equal(d!.status, 'online');
    assert.deepEqual(d!.findings.map((f) => f.kind), ['stable']);
    assert.equal(d!.restarts.recent, 0);
  });

  test('combined, without pm2\'s time option: out and err interleaved by when the server heard each line', async () => {
    const runs = await waitFor(async () => {
      const r = await call(s.client, 'pm2_tail_logs', { process: 'steady', type: 'combined', lines: 10 });
      const lines = tailRuns(r).flatMap((run) => run.lines);
      return lines.length >= 6 ? { r, lines } : undefined;
    }, 'six lines of steady');
    assert.deepEqual(runs.lines, ['o0', 'e1', 'o2', 'e3', 'o4', 'e5']);
    const sc = runs.r.structuredContent as { time_ordered: boolean; time_source?: string };
    assert.equal(sc.time_ordered, true);
    assert.equal(sc.time_source, 'server');
    await call(s.client, 'pm2_delete_process', { process: 'steady' });
  });

  test('the prompts: listed, their steps name the process, a bad argument is refused', async () => {
    const { prompts } = await s.client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['diagnose', 'restart-safely']);
    const got = await s.client.getPrompt({ name: 'diagnose', arguments: { process: 'api' } });
    const text = (got.messages[0]!.content as { text: string }).text;
    assert.match(text, /pm2_diagnose_process with \{"process": "api"\}/);
    const byId = await s.client.getPrompt({ name: 'restart-safely', arguments: { process: '3' } });
    assert.match((byId.messages[0]!.content as { text: string }).text, /pm2_restart_process with \{"process": 3, "waitUntil": "ready"/);
    await assert.rejects(s.client.getPrompt({ name: 'diagnose', arguments: { process: 'x'.repeat(201) } }), /needs the argument "process"/);
    await assert.rejects(s.client.getPrompt({ name: 'nope', arguments: {} }), /Unknown prompt/);
  });

  test('under readonly, restart-safely is not listed: its restart would be refused', async () => {
    const ro = await connect({ home, cwd: FIXTURES, args: ['--policy', 'readonly'] });
    try {
      const { prompts } = await ro.client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name), ['diagnose']);
      await assert.rejects(ro.client.getPrompt({ name: 'restart-safely', arguments: { process: 'api' } }), /Unknown prompt/);
    } finally {
      await ro.close();
    }
  });
});
