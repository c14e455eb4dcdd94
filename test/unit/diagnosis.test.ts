// The pure parts of pm2_diagnose_process and of a combined tail's server-side times: pm2.log's
// line shapes, error grouping, the bus history's bounds, line-time alignment, and the findings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDaemonLog } from '../../src/pm2/daemon-log.js';
import { diagnose, type DiagnosisInput } from '../../src/pm2/diagnosis.js';
import { ENTRY_LINES, groupErrors } from '../../src/pm2/error-groups.js';
import { heardTimes, mergeByTimes, sameLine } from '../../src/pm2/heard-times.js';
import { HISTORY_LIMITS, ProcessHistory } from '../../src/pm2/process-history.js';
import type { BusEvent } from '../../src/pm2/bus.js';

const WHO = { name: 'api', pmId: 3, script: '/srv/api/server.js' };
const T = '2026-12-02T03:00:05';
const at = (s: string) => new Date(s).getTime();

test('parseDaemonLog: a table of pm2.log lines, only this process\'s, numbers and signals only', () => {
  const cases: Array<{ name: string; line: string; exits?: unknown[]; memory?: unknown[]; gaveUp?: unknown[] }> = [
    { name: 'an exit with a code (SIGINT is pm2\'s filler)', line: `${T}: PM2 log: App [api:3] exited with code [1] via signal [SIGINT]`, exits: [{ at: at(T), code: 1 }] },
    { name: 'killed: no code, the signal', line: `${T}: PM2 log: App [api:3] exited with code [null] via signal [SIGKILL]`, exits: [{ at: at(T), signal: 'SIGKILL' }] },
    { name: 'a code and a real signal', line: `${T}: PM2 log: App [api:3] exited with code [0] via signal [SIGTERM]`, exits: [{ at: at(T), code: 0, signal: 'SIGTERM' }] },
    { name: 'SIGINT with no code is a fact', line: `${T}: PM2 log: App [api:3] exited with code [null] via signal [SIGINT]`, exits: [{ at: at(T), signal: 'SIGINT' }] },
    { name: 'another process', line: `${T}: PM2 log: App [api:4] exited with code [1] via signal [SIGINT]` },
    { name: 'a name that merely starts the same', line: `${T}: PM2 log: App [api-v2:3] exited with code [1] via signal [SIGINT]` },
    { name: 'no prefix', line: 'App [api:3] exited with code [1] via signal [SIGINT]' },
    { name: 'not pm2\'s shape (a signal that is not one): ignored', line: `${T}: PM2 log: App [api:3] exited with code [1] via signal [rm -rf]` },
    { name: 'trailing text', line: `${T}: PM2 log: App [api:3] exited with code [1] via signal [SIGINT] and more` },
    { name: 'a memory restart', line: `${T}: PM2 log: [PM2][WORKER] Process 3 restarted because it exceeds --max-memory-restart value (current_memory=209715200 max_memory_limit=104857600 [octets])`, memory: [{ at: at(T), memory: 209715200, limit: 104857600 }] },
    { name: 'another pm_id\'s memory restart', line: `${T}: PM2 log: [PM2][WORKER] Process 31 restarted because it exceeds --max-memory-restart value (current_memory=2 max_memory_limit=1 [octets])` },
    { name: 'pm2 gave up', line: `${T}: PM2 log: Script /srv/api/server.js had too many unstable restarts (16). Stopped. "errored"`, gaveUp: [{ at: at(T), restarts: 16 }] },
    { name: 'another script gave up', line: `${T}: PM2 log: Script /srv/api/server.js.bak had too many unstable restarts (16). Stopped. "errored"` },
  ];
  for (const c of cases) {
    const facts = parseDaemonLog([c.line], WHO);
    assert.deepEqual(facts.exits, c.exits ?? [], c.name);
    assert.deepEqual(facts.memoryRestarts, c.memory ?? [], c.name);
    assert.deepEqual(facts.gaveUp, c.gaveUp ?? [], c.name);
  }
});

test('groupErrors: a stack is one entry, Node\'s report is one entry, repeats are counted, time prefixes go', () => {
  const stack = ['Error: boom', '    at connect (/srv/a.js:4:9)', '    at main (/srv/a.js:9:1)'];
  const report = ['/srv/a.js:4', "  throw new Error('boom')", '  ^', '', 'Error: boom', '    at connect (/srv/a.js:4:9)', '', 'Node.js v20.20.2'];
  const groups = groupErrors([...stack, 'warn: slow query', ...stack, ...report, ...stack.map((l) => `2026-12-02T03:00:05: ${l}`)]);
  assert.deepEqual(groups.map((g) => [g.lines[0], g.count, g.lines.length]), [
    ['warn: slow query', 1, 1],
    ['/srv/a.js:4', 1, 6],
    ['Error: boom', 3, 3],
  ]);
  assert.equal(groups.at(-1)!.last_at, '2026-12-02T03:00:05');
  const long = groupErrors(['Error: deep', ...Array.from({ length: 50 }, (_, i) => `    at f${i} (x.js:1:1)`)]);
  assert.equal(long[0]!.lines.length, ENTRY_LINES);
  assert.match(long[0]!.lines.at(-1)!, /… 32 more lines/);
  assert.equal(groupErrors(Array.from({ length: 20 }, (_, i) => `line ${i}`)).length, 5, 'the last five entries');
});

const log = (pmId: number, name: string, stream: 'out' | 'err', data: string, t: number): BusEvent => ({ kind: 'log', stream, pmId, name, data, at: t });
const exit = (pmId: number, name: string, t: number, extra: Partial<Extract<BusEvent, { kind: 'process' }>> = {}): BusEvent => ({
  kind: 'process', event: 'exit', pmId, name, status: 'stopped', launchedAt: t - 300, restarts: 1, exitCode: 1, minUptimeMs: 1000, autorestart: true, at: t, ...extra,
});

test('ProcessHistory: lines split across writes, a reused pm_id, the bounds', () => {
  const h = new ProcessHistory();
  h.began(1000);
  h.record(log(0, 'a', 'out', 'hel', 1001));
  h.record(log(0, 'a', 'out', 'lo\nwor', 1002));
  h.record(log(0, 'a', 'out', 'ld\r\n', 1003));
  assert.deepEqual(h.linesOf(0, 'a', 'out'), [{ text: 'hello', at: 1001 }, { text: 'world', at: 1002 }]);
  assert.deepEqual(h.linesOf(0, 'b', 'out'), [], 'another process on that pm_id sees nothing of it');
  h.record(exit(0, 'a', 1100));
  h.record({ ...exit(0, 'a', 1200), event: 'delete' } as BusEvent);
  assert.deepEqual(h.eventsOf(0, 'a'), [], 'a deleted process is forgotten');
  for (let i = 0; i < HISTORY_LIMITS.lines + 10; i++) h.record(log(1, 'c', 'err', `l${i}\n`, 2000 + i));
  assert.equal(h.linesOf(1, 'c', 'err').length, HISTORY_LIMITS.lines);
  assert.equal(h.linesOf(1, 'c', 'err')[0]!.text, 'l10');
  h.record(log(2, 'd', 'out', `${'x'.repeat(HISTORY_LIMITS.lineBytes * 3)}\n`, 3000));
  assert.equal(h.linesOf(2, 'd', 'out')[0]!.text.length, HISTORY_LIMITS.lineBytes + 1, 'a long line kept cut');
  for (let i = 0; i < HISTORY_LIMITS.processes + 5; i++) h.record(log(100 + i, `p${i}`, 'out', 'x\n', 4000 + i));
  assert.equal(h.linesOf(1, 'c', 'err').length, 0, 'the quietest processes are forgotten past the bound');
  assert.ok(h.coverage(1).since! >= 4000, 'a forgotten process is covered only since it was forgotten');
  assert.equal(h.coverage(100 + HISTORY_LIMITS.processes + 4).since, 1000, 'one still tracked is covered since the start');
  h.lost();
  assert.deepEqual(h.coverage(), { listening: false, since: 1000 });
  h.began(5000);
  assert.deepEqual(h.coverage(), { listening: true, since: 5000 }, 'a gap: covered since it listened again');
});

test('heardTimes: every line matched backward, in one way only, or none', () => {
  const heard = ['a', 'b', 'a', 'b', 'c'].map((text, i) => ({ text, at: 100 + i * 100 }));
  assert.deepEqual(heardTimes(['a', 'b', 'c'], heard, 10_000), [300, 400, 500]);
  assert.deepEqual(heardTimes(['a', 'b'], heard, 600), [300, 400], 'c heard 100 ms ago: pm2 may not have written it yet');
  assert.equal(heardTimes(['a', 'b'], heard, 10_000), undefined, 'c heard long ago must be in the file: this is not the end');
  assert.equal(heardTimes(['b', 'c', 'd'], heard, 10_000), undefined, 'd never heard: the order is not known');
  assert.equal(heardTimes(['x', 'b', 'c'], heard), undefined, 'a line never heard');
  assert.equal(heardTimes(['z', 'a', 'b', 'a', 'b', 'c'], heard), undefined, 'older than the history');
  const ticks = [500, 510, 520].map((at) => ({ text: 'tick', at }));
  assert.equal(heardTimes(['tick'], ticks, 600), undefined, 'repeated lines, two alignments: neither taken');
  assert.equal(heardTimes(['boom', 'boom'], [{ text: 'boom', at: 100 }]), undefined, 'an older line of the same text, written while the server did not listen');
  assert.equal(heardTimes(['a'], []), undefined);
  assert.deepEqual(heardTimes([], heard), []);
  assert.ok(sameLine(`…${'y'.repeat(10)}`, `…${'y'.repeat(12)}`), 'cut lines compare by the end both kept');
  assert.ok(!sameLine('abc', 'abd'));
  assert.deepEqual(mergeByTimes(['o1', 'o2'], [1, 5], ['e1', 'e2'], [1, 3]), ['o1', 'e1', 'e2', 'o2'], 'ties keep out first');
});

const base = (over: Partial<DiagnosisInput> = {}): DiagnosisInput => ({
  proc: { pm_id: 3, name: 'api', monit: { cpu: 0, memory: 50 * 1048576 }, pm2_env: { pm_id: 3, name: 'api', status: 'online', pm_uptime: 0, restart_time: 0, unstable_restarts: 0 } },
  now: 3_600_000,
  heard: { events: [], coverage: { listening: true, since: 0 } },
  daemonLog: { facts: { exits: [], memoryRestarts: [], gaveUp: [] } },
  errors: { entries: [] },
  lastWritten: {},
  ...over,
});

test('diagnose: the findings a table of states gives, each with its source', () => {
  const now = 3_600_000;
  const loopEvents = Array.from({ length: 5 }, (_, i) => ({ event: 'exit', at: now - 5000 + i * 500, status: 'stopped', exitCode: 2, restarts: i + 1, launchedAt: now - 5000 + i * 500 - 200, minUptimeMs: 1000 }));
  const cases: Array<{ name: string; input: DiagnosisInput; kinds: string[]; includes?: RegExp }> = [
    { name: 'online and writing', input: base({ lastWritten: { out: now - 1000 } }), kinds: ['stable'] },
    { name: 'online and silent 12 min', input: base({ lastWritten: { out: now - 12 * 60_000 } }), kinds: ['silent'], includes: /silent for 12 min, cpu 0 %/ },
    { name: 'a restart loop heard on the bus', input: base({ heard: { events: loopEvents, coverage: { listening: true, since: 0 } } }), kinds: ['restart_loop'], includes: /5 exits in the last 10 min, 5 before its min_uptime/ },
    {
      name: 'errored after pm2 gave up (pm2.log)',
      input: base({ proc: { pm_id: 3, name: 'api', pm2_env: { pm_id: 3, name: 'api', status: 'errored', restart_time: 16, unstable_restarts: 0 } }, daemonLog: { facts: { exits: [{ at: now - 1000, code: 1 }], memoryRestarts: [], gaveUp: [{ at: now - 1000, restarts: 16 }] } }, heard: undefined }),
      kinds: ['gave_up'],
      includes: /after 16 unstable restarts/,
    },
    {
      name: 'restarted for its memory',
      input: base({ lastWritten: { out: now }, daemonLog: { facts: { exits: [], memoryRestarts: [{ at: now - 60_000, memory: 300 * 1048576, limit: 200 * 1048576 }], gaveUp: [] } } }),
      kinds: ['memory_restart'],
      includes: /300 MiB used, limit 200 MiB; 1 time in the last 10 min/,
    },
    { name: 'killed by a signal, stopped', input: base({ proc: { pm_id: 3, name: 'api', pm2_env: { pm_id: 3, name: 'api', status: 'stopped', autorestart: false } }, heard: undefined, daemonLog: { facts: { exits: [{ at: now - 1000, signal: 'SIGKILL' }], memoryRestarts: [], gaveUp: [] } } }), kinds: ['stopped'], includes: /killed by SIGKILL/ },
    { name: 'a port in use', input: base({ lastWritten: { out: now }, errors: { entries: [{ lines: ['Error: listen EADDRINUSE: address already in use :::3000'], count: 4 }] } }), kinds: ['port_in_use'], includes: /port 3000 was in use/ },
  ];
  for (const c of cases) {
    const d = diagnose(c.input);
    assert.deepEqual(d.findings.map((f) => f.kind), c.kinds, `${c.name}: ${JSON.stringify(d.findings)}`);
    assert.ok(d.findings.every((f) => f.source.length > 0), c.name);
    if (c.includes) assert.match(d.findings.map((f) => f.fact).join('\n'), c.includes, c.name);
  }
});

test('diagnose: pm2.log lines before this process was created, or in its second, are another process\'s', () => {
  const created = at('2026-12-02T03:00:10') + 450;
  const d = diagnose(base({
    proc: { pm_id: 3, name: 'api', pm2_env: { pm_id: 3, name: 'api', status: 'online', created_at: created, pm_uptime: created, restart_time: 0 } },
    now: created + 5000,
    heard: undefined,
    daemonLog: { facts: { exits: [{ at: created - 5450, code: 7 }, { at: created - 450, code: 0 }, { at: created + 1550, code: 1 }], memoryRestarts: [{ at: created - 450, memory: 2, limit: 1 }], gaveUp: [] } },
  }));
  assert.deepEqual(d.exits.map((e) => e.code), [1]);
  assert.ok(!d.findings.some((f) => f.kind === 'memory_restart'));
});

test('diagnose: pm2.log\'s exits before the history, the bus\'s after, a heard exit given pm2.log\'s signal', () => {
  const since = at('2026-12-02T03:00:10');
  const d = diagnose(base({
    now: since + 60_000,
    heard: { events: [{ event: 'exit', at: since + 5200, status: 'stopped', restarts: 1, launchedAt: since + 5000, minUptimeMs: 1000 }], coverage: { listening: true, since } },
    daemonLog: { facts: { exits: [{ at: since - 4000, code: 1 }, { at: since + 5000, signal: 'SIGKILL' }], memoryRestarts: [], gaveUp: [] } },
  }));
  assert.deepEqual(d.exits.map((e) => [e.source, e.code, e.signal, e.up_ms]), [['pm2.log', 1, undefined, undefined], ['bus', undefined, 'SIGKILL', 200]]);
});
