// The cases of `pm2-mcp test` decided as the server decides (src/commands/policy-cases.ts) over a
// process table that stands in for pm2 (src/pm2/table-adapter.ts), and the TAP lines they print.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { serverFacts } from '../../src/commands/gate.js';
import { judgeCase, type CaseWorld } from '../../src/commands/policy-cases.js';
import { verdictLines } from '../../src/commands/test.js';
import type { PolicyCase } from '../../src/config/tests-file.js';
import { ToolError } from '../../src/errors.js';
import { TableAdapter, tableProcesses } from '../../src/pm2/table-adapter.js';
import { presetPolicy } from '../helpers/policies.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'pm2mcp-cases-')));
const home = join(root, '.pm2');
mkdirSync(join(home, 'logs'), { recursive: true });
mkdirSync(join(root, 'apps', 'api'), { recursive: true });
writeFileSync(join(root, 'apps', 'api', 'server.js'), '');
const outside = realpathSync(mkdtempSync(join(tmpdir(), 'pm2mcp-cases-out-')));
writeFileSync(join(outside, 'other.js'), '');

const processes = [
  { name: 'api', namespace: 'default', cwd: 'apps/api', pm_id: 0, script: 'server.js' },
  { name: 'stranger', namespace: 'default', cwd: outside, pm_id: 1, script: 'other.js' },
];

function world(over: Partial<CaseWorld> = {}): CaseWorld {
  return { policy: presetPolicy(root, 'strict', { start: { scripts: ['apps/**/*.js'], cwd: ['.', 'apps/**'] }, processes: { names: ['api'] } }), facts: serverFacts(home, []), home, processes, ...over };
}

const kase = (c: Partial<PolicyCase> & Pick<PolicyCase, 'tool' | 'expect'>): PolicyCase => ({ name: c.tool, args: {}, ...c });

describe('the process table stands in for pm2', () => {
  test('list() gives the processes as pm2 lists them, a copy each time', async () => {
    const pm2 = new TableAdapter(home, tableProcesses(processes, root, home));
    const [api] = await pm2.list();
    assert.equal(api?.pm_id, 0);
    assert.deepEqual(
      { cwd: api?.pm2_env?.pm_cwd, script: api?.pm2_env?.pm_exec_path, out: api?.pm2_env?.pm_out_log_path, ns: api?.pm2_env?.namespace, interpreter: api?.pm2_env?.exec_interpreter },
      { cwd: join(root, 'apps', 'api'), script: join(root, 'apps', 'api', 'server.js'), out: join(home, 'logs', 'api-out.log'), ns: 'default', interpreter: 'node' },
    );
    api!.name = 'changed';
    assert.equal((await pm2.list())[0]?.name, 'api');
  });

  test('every change is refused', async () => {
    const pm2 = new TableAdapter(home, []);
    for (const change of [() => pm2.restart(0, {}), () => pm2.stop(0), () => pm2.killDaemon(), () => pm2.dump(), () => pm2.subscribe(() => undefined, () => undefined)]) {
      await assert.rejects(change(), (err: unknown) => err instanceof ToolError && err.code === 'NOT_SUPPORTED');
    }
  });
});

describe('a case is decided as the server decides it', () => {
  test('a restart in scope is allowed, its stored config judged with pm2\'s log folder the server knows', async () => {
    const v = await judgeCase(world(), kase({ tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'allow' }));
    assert.deepEqual([v.held, v.effect, v.ruleId], [true, 'allow', 'processes.scope'], v.reason);
  });

  test('a restart outside the scope, a start outside the globs, a tool turned off: denied by their rules', async () => {
    const cases: Array<[PolicyCase, string]> = [
      [kase({ tool: 'pm2_restart_process', args: { process: 'stranger' }, expect: 'deny' }), 'processes.scope'],
      [kase({ tool: 'pm2_start_process', args: { script: join(outside, 'other.js') }, expect: 'deny' }), 'start.scripts'],
      [kase({ tool: 'pm2_kill_daemon', expect: 'deny' }), 'tools.pm2_kill_daemon'],
      [kase({ tool: 'pm2_stop_process', args: { process: 'all' }, expect: 'deny' }), 'processes.allowAll'],
    ];
    for (const [c, rule] of cases) {
      const v = await judgeCase(world(), c);
      assert.deepEqual([v.held, v.effect, v.ruleId], [true, 'deny', rule], `${c.tool}: ${v.reason}`);
    }
  });

  test('a start of an allowed script is allowed', async () => {
    const v = await judgeCase(world(), kase({ tool: 'pm2_start_process', args: { script: 'apps/api/server.js', name: 'api2' }, expect: 'allow' }));
    assert.equal(v.held, false, 'api2 is no name of processes.names');
    assert.equal(v.ruleId, 'processes.scope');
    const named = await judgeCase(world(), kase({ tool: 'pm2_start_process', args: { script: 'apps/api/server.js', name: 'api' }, expect: 'allow' }));
    assert.deepEqual([named.held, named.effect], [true, 'allow'], named.reason);
  });

  test('a process the table does not have is refused as the server refuses it', async () => {
    const v = await judgeCase(world(), kase({ tool: 'pm2_restart_process', args: { process: 'ghost' }, expect: 'deny' }));
    assert.deepEqual([v.held, v.ruleId], [true, 'resolve.PROCESS_NOT_FOUND']);
  });

  test('arguments the tool refuses hold only for a case that names the rule', async () => {
    const typo = await judgeCase(world(), kase({ tool: 'pm2_restart_process', args: { proces: 'api' }, expect: 'deny' }));
    assert.deepEqual([typo.held, typo.ruleId], [false, 'arguments.invalid']);
    assert.match(typo.problem ?? '', /give the case "rule": "arguments\.invalid"/);
    const meant = await judgeCase(world(), kase({ tool: 'pm2_restart_process', args: { proces: 'api' }, expect: 'deny', rule: 'arguments.invalid' }));
    assert.equal(meant.held, true);
  });

  test('a case that pins another rule does not hold', async () => {
    const v = await judgeCase(world(), kase({ tool: 'pm2_kill_daemon', expect: 'deny', rule: 'processes.scope' }));
    assert.equal(v.held, false);
  });

  test('audit mode: the policy\'s answer is still deny, and the line says it would run', async () => {
    const audit = presetPolicy(root, 'strict', { mode: 'audit' });
    const v = await judgeCase(world({ policy: audit }), kase({ name: 'restart api', tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'deny' }));
    assert.deepEqual([v.held, v.wouldRun], [true, true]);
    assert.match(verdictLines(1, v)[0]!, /^ok 1 - restart api is denied \(rule processes\.scope\) \(audit mode: it would run\)$/);
  });
});

describe('the lines printed', () => {
  test('ok, not ok with the reason and hint, a rule that differs; names escaped', async () => {
    const allowed = await judgeCase(world(), kase({ name: 'restart api', tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'allow' }));
    assert.deepEqual(verdictLines(1, allowed), ['ok 1 - restart api is allowed (rule processes.scope)']);
    const wrong = await judgeCase(world(), kase({ name: 'kill\u001b[2J', tool: 'pm2_kill_daemon', expect: 'allow' }));
    const lines = verdictLines(2, wrong);
    assert.equal(lines[0], 'not ok 2 - kill\\u001b[2J: expected allow, got deny (rule tools.pm2_kill_daemon)');
    assert.match(lines[1]!, /^# {3}reason: /);
    assert.match(lines[2]!, /^# {3}hint: set "tools"/);
    const rule = await judgeCase(world(), kase({ name: 'kill', tool: 'pm2_kill_daemon', expect: 'deny', rule: 'other.rule' }));
    assert.equal(verdictLines(3, rule)[0], 'not ok 3 - kill: deny as expected, but by rule tools.pm2_kill_daemon, not rule other.rule');
  });

  test('env values given in a case never reach the lines', async () => {
    const v = await judgeCase(world(), kase({ name: 'start with a secret', tool: 'pm2_start_process', args: { script: 'apps/api/server.js', name: 'api', env: { API_TOKEN: 'hunter2-secret' } }, expect: 'allow' }));
    assert.equal(v.held, false);
    assert.doesNotMatch(verdictLines(1, v).join('\n'), /hunter2/);
  });
});
