// Limits of calls through the built binary and a real pm2 daemon: a project whose committed config
// extends strict, whose preset limits restart to 3 per 60 s per process. The 4th restart of one
// app within the window is denied with limits.pm2_restart_process and when to retry, the audit log
// holds that denial (and no outcome for it: nothing ran), another app still restarts, and
// `pm2-mcp explain` shows the limit without counting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, CLI, connect, destroyHome, makeTempDir, textOf, waitFor, type Session } from '../helpers/harness.js';
import { cleanEnv } from '../helpers/http-server.js';

const run = promisify(execFile);

interface Decision {
  kind: 'decision';
  decision_id: string;
  tool: string;
  effect: string;
  rule: string;
  reason: string;
}

describe('limits: a restart storm on one app', () => {
  let home: string;
  let project: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-limits-');
    project = await makeTempDir('pm2mcp-limits-p-');
    writeFileSync(join(project, 'app.js'), 'setInterval(() => {}, 1 << 30);\n');
    writeFileSync(join(project, 'pm2-mcp.config.json'), `${JSON.stringify({ extends: 'strict', start: { scripts: ['app.js'], cwd: ['.'] }, processes: { names: ['storm', 'calm'] } }, null, 2)}\n`);
    s = await connect({ home, cwd: project });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(project, { recursive: true, force: true });
  });

  const restart = (name: string) => call(s.client, 'pm2_restart_process', { process: name, waitUntil: 'none' });

  test('three restarts of storm run, the fourth within the window is denied with when to retry; calm still restarts', async () => {
    for (const name of ['storm', 'calm']) {
      const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name, waitUntil: 'none' });
      assert.equal(started.isError, undefined, textOf(started));
    }
    for (let i = 1; i <= 3; i++) {
      const r = await restart('storm');
      assert.equal(r.isError, undefined, `restart ${i}: ${textOf(r)}`);
    }
    const fourth = await restart('storm');
    assert.equal(fourth.isError, true, 'the fourth restart ran');
    assert.match(
      textOf(fourth),
      /^POLICY_DENIED: Denied by rule limits\.pm2_restart_process: pm2_restart_process has had 3 calls on storm \(pm_id \d+\) within the last 60 s, its limit \(3 calls per 60 s per process\)\. To allow it: retry in ([1-9]|[1-5]\d|60) s, or raise limits\.pm2_restart_process\.calls in /,
    );
    const calm = await restart('calm');
    assert.equal(calm.isError, undefined, textOf(calm));
  });

  test('the audit log records the denial, and no outcome for it', async () => {
    const file = join(home, 'pm2-mcp', 'audit.jsonl');
    const records = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; decision_id: string }) : []);
    const denial = await waitFor(() => records().find((r): r is Decision => r.kind === 'decision' && (r as Decision).rule === 'limits.pm2_restart_process'), 'the denial in the audit log');
    assert.deepEqual([denial.tool, denial.effect], ['pm2_restart_process', 'deny']);
    assert.match(denial.reason, /on storm \(pm_id \d+\)/);
    const restarts = records().filter((r): r is Decision => r.kind === 'decision' && (r as Decision).tool === 'pm2_restart_process');
    assert.deepEqual(restarts.map((r) => r.effect), ['allow', 'allow', 'allow', 'deny', 'allow']);
    assert.equal(records().some((r) => r.kind === 'outcome' && r.decision_id === denial.decision_id), false, 'a denied call has no outcome');
  });

  test('explain shows the limit, and counts nothing', async () => {
    const env = cleanEnv({ PM2_MCP_HOME: home });
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run(process.execPath, [CLI, 'explain', 'pm2_restart_process', JSON.stringify({ process: 'calm' })], { cwd: project, env, timeout: 30_000 });
      assert.match(stdout, /^Decision: allow$/m);
      assert.match(stdout, /^Limit: 3 calls per 60 s per process \(limits\.pm2_restart_process; /m);
    }
  });
});
