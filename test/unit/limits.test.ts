// Limits of calls per tool (src/server/limits.ts): the sliding windows of the limiter on a clock
// the test turns, a table of cases; then through dispatch, with gates made by gateFactory as serve
// makes them (sessions share one limiter, a denied call never counts, audit mode, a token's own
// limits); then the config side: the schema's errors name the file and the key, an extending
// file replaces a tool's limit whole, and the presets limit what the README says.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallerInfo } from '../../src/audit/auditor.js';
import { gateFactory } from '../../src/commands/gate.js';
import { loadConfig } from '../../src/config/load.js';
import { mergeConfigs } from '../../src/config/merge.js';
import type { Pm2McpConfig } from '../../src/model/config.js';
import type { ProcessRef } from '../../src/model/requests.js';
import type { CallLimit, CompiledPolicy } from '../../src/policy/compile.js';
import { dispatch, type Gate } from '../../src/server/dispatch.js';
import { CallLimiter, type LimitScope } from '../../src/server/limits.js';
import { configName } from '../../src/policy/decision.js';
import { restartProcess } from '../../src/server/tools/lifecycle.js';
import { listProcesses } from '../../src/server/tools/read.js';
import { FakePm2, rawProcesses } from '../helpers/fake-pm2.js';
import { configError } from '../helpers/fixtures.js';
import { MemoryAuditor } from '../helpers/memory-auditor.js';
import { presetConfig, presetPolicy } from '../helpers/policies.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-limits-')));
after(() => rmSync(ROOT, { recursive: true, force: true }));

/** A clock the test turns by hand, in milliseconds. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const proc = (pm_id: number, name = `app-${pm_id}`): ProcessRef => ({ pm_id, name, namespace: 'default', cwd: null });
const scope = (limit: Partial<CallLimit> = {}, id = 'server'): LimitScope => ({ id, limit: { calls: 3, perSeconds: 60, per: 'tool', ...limit } });

describe('CallLimiter: a sliding window per key', () => {
  type Step = { at: number; targets?: number[]; ok: boolean; retry?: number; pm_id?: number };
  const cases: Array<{ name: string; limit: Partial<CallLimit>; steps: Step[] }> = [
    { name: 'within the limit: every call passes', limit: {}, steps: [{ at: 0, ok: true }, { at: 1, ok: true }, { at: 2, ok: true }] },
    {
      name: 'over it: the 4th within 60 s is refused, with the seconds until the oldest call leaves the window',
      limit: {},
      steps: [{ at: 0, ok: true }, { at: 10_000, ok: true }, { at: 20_000, ok: true }, { at: 30_000, ok: false, retry: 30 }, { at: 59_500, ok: false, retry: 1 }],
    },
    {
      name: 'the window slides: a call exactly one window old no longer counts, and one place frees at a time',
      limit: {},
      steps: [{ at: 0, ok: true }, { at: 10_000, ok: true }, { at: 20_000, ok: true }, { at: 60_000, ok: true }, { at: 60_001, ok: false, retry: 10 }, { at: 70_000, ok: true }],
    },
    {
      name: 'retry-after rounds up to whole seconds',
      limit: { calls: 1, perSeconds: 10 },
      steps: [{ at: 0, ok: true }, { at: 1, ok: false, retry: 10 }, { at: 8_999, ok: false, retry: 2 }, { at: 10_000, ok: true }],
    },
    {
      name: 'per tool: every target counts together',
      limit: { calls: 2 },
      steps: [{ at: 0, targets: [0], ok: true }, { at: 1, targets: [1], ok: true }, { at: 2, targets: [2], ok: false }],
    },
    {
      name: 'per process: each pm_id has its own window; the one over the limit is named',
      limit: { calls: 2, per: 'process' },
      steps: [
        { at: 0, targets: [0], ok: true }, { at: 1, targets: [0], ok: true }, { at: 2, targets: [0], ok: false, pm_id: 0 },
        { at: 3, targets: [1], ok: true }, { at: 4, targets: [1, 2], ok: true }, { at: 5, targets: [2, 1], ok: false, pm_id: 1 },
      ],
    },
    {
      name: 'per process: a call refused for one target counts for none of them',
      limit: { calls: 1, per: 'process' },
      steps: [{ at: 0, targets: [0], ok: true }, { at: 1, targets: [1, 0], ok: false, pm_id: 0 }, { at: 2, targets: [1], ok: true }],
    },
    {
      name: 'per process, a call that names no process counts under the tool',
      limit: { calls: 1, per: 'process' },
      steps: [{ at: 0, targets: [], ok: true }, { at: 1, targets: [], ok: false }, { at: 2, targets: [0], ok: true }],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const time = clock();
      const start = time.now();
      const limiter = new CallLimiter({ now: time.now });
      for (const [i, step] of c.steps.entries()) {
        time.advance(start + step.at - time.now());
        const got = limiter.admit('pm2_restart_process', (step.targets ?? []).map((id) => proc(id)), [scope(c.limit)]);
        assert.equal(got.ok, step.ok, `step ${i} (at ${step.at} ms)`);
        if (!got.ok) {
          assert.equal(got.why, 'limit');
          if (step.retry !== undefined) assert.equal(got.retryAfterSeconds, step.retry, `step ${i}: retry after`);
          if (step.pm_id !== undefined) assert.equal(got.why === 'limit' ? got.process?.pm_id : undefined, step.pm_id, `step ${i}: the process named`);
        }
      }
    });
  }

  test('two scopes: a call passes only when both have room, and is counted in both', () => {
    const time = clock();
    const limiter = new CallLimiter({ now: time.now });
    const server = scope({ calls: 3 });
    const tokenA = scope({ calls: 1 }, 'token:a');
    const tokenB = scope({ calls: 1 }, 'token:b');
    assert.equal(limiter.admit('t', [], [server, tokenA]).ok, true);
    const refused = limiter.admit('t', [], [server, tokenA]);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.scope.id, 'token:a');
    // The refused call was not counted by the server's scope: b still has two of its three places.
    assert.equal(limiter.admit('t', [], [server, tokenB]).ok, true);
    assert.equal(limiter.admit('t', [], [server]).ok, true);
    assert.equal(limiter.admit('t', [], [server]).ok, false);
  });

  test('tools are counted apart', () => {
    const limiter = new CallLimiter({ now: clock().now });
    assert.equal(limiter.admit('a', [], [scope({ calls: 1 })]).ok, true);
    assert.equal(limiter.admit('b', [], [scope({ calls: 1 })]).ok, true);
    assert.equal(limiter.admit('a', [], [scope({ calls: 1 })]).ok, false);
  });

  test('bounded keys: past the bound, expired keys are forgotten; with none expired, a new key is refused (fail closed)', () => {
    const time = clock();
    const limiter = new CallLimiter({ now: time.now, maxKeys: 3 });
    const perProcess = scope({ calls: 5, perSeconds: 10, per: 'process' });
    for (const id of [0, 1, 2]) assert.equal(limiter.admit('t', [proc(id)], [perProcess]).ok, true);
    assert.equal(limiter.size, 3);
    const full = limiter.admit('t', [proc(3)], [perProcess]);
    assert.deepEqual(full.ok ? undefined : [full.why, full.retryAfterSeconds], ['full', 10]);
    // A key already counted still passes at the bound.
    time.advance(1);
    assert.equal(limiter.admit('t', [proc(0)], [perProcess]).ok, true);
    time.advance(9_999);
    assert.equal(limiter.admit('t', [proc(3)], [perProcess]).ok, true, 'the windows of 1 and 2 ended: their keys go');
    assert.equal(limiter.size, 2);
  });

  test('a lowered limit keeps only as many calls as it now allows', () => {
    const time = clock();
    const limiter = new CallLimiter({ now: time.now });
    for (let i = 0; i < 5; i++) assert.equal(limiter.admit('t', [], [scope({ calls: 5 })]).ok, true);
    time.advance(1_000);
    assert.equal(limiter.admit('t', [], [scope({ calls: 2 })]).ok, false);
    time.advance(59_000);
    // The 5 calls at t=0 left the window; the lowered limit counts from here.
    assert.equal(limiter.admit('t', [], [scope({ calls: 2 })]).ok, true);
  });
});

// --- through dispatch ---------------------------------------------------------------------------

const LIMITED: Pm2McpConfig = { limits: { pm2_restart_process: { calls: 2, perSeconds: 60, per: 'process' }, pm2_list_processes: { calls: 2, perSeconds: 60 } } };

interface Server {
  gates: (narrowing?: CompiledPolicy) => Gate;
  auditor: MemoryAuditor;
  time: ReturnType<typeof clock>;
}

/** One server: a factory of gates over one fake pm2, one audit log and one limiter, as serve builds it. */
function server(policy: CompiledPolicy, limiter?: CallLimiter): Server {
  const time = clock();
  const auditor = new MemoryAuditor();
  const pm2 = new FakePm2(ROOT, rawProcesses(ROOT, 4));
  // Told where the fake's processes keep their logs, as serve tells the policy: a restart checks them.
  const facts = { pm2Home: '/home/app/.pm2', pm2LogDir: '/home/app/.pm2/logs', ownFiles: [] };
  const gates = gateFactory({ pm2, policy, facts, auditor, onAuditFailure: (m) => assert.fail(m), limiter: limiter ?? new CallLimiter({ now: time.now }) });
  return { gates, auditor, time };
}

const caller = (principal = 'local', sessionId = 's1'): CallerInfo => ({ transport: 'http', principal, sessionId });
const restart = (gate: Gate, process: string | number, who = caller(), extra: Record<string, unknown> = {}) => dispatch(gate, restartProcess, { process, waitUntil: 'none', ...extra }, who);
const ruleOf = (r: Awaited<ReturnType<typeof dispatch>>) => (r.ok ? 'ran' : ((r.error.details as { rule?: string }).rule ?? r.error.code));

describe('limits through dispatch', () => {
  test('two sessions of one server share the counts; the 3rd restart of api is denied and recorded, web still restarts', async () => {
    const policy = presetPolicy(ROOT, 'standard', LIMITED);
    const s = server(policy);
    const a = s.gates();
    const b = s.gates();
    assert.equal(ruleOf(await restart(a, 'api')), 'ran');
    assert.equal(ruleOf(await restart(b, 'api', caller('local', 's2'))), 'ran');
    const third = await restart(a, 'api');
    assert.equal(ruleOf(third), 'limits.pm2_restart_process');
    assert.ok(!third.ok, 'the third restart ran');
    assert.equal(third.error.code, 'POLICY_DENIED');
    assert.equal(
      third.error.message,
      `Denied by rule limits.pm2_restart_process: pm2_restart_process has had 2 calls on api (pm_id 0) within the last 60 s, its limit (2 calls per 60 s per process). To allow it: retry in 60 s, or raise limits.pm2_restart_process.calls in ${configName(policy)}.`,
    );
    const denied = s.auditor.decisions.at(-1)!;
    assert.deepEqual([denied.operation, denied.effect, denied.decision.ruleId], ['pm2_restart_process', 'deny', 'limits.pm2_restart_process']);
    assert.equal(s.auditor.outcomes.length, 2, 'the denied call has no outcome: it never ran');
    assert.equal(ruleOf(await restart(b, 'web')), 'ran', 'per process: web has its own window');
    s.time.advance(60_000);
    assert.equal(ruleOf(await restart(a, 'api')), 'ran', 'a window later');
  });

  test('a call the policy denies is not counted', async () => {
    const s = server(presetPolicy(ROOT, 'standard', LIMITED));
    const gate = s.gates();
    for (let i = 0; i < 5; i++) assert.equal(ruleOf(await restart(gate, 'api', caller(), { updateEnv: true })), 'processes.updateEnv');
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(ruleOf(await restart(gate, 'api')), 'limits.pm2_restart_process');
  });

  test('per tool (the default): list calls count together; the hint says when to retry', async () => {
    const policy = presetPolicy(ROOT, 'standard', LIMITED);
    const s = server(policy);
    const gate = s.gates();
    assert.equal(ruleOf(await dispatch(gate, listProcesses, {}, caller())), 'ran');
    s.time.advance(15_500);
    assert.equal(ruleOf(await dispatch(gate, listProcesses, {}, caller())), 'ran');
    const refused = await dispatch(gate, listProcesses, {}, caller());
    assert.ok(!refused.ok, 'the call over the limit ran');
    assert.equal((refused.error.details as { hint?: string }).hint, `retry in 45 s, or raise limits.pm2_list_processes.calls in ${configName(policy)}`);
  });

  test('gateFactory makes one limiter for every gate it makes, and none is shared between servers', async () => {
    const policy = presetPolicy(ROOT, 'standard', { limits: { pm2_list_processes: { calls: 1, perSeconds: 60 } } });
    const pm2 = new FakePm2(ROOT, rawProcesses(ROOT, 2));
    const parts = { pm2, policy, auditor: new MemoryAuditor(), onAuditFailure: () => undefined };
    const one = gateFactory(parts);
    const other = gateFactory(parts);
    assert.ok(one().limiter, 'the gate has no limiter');
    assert.equal(one().limiter, one().limiter);
    assert.notEqual(one().limiter, other().limiter);
    assert.equal(ruleOf(await dispatch(one(), listProcesses, {}, caller())), 'ran');
    assert.equal(ruleOf(await dispatch(one(), listProcesses, {}, caller())), 'limits.pm2_list_processes');
    assert.equal(ruleOf(await dispatch(other(), listProcesses, {}, caller())), 'ran');
  });

  test('audit mode: over the limit is would_deny and runs, and is not counted', async () => {
    const s = server(presetPolicy(ROOT, 'standard', { ...LIMITED, mode: 'audit' }));
    const gate = s.gates();
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    const last = s.auditor.decisions.at(-1)!;
    assert.deepEqual([last.effect, last.decision.ruleId], ['would_deny', 'limits.pm2_restart_process']);
    s.time.advance(60_000);
    // Had the would_deny call counted, its window would still hold it now.
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(ruleOf(await restart(gate, 'api')), 'ran');
    assert.equal(s.auditor.decisions.at(-1)!.effect, 'allow');
  });

  test('a token\'s narrowing policy has limits of its own, counted per token; both apply; its denial binds in audit mode too', async () => {
    const own = presetPolicy(ROOT, 'standard', { mode: 'audit', limits: { pm2_list_processes: { calls: 3, perSeconds: 60 } } });
    const narrowing = presetPolicy(ROOT, 'standard', { limits: { pm2_list_processes: { calls: 1, perSeconds: 60 } } });
    const s = server(own);
    const ci = s.gates(narrowing);
    const list = (gate: Gate, who: CallerInfo) => dispatch(gate, listProcesses, {}, who);
    assert.equal(ruleOf(await list(ci, caller('ci'))), 'ran');
    const refused = await list(ci, caller('ci'));
    assert.equal(ruleOf(refused), 'token.limits.pm2_list_processes');
    assert.ok(!refused.ok, 'the call over the limit ran');
    assert.match(refused.error.message, /the caller's token is limited to the standard preset: pm2_list_processes has had 1 call within the last 60 s/);
    assert.equal(s.auditor.decisions.at(-1)!.effect, 'deny', 'a token\'s denial binds in audit mode');
    assert.equal(ruleOf(await list(s.gates(narrowing), caller('other'))), 'ran', 'another token counts on its own');
    // The server's own limit (3) counts every session: two calls ran; a third from stdio runs, then it is over.
    assert.equal(ruleOf(await list(s.gates(), caller('local'))), 'ran');
    assert.equal(ruleOf(await list(s.gates(), caller('local'))), 'ran', 'audit mode: the server\'s own limit lets it run');
    assert.equal(s.auditor.decisions.at(-1)!.effect, 'would_deny');
  });

  test('fail closed: a limiter that cannot decide denies, hard, even in audit mode', async () => {
    const broken = new CallLimiter();
    broken.admit = () => {
      throw new Error('boom');
    };
    const s = server(presetPolicy(ROOT, 'standard', { ...LIMITED, mode: 'audit' }), broken);
    const r = await restart(s.gates(), 'api');
    assert.equal(ruleOf(r), 'limits.pm2_restart_process');
    assert.ok(!r.ok, 'the call ran');
    assert.match(r.error.message, /could not be checked: boom/);
    assert.equal(s.auditor.decisions.at(-1)!.effect, 'deny');
  });

  test('a tool with no limit is never counted', async () => {
    const broken = new CallLimiter();
    broken.admit = () => assert.fail('the limiter was asked about a tool no policy limits');
    const s = server(presetPolicy(ROOT, 'permissive'), broken);
    assert.equal(ruleOf(await restart(s.gates(), 'api')), 'ran');
  });
});

// --- the config side ----------------------------------------------------------------------------

describe('limits in the config', () => {
  const project = (config: unknown): string => {
    const dir = realpathSync(mkdtempSync(join(ROOT, 'project-')));
    writeFileSync(join(dir, 'package.json'), '{}\n');
    writeFileSync(join(dir, 'pm2-mcp.config.json'), `${JSON.stringify(config)}\n`);
    return dir;
  };

  test('bad limits are one config error naming the file and each key, all at once', async () => {
    const dir = project({
      limits: {
        pm2_restart: { calls: 1, perSeconds: 1 },
        pm2_start_process: { calls: 0, perSeconds: 100_000, per: 'app' },
        pm2_stop_process: { calls: 1.5 },
        pm2_dump: { calls: 1, perSeconds: 1, every: 1 },
        pm2_tail_logs: 3,
        pm2_flush_logs: { calls: 1001, perSeconds: 0 },
      },
    });
    const err = await configError(loadConfig({ cwd: dir }));
    const lines = err.message.split('\n');
    assert.equal(lines[0], `Invalid config ${join(dir, 'pm2-mcp.config.json')}:`);
    assert.deepEqual(lines.slice(1).sort(), [
      '  - limits.pm2_dump.every: unknown key (expected one of calls, perSeconds, per)',
      '  - limits.pm2_flush_logs.calls: expected at most 1000, got 1001',
      '  - limits.pm2_flush_logs.perSeconds: expected at least 1, got 0',
      '  - limits.pm2_restart: unknown key (expected one of pm2_list_processes, pm2_describe_process, pm2_diagnose_process, pm2_start_process, pm2_restart_process, pm2_reload_process, pm2_stop_process, pm2_delete_process, pm2_flush_logs, pm2_reload_logs, pm2_dump, pm2_tail_logs, pm2_kill_daemon)',
      '  - limits.pm2_start_process.calls: expected at least 1, got 0',
      '  - limits.pm2_start_process.per: expected one of "tool", "process", got "app"',
      '  - limits.pm2_start_process.perSeconds: expected at most 86400, got 100000',
      '  - limits.pm2_stop_process.calls: expected an integer, got a number',
      '  - limits.pm2_stop_process: missing required key "perSeconds"',
      '  - limits.pm2_tail_logs: expected an object, got an integer',
    ].sort());
  });

  test('an extending file replaces a tool\'s limit whole: its `per` is the default, not the preset\'s', async () => {
    const dir = project({ extends: 'strict', limits: { pm2_restart_process: { calls: 10, perSeconds: 30 } } });
    const loaded = await loadConfig({ cwd: dir });
    assert.deepEqual(loaded.config.limits?.pm2_restart_process, { calls: 10, perSeconds: 30 });
    assert.deepEqual(loaded.config.limits?.pm2_reload_process, { calls: 3, perSeconds: 60, per: 'process' }, 'the other limits of the preset stay');
    assert.deepEqual(mergeConfigs({ limits: { pm2_dump: { calls: 1, perSeconds: 5, per: 'process' } } }, { limits: { pm2_dump: { calls: 2, perSeconds: 5 } } }).limits, { pm2_dump: { calls: 2, perSeconds: 5 } });
  });

  test('compiled: each limit complete, per defaulting to "tool"; no limits means none', () => {
    const policy = presetPolicy(ROOT, 'permissive', { limits: { pm2_dump: { calls: 2, perSeconds: 5 } } });
    assert.deepEqual(policy.limits, { pm2_dump: { calls: 2, perSeconds: 5, per: 'tool' } });
    assert.deepEqual(presetPolicy(ROOT, 'permissive').limits, {});
  });

  test('the presets: strict and standard limit start, and restart and reload per process; readonly and permissive limit nothing', () => {
    const limits = (preset: 'readonly' | 'strict' | 'standard' | 'permissive') => presetPolicy(ROOT, preset).limits;
    assert.deepEqual(limits('strict'), {
      pm2_start_process: { calls: 15, perSeconds: 60, per: 'tool' },
      pm2_restart_process: { calls: 3, perSeconds: 60, per: 'process' },
      pm2_reload_process: { calls: 3, perSeconds: 60, per: 'process' },
    });
    assert.deepEqual(limits('standard'), {
      pm2_start_process: { calls: 30, perSeconds: 60, per: 'tool' },
      pm2_restart_process: { calls: 6, perSeconds: 60, per: 'process' },
      pm2_reload_process: { calls: 6, perSeconds: 60, per: 'process' },
    });
    assert.deepEqual(limits('readonly'), {});
    assert.deepEqual(limits('permissive'), {});
    // The preset's starts in a window are at least what its processes.max lets the agent run: a
    // whole allowed set can be brought up at once.
    for (const preset of ['strict', 'standard'] as const) assert.ok(presetConfig(preset).limits!.pm2_start_process!.calls >= presetConfig(preset).processes!.max!, preset);
  });
});
