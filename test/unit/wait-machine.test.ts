// The pure parts of a wait: when it ends, decided from a sequence of bus events and ticks; the
// ready pattern (linear time); the policy's bound on timeoutMs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BusEvent } from '../../src/pm2/bus.js';
import { toBusEvent } from '../../src/pm2/bus.js';
import { EXIT_DRAIN_MS, RESTART_GRACE_MS, WaitMachine, type WaitPlan } from '../../src/pm2/wait-machine.js';
import { compileReadyPattern } from '../../src/pm2/wait-pattern.js';
import { waitReport, waitText } from '../../src/pm2/wait-report.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { presetPolicy } from '../helpers/policies.js';
import { startApp } from '../helpers/fixtures.js';

const T0 = 1_000_000;

function plan(over: Partial<WaitPlan> = {}): WaitPlan {
  return { until: 'online', ids: new Set([0]), startedAt: T0, deadline: T0 + 10_000, lastLines: 20, ...over };
}

function proc(event: string, at: number, over: Partial<Extract<BusEvent, { kind: 'process' }>> = {}): BusEvent {
  return { kind: 'process', event, pmId: 0, name: 'api', status: event === 'online' ? 'online' : 'stopped', launchedAt: T0 + 5, restarts: 0, exitCode: undefined, minUptimeMs: 1000, autorestart: true, at, ...over };
}

const log = (stream: 'out' | 'err', data: string, at: number): BusEvent => ({ kind: 'log', stream, pmId: 0, name: 'api', data, at });

describe('the wait machine', () => {
  test('"online" ends once the app stayed online for its min_uptime, not before', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('online', T0 + 10));
    assert.equal(m.done(), false);
    assert.equal(m.nextDeadline(), T0 + 5 + 1000);
    m.feed({ kind: 'tick', at: T0 + 900 });
    assert.equal(m.done(), false);
    m.feed({ kind: 'tick', at: T0 + 1005 });
    assert.equal(m.done(), true);
    const [o] = m.outcomes();
    assert.equal(o!.result, 'online');
    assert.equal(o!.onlineSince, T0 + 5);
  });

  test('"ready" said before its min_uptime is ready only once the app has been up that long; an exit before is an exit', () => {
    const ready = plan({ until: 'ready', ready: 'message' });
    const dies = new WaitMachine(ready);
    dies.feed(proc('online', T0 + 10));
    dies.feed({ kind: 'message', pmId: 0, name: 'api', raw: 'ready', at: T0 + 100 });
    assert.equal(dies.done(), false, 'said ready 95 ms after its launch: not yet');
    assert.equal(dies.nextDeadline(), T0 + 5 + 1000);
    dies.feed(proc('exit', T0 + 105, { exitCode: 1 }));
    dies.feed({ kind: 'tick', at: T0 + 105 + EXIT_DRAIN_MS });
    assert.equal(dies.done(), true);
    assert.equal(dies.outcomes()[0]!.result, 'exited');
    assert.equal(dies.outcomes()[0]!.exitCode, 1);

    const lives = new WaitMachine(ready);
    lives.feed(proc('online', T0 + 10));
    lives.feed({ kind: 'message', pmId: 0, name: 'api', raw: 'ready', at: T0 + 100 });
    lives.feed({ kind: 'tick', at: T0 + 1005 });
    assert.equal(lives.done(), true);
    assert.equal(lives.outcomes()[0]!.result, 'ready');
    assert.equal(lives.outcomes()[0]!.readyAfterMs, 100, 'ready after: when it said so');

    const late = new WaitMachine(ready);
    late.feed(proc('online', T0 + 10));
    late.feed({ kind: 'message', pmId: 0, name: 'api', raw: 'ready', at: T0 + 2000 });
    assert.equal(late.done(), true, 'said ready after its min_uptime: ready at once');
  });

  test('the first exit ends it, after the trailing output, with the exit code and the error lines', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('online', T0 + 10));
    m.feed(log('out', 'starting\n', T0 + 20));
    m.feed(proc('exit', T0 + 60, { exitCode: 2 }));
    assert.equal(m.done(), false, 'the pipes may still hold the error');
    m.feed(log('err', 'Error: no config\n    at main (app.js:1)\n', T0 + 70));
    m.feed(proc('online', T0 + 80, { launchedAt: T0 + 80, restarts: 1 }));
    m.feed(log('err', 'Error: the next run\n', T0 + 90));
    m.feed({ kind: 'tick', at: T0 + 60 + EXIT_DRAIN_MS });
    assert.equal(m.done(), true);
    const [o] = m.outcomes();
    assert.equal(o!.result, 'exited');
    assert.equal(o!.exitCode, 2);
    assert.equal(o!.upMs, 55);
    assert.equal(o!.willRestart, true);
    assert.deepEqual(o!.lastLines, ['Error: no config', '    at main (app.js:1)']);
  });

  test('a run launched before the action (the one a restart stops) is not the one waited for', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('exit', T0 + 3, { launchedAt: T0 - 60_000, exitCode: 0 }));
    m.feed({ kind: 'tick', at: T0 + 500 });
    assert.equal(m.done(), false);
    m.feed(proc('online', T0 + 20));
    m.feed({ kind: 'tick', at: T0 + 2000 });
    assert.equal(m.outcomes()[0]!.result, 'online');
  });

  test('an errored exit says pm2 gave up; autorestart off says it stays stopped', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('online', T0 + 10));
    m.feed(proc('restart overlimit', T0 + 40, { status: 'errored' }));
    m.feed(proc('exit', T0 + 41, { status: 'errored', exitCode: 1 }));
    m.feed({ kind: 'tick', at: T0 + 1000 });
    assert.deepEqual([m.outcomes()[0]!.errored, m.outcomes()[0]!.willRestart], [true, false]);
    const off = new WaitMachine(plan());
    off.feed(proc('online', T0 + 10, { autorestart: false }));
    off.feed(proc('exit', T0 + 41, { autorestart: false, exitCode: 1 }));
    off.feed({ kind: 'tick', at: T0 + 1000 });
    assert.equal(off.outcomes()[0]!.willRestart, false);
  });

  test('a start waits for its pm_ids (by name until pm2 answers), and a silent instance times out', () => {
    const m = new WaitMachine(plan({ ids: undefined, names: new Set(['api']), until: 'online' }));
    m.feed(proc('online', T0 + 10, { minUptimeMs: 0 }));
    m.feed(proc('online', T0 + 10, { pmId: 7, name: 'other', minUptimeMs: 0 }));
    assert.equal(m.done(), false, 'pm_ids not known yet');
    m.expect([0, 1]);
    m.feed({ kind: 'tick', at: T0 + 20 });
    assert.equal(m.done(), false, 'pm_id 1 said nothing yet');
    m.feed({ kind: 'tick', at: T0 + 10_000 });
    assert.equal(m.done(), true);
    assert.deepEqual(m.outcomes().map((o) => [o.pmId, o.result]), [[0, 'online'], [1, 'timeout']]);
  });

  test('"ready" by pattern: a matching line of the run waited for, across chunks', async () => {
    const matches = await compileReadyPattern('/^listening on \\d+$/');
    const m = new WaitMachine(plan({ until: 'ready', ready: 'pattern', matches }));
    m.feed(proc('online', T0 + 10));
    m.feed(log('out', 'listening on', T0 + 100));
    assert.equal(m.done(), false);
    m.feed(log('out', ' 3000\nmore\n', T0 + 2000));
    assert.equal(m.done(), true);
    assert.deepEqual([m.outcomes()[0]!.result, m.outcomes()[0]!.readyAfterMs], ['ready', 2000]);
  });

  test('"ready" by port: only an online instance; by message: also before "online" (pm2\'s wait_ready order)', () => {
    const port = new WaitMachine(plan({ until: 'ready', ready: 'port' }));
    port.feed({ kind: 'port-open', at: T0 + 1 });
    assert.equal(port.done(), false);
    port.feed(proc('online', T0 + 10));
    assert.equal(port.awaitingPort(), true);
    port.feed({ kind: 'port-open', at: T0 + 2000 });
    assert.equal(port.outcomes()[0]!.result, 'ready');
    const msg = new WaitMachine(plan({ until: 'ready', ready: 'message' }));
    msg.feed(proc('launch', T0 + 5, { status: 'launching' }));
    msg.feed({ kind: 'message', pmId: 0, name: 'api', raw: 'ready', at: T0 + 1500 });
    msg.feed(proc('online', T0 + 1501));
    assert.equal(msg.outcomes()[0]!.result, 'ready');
    assert.equal(msg.outcomes()[0]!.readyAfterMs, 1500);
  });

  test('a ready wait that times out while online is a timeout, not a success; a lost bus ends it', () => {
    const m = new WaitMachine(plan({ until: 'ready', ready: 'port', deadline: T0 + 1500 }));
    m.feed(proc('online', T0 + 10));
    m.feed({ kind: 'tick', at: T0 + 1500 });
    assert.equal(m.done(), true);
    assert.deepEqual([m.outcomes()[0]!.result, m.outcomes()[0]!.onlineSince], ['timeout', T0 + 5]);
    const lost = new WaitMachine(plan());
    lost.feed({ kind: 'lost', at: T0 + 3 });
    assert.deepEqual([lost.done(), lost.outcomes()[0]!.result], [true, 'lost']);
  });

  // The attack on the restart fix: a restart raced by another client's delete answered "online
  // … and still online after its min_uptime" of a process pm2 no longer had.
  test('a delete during the wait ends it as gone, whichever run it was on; a start ignores the delete of an older app of its name', () => {
    const online = new WaitMachine(plan());
    online.feed(proc('online', T0 + 10));
    online.feed(proc('delete', T0 + 50));
    assert.equal(online.done(), true, 'no wait for the min_uptime of a deleted process');
    assert.equal(online.outcomes()[0]!.result, 'gone');

    const oldRun = new WaitMachine(plan());
    oldRun.feed(proc('delete', T0 + 20, { launchedAt: T0 - 5000 }));
    assert.equal(oldRun.done(), true, 'the old run deleted: the restart cannot bring it back');
    assert.equal(oldRun.outcomes()[0]!.result, 'gone');
    oldRun.feed(proc('online', T0 + 30));
    assert.equal(oldRun.outcomes()[0]!.result, 'gone', 'pm2 saying online after the delete changes nothing');

    const start = new WaitMachine(plan({ ids: undefined, names: new Set(['api']) }));
    start.feed(proc('delete', T0 + 1, { pmId: 3, launchedAt: T0 - 5000 }));
    start.expect([4]);
    start.feed(proc('online', T0 + 10, { pmId: 4 }));
    start.feed({ kind: 'tick', at: T0 + 1005 });
    assert.equal(start.done(), true);
    assert.equal(start.outcomes()[0]!.result, 'online');
  });

  // pm2's exit of a run it stopped at a request says "stopping" (God.stopProcessId); a crash says
  // "stopped", "waiting restart" or "errored". Ten concurrent restarts of a healthy app were each
  // reported as "exited … a restart loop" before this.
  test('a run pm2 stopped at a request is no crash: the next run is followed, or it is "stopped" after the grace', () => {
    const restartedAgain = new WaitMachine(plan());
    restartedAgain.feed(proc('online', T0 + 10));
    restartedAgain.feed(proc('exit', T0 + 50, { status: 'stopping', exitCode: 0 }));
    assert.equal(restartedAgain.done(), false);
    assert.equal(restartedAgain.nextDeadline(), T0 + 50 + RESTART_GRACE_MS);
    restartedAgain.feed(proc('exit', T0 + 150, { status: 'stopped', exitCode: 0 }));
    restartedAgain.feed(proc('online', T0 + 155, { launchedAt: T0 + 152 }));
    restartedAgain.feed({ kind: 'tick', at: T0 + 152 + 1000 });
    assert.equal(restartedAgain.done(), true);
    assert.equal(restartedAgain.outcomes()[0]!.result, 'online');
    assert.equal(restartedAgain.outcomes()[0]!.onlineSince, T0 + 152, 'online since the run that followed');

    const stoppedForGood = new WaitMachine(plan());
    stoppedForGood.feed(proc('online', T0 + 10));
    stoppedForGood.feed(proc('exit', T0 + 50, { status: 'stopping', exitCode: 0 }));
    stoppedForGood.feed({ kind: 'tick', at: T0 + 50 + RESTART_GRACE_MS });
    assert.equal(stoppedForGood.done(), true);
    const [o] = stoppedForGood.outcomes();
    assert.equal(o!.result, 'stopped');
    assert.equal(o!.upMs, 45);
    assert.equal(o!.willRestart, false);

    const crash = new WaitMachine(plan());
    crash.feed(proc('online', T0 + 10));
    crash.feed(proc('exit', T0 + 50, { status: 'stopped', exitCode: 1 }));
    crash.feed({ kind: 'tick', at: T0 + 50 + EXIT_DRAIN_MS });
    assert.equal(crash.outcomes()[0]!.result, 'exited', 'a crash stays a crash');

    const atDeadline = new WaitMachine(plan({ deadline: T0 + 300 }));
    atDeadline.feed(proc('online', T0 + 10));
    atDeadline.feed(proc('exit', T0 + 250, { status: 'stopping' }));
    atDeadline.feed({ kind: 'tick', at: T0 + 300 });
    assert.equal(atDeadline.outcomes()[0]!.result, 'stopped');

    const wait = { until: 'online' as const, timeoutMs: 10_000 };
    const report = waitReport(wait, { ids: [0], outcomes: stoppedForGood.outcomes(), elapsedMs: 1100, cancelled: false }, [{ pm_id: 0, name: 'api', pm2_env: { status: 'stopped', restart_time: 0 } }]);
    assert.equal(report.ok, false);
    assert.match(waitText(report, wait), /^api \(pm_id 0\): stopped by pm2 during the wait after 45 ms, at a request .*not by a crash, and not started again within 1000 ms; left as pm2 has it \(stopped\)\./);
    assert.doesNotMatch(waitText(report, wait), /restart loop/);
  });

  test('an instance pm2 no longer lists when the wait ends is reported gone, not online', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('online', T0 + 10));
    m.feed({ kind: 'tick', at: T0 + 1005 });
    const found = { ids: [0], outcomes: m.outcomes(), elapsedMs: 1005, cancelled: false };
    const wait = { until: 'online' as const, timeoutMs: 10_000 };
    const listed = waitReport(wait, found, [{ pm_id: 0, name: 'api', pm2_env: { status: 'online', restart_time: 0 } }]);
    assert.equal(listed.ok, true);
    const gone = waitReport(wait, found, []);
    assert.equal(gone.ok, false);
    assert.equal(gone.instances[0]!.result, 'gone');
    assert.match(waitText(gone, wait), /^api \(pm_id 0\): deleted during the wait \(it had come online at .*\): pm2 no longer manages it .*; nothing: pm2 no longer manages it\./);
  });

  // The second attack: "online … and still online" while the server's own final list said
  // stopping (another call's stop a moment before the min_uptime ran out); and a restart that
  // blocked for its kill_timeout past timeoutMs.
  test('online by the bus but stopping in pm2\'s list as the wait ends is not online; a deadline that came while pm2 was still at it says so', () => {
    const m = new WaitMachine(plan());
    m.feed(proc('online', T0 + 10));
    m.feed({ kind: 'tick', at: T0 + 1005 });
    const found = { ids: [0], outcomes: m.outcomes(), elapsedMs: 1005, cancelled: false };
    const wait = { until: 'online' as const, timeoutMs: 10_000 };
    const stopping = waitReport(wait, found, [{ pm_id: 0, name: 'api', pm2_env: { status: 'stopping', restart_time: 0 } }]);
    assert.equal(stopping.ok, false);
    assert.equal(stopping.instances[0]!.result, 'stopped');
    assert.match(waitText(stopping, wait), /^api \(pm_id 0\): online since .*, but pm2 has it stopping as the wait ends, so it is not online/);

    const late = new WaitMachine(plan({ deadline: T0 + 2000 }));
    late.feed({ kind: 'tick', at: T0 + 2000 });
    const pending = waitReport({ until: 'online', timeoutMs: 2000 }, { ids: [0], outcomes: late.outcomes(), elapsedMs: 2001, cancelled: false, pending: { inFlight: [0], notAsked: [] } }, [{ pm_id: 0, name: 'api', pm2_env: { status: 'stopping', restart_time: 0 } }]);
    assert.equal(pending.ok, false);
    assert.equal(pending.pm2_still_acting, true);
    assert.match(waitText(pending, { until: 'online', timeoutMs: 2000 }), /pm2 was still at it when the wait ended after 2000 ms \(stopping the old run takes up to its kill_timeout .*\), and goes on with it; pm2 has it stopping now\./);
    // Another call's run came online and stayed while this call's restart was queued: still no answer for this call.
    const other = new WaitMachine(plan({ deadline: T0 + 2000 }));
    other.feed(proc('online', T0 + 10));
    other.feed({ kind: 'tick', at: T0 + 1500 });
    const queued = waitReport({ until: 'online', timeoutMs: 2000 }, { ids: [0], outcomes: other.outcomes(), elapsedMs: 2001, cancelled: false, pending: { inFlight: [0], notAsked: [] } }, [{ pm_id: 0, name: 'api', pm2_env: { status: 'online', restart_time: 1 } }]);
    assert.equal(queued.ok, false);
    assert.equal(queued.instances[0]!.result, 'timeout');
    assert.match(waitText(queued, { until: 'online', timeoutMs: 2000 }), /pm2 was still at it when the wait ended/);
  });

  test('instances the wait ended before pm2 was asked about are "not asked", apart from the one pm2 is still at', () => {
    const m = new WaitMachine(plan({ ids: new Set([0, 1, 2]), deadline: T0 + 2000 }));
    m.feed(proc('online', T0 + 10));
    m.feed({ kind: 'tick', at: T0 + 2000 });
    const wait = { until: 'online' as const, timeoutMs: 2000 };
    const list = [0, 1, 2].map((pm_id) => ({ pm_id, name: 'api', pm2_env: { status: 'online', restart_time: 0 } }));
    const r = waitReport(wait, { ids: [0, 1, 2], outcomes: m.outcomes(), elapsedMs: 2001, cancelled: false, pending: { inFlight: [1], notAsked: [2] } }, list);
    assert.equal(r.ok, false);
    assert.equal(r.pm2_still_acting, true);
    assert.deepEqual(r.not_asked, [2]);
    const lines = waitText(r, wait).split('\n');
    assert.doesNotMatch(lines[1]!, /not asked/);
    assert.match(lines[1]!, /pm2 was still at it/);
    assert.match(lines[2]!, /^api \(pm_id 2\): not asked: the wait ended after 2000 ms before pm2 got to it .*nothing was done to it/);
  });

  test('bus packets are trimmed to what a wait reads; an _old_ instance is left out', () => {
    const e = toBusEvent('process:event', { event: 'exit', process: { pm_id: 3, name: 'api', status: 'stopped', pm_uptime: 5, restart_time: 2, exit_code: 1, SECRET: 'x', min_uptime: '2000', autorestart: false } }, 9);
    assert.deepEqual(e, { kind: 'process', event: 'exit', pmId: 3, name: 'api', status: 'stopped', launchedAt: 5, restarts: 2, exitCode: 1, minUptimeMs: 2000, autorestart: false, at: 9 });
    assert.equal(toBusEvent('process:event', { event: 'exit', process: { pm_id: '_old_3', name: 'api' } }), undefined);
    assert.deepEqual(toBusEvent('log:err', { process: { pm_id: 1, name: 'a' }, data: 'x\n' }, 1), { kind: 'log', stream: 'err', pmId: 1, name: 'a', data: 'x\n', at: 1 });
  });
});

describe('readyPattern', () => {
  test('a literal is a substring; a /regex/ runs in linear time, or is refused', async () => {
    const literal = await compileReadyPattern('ready (on port');
    assert.ok(literal('server ready (on port 3000)'));
    const slow = await compileReadyPattern('/(a+)+$/');
    const t0 = performance.now();
    assert.equal(slow(`${'a'.repeat(5000)}b`), false);
    assert.ok(performance.now() - t0 < 200, 'a catastrophic pattern backtracked');
    await assert.rejects(compileReadyPattern('/(a)\\1/'), (err: Error) => err.name === 'ToolError' && /linear-time engine/.test(err.message));
    await assert.rejects(compileReadyPattern('x'.repeat(1001)), /readyPattern: 1 to 1000 characters/);
  });
});

describe('the policy bounds timeoutMs', () => {
  test('a timeoutMs above start.maxWaitMs is denied with the rule and its hint; within it, allowed', () => {
    const policy = presetPolicy('/repo', 'permissive', { processes: { max: 10 } });
    const request = (timeoutMs: number) => ({ kind: 'start' as const, operation: 'pm2_start_process', apps: [startApp()], wait: { until: 'online' as const, timeoutMs } });
    const denied = evaluate(request(120_001), policy);
    assert.equal(denied.effect, 'deny');
    assert.equal(denied.ruleId, 'start.maxWaitMs');
    assert.match(denied.hint ?? '', /raise start\.maxWaitMs/);
    assert.notEqual(evaluate(request(120_000), policy).ruleId, 'start.maxWaitMs');
    assert.notEqual(evaluate({ ...request(600_000), wait: { until: 'none', timeoutMs: 600_000 } }, policy).ruleId, 'start.maxWaitMs');
    const operate = evaluate({ kind: 'operate', operation: 'pm2_restart_process', target: { asked: 'web', kind: 'name', processes: [{ pm_id: 0, name: 'web', namespace: 'default', cwd: '/repo' }] }, updateEnv: false, wait: { until: 'ready', timeoutMs: 200_000, ready: { kind: 'message' } } }, policy);
    assert.equal(operate.ruleId, 'start.maxWaitMs');
  });
});
