// The policy changes while the server runs: the built server watches its config file. A valid
// change is used from the next call on (a call in flight finishes under its own), the client is
// told its tools changed, and the audit log records the change; an invalid one keeps the last
// good policy and says so.
import assert from 'node:assert/strict';
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { call, connect, destroyHome, makeTempDir, textOf, waitFor, type Session } from '../helpers/harness.js';
import { mcp, newToken, running, serve, sha256hex } from '../helpers/http-server.js';

describe('the policy changes while the server runs', () => {
  let home: string;
  let proj: string;
  let auditFile: string;
  let s: Session;
  let changes = 0;

  /** As an editor saves: a new file renamed over the old one. */
  const writeConfig = (config: unknown) => {
    const tmp = join(proj, '.pm2-mcp.config.json.tmp');
    writeFileSync(tmp, typeof config === 'string' ? config : JSON.stringify(config));
    renameSync(tmp, join(proj, 'pm2-mcp.config.json'));
  };
  const records = () => readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const toolNames = async () => (await s.client.listTools()).tools.map((t) => t.name);

  before(async () => {
    home = await makeTempDir('pm2mcp-live-');
    proj = realpathSync(await makeTempDir('pm2mcp-livep-'));
    auditFile = join(proj, 'audit.jsonl');
    writeFileSync(join(proj, 'package.json'), '{ "name": "live-project", "private": true }\n');
    writeFileSync(join(proj, 'app.js'), 'setInterval(() => {}, 1000);\n');
    writeConfig({ extends: 'standard' });
    s = await connect({ home, cwd: proj, args: ['--audit-file', auditFile] });
    s.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('a call in flight finishes under the policy it began with; the next call is decided by the new one', async () => {
    assert.ok((await toolNames()).includes('pm2_stop_process'));
    const starting = call(s.client, 'pm2_start_process', { script: 'app.js', name: 'svc', waitUntil: 'online' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeConfig({ extends: 'standard', tools: { pm2_start_process: 'deny', pm2_stop_process: 'deny' } });
    const started = await starting;
    assert.equal(started.isError, undefined, `the start began under the old policy: ${textOf(started)}`);
    await waitFor(() => changes > 0 || undefined, 'notifications/tools/list_changed');
    const names = await toolNames();
    assert.ok(!names.includes('pm2_stop_process') && !names.includes('pm2_start_process'), names.join(' '));
    const stop = await call(s.client, 'pm2_stop_process', { process: 'svc' });
    assert.equal(stop.isError, true);
    assert.match(textOf(stop), /^POLICY_DENIED: Denied by rule tools\.pm2_stop_process/);
    assert.ok(s.logs.some((l) => l.includes('the policy changed')), s.logs.join('\n'));
  });

  test('the audit log records the change, and later decisions name the new policy', async () => {
    const all = records();
    const change = all.find((r) => r.kind === 'policy') as { before: { sha256: string }; after: { sha256: string; sources: string[] } } | undefined;
    assert.ok(change, 'a policy record');
    assert.notEqual(change.before.sha256, change.after.sha256);
    assert.ok(change.after.sources.some((f) => f.endsWith('pm2-mcp.config.json')));
    const lastDecision = all.filter((r) => r.kind === 'decision').at(-1) as { policy: { sha256: string } };
    assert.equal(lastDecision.policy.sha256, change.after.sha256);
    const verify = await import('node:child_process').then(({ execFileSync }) => execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), 'audit', 'verify', auditFile], { encoding: 'utf8' }));
    assert.match(verify, /intact|ok|verified/i, verify);
  });

  test('an invalid change keeps the last good policy, and says so', async () => {
    const before = s.logs.length;
    writeConfig({ extends: 'standard', tools: { pm2_stop_process: 'maybe' } });
    await waitFor(() => s.logs.slice(before).some((l) => l.includes('does not load, so the last good policy stays')) || undefined, 'the warning');
    const stop = await call(s.client, 'pm2_stop_process', { process: 'svc' });
    assert.match(textOf(stop), /^POLICY_DENIED: Denied by rule tools\.pm2_stop_process/, 'still the last good policy');
    writeConfig({ extends: 'standard' });
    await waitFor(async () => (await toolNames()).includes('pm2_stop_process') || undefined, 'stop allowed again');
  });
  test('a config deleted and written again: the last good policy stays meanwhile, and the new file is read', async () => {
    writeConfig({ extends: 'standard', tools: { pm2_stop_process: 'deny' } });
    await waitFor(async () => !(await toolNames()).includes('pm2_stop_process') || undefined, 'stop denied');
    const before = s.logs.length;
    rmSync(join(proj, 'pm2-mcp.config.json'));
    await waitFor(() => s.logs.slice(before).some((l) => l.includes('is gone')) || undefined, 'the config is gone, said');
    assert.ok(!(await toolNames()).includes('pm2_stop_process'), 'not the standard preset of no config');
    writeConfig({ extends: 'standard', tools: { pm2_stop_process: 'deny', pm2_dump: 'deny' } });
    await waitFor(async () => !(await toolNames()).includes('pm2_dump') || undefined, 'the file written again is watched and read');
  });

  test('a file the chain gains by extends is watched from then on', async () => {
    writeFileSync(join(proj, 'base.json'), JSON.stringify({ extends: 'standard' }));
    writeConfig({ extends: './base.json' });
    await waitFor(async () => (await toolNames()).includes('pm2_dump') || undefined, 'the new chain');
    writeFileSync(join(proj, 'base.json'), JSON.stringify({ extends: 'standard', tools: { pm2_dump: 'deny' } }));
    await waitFor(async () => !(await toolNames()).includes('pm2_dump') || undefined, 'base.json edited');
  });
});

describe('an HTTP token\'s preset follows its file, and the files that file extends', () => {
  let home: string;
  let proj: string;

  before(async () => {
    home = await makeTempDir('pm2mcp-livet-');
    proj = realpathSync(await makeTempDir('pm2mcp-livetp-'));
  });

  after(async () => {
    for (const served of [...running]) await served.stop();
    await destroyHome(home);
  });

  test('a tightened ci2.json, which ci.json extends, narrows the token', async () => {
    const token = newToken();
    writeFileSync(join(proj, 'package.json'), '{ "name": "live-tokens", "private": true }\n');
    writeFileSync(join(proj, 'ci2.json'), JSON.stringify({ extends: 'standard' }));
    writeFileSync(join(proj, 'ci.json'), JSON.stringify({ extends: './ci2.json' }));
    writeFileSync(join(proj, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard', http: { tokens: [{ name: 'ci', sha256: sha256hex(token), extends: './ci.json' }] } }));
    const served = await serve({ home, cwd: proj });
    const c = await mcp(served.url, token);
    try {
      const names = async () => (await c.client.listTools()).tools.map((t) => t.name);
      // The token's preset chain is found by loading it, just after start.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok((await names()).includes('pm2_dump'));
      const tmp = join(proj, '.ci2.tmp');
      writeFileSync(tmp, JSON.stringify({ extends: 'standard', tools: { pm2_dump: 'deny' } }));
      renameSync(tmp, join(proj, 'ci2.json'));
      await waitFor(async () => !(await names()).includes('pm2_dump') || undefined, 'the token narrowed by ci2.json');
    } finally {
      await c.close();
    }
  });
});

// A server started readonly spawns no pm2 daemon (it could only read); widened while it runs, it
// may start processes, and a start needs a daemon: the choice follows the policy in force.
describe('a readonly server widened to standard while it runs', () => {
  let home: string;
  let proj: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-livew-');
    proj = realpathSync(await makeTempDir('pm2mcp-livewp-'));
    writeFileSync(join(proj, 'package.json'), '{ "name": "live-widened", "private": true }\n');
    writeFileSync(join(proj, 'app.js'), 'setInterval(() => {}, 1000);\n');
    writeFileSync(join(proj, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'readonly' }));
    s = await connect({ home, cwd: proj });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('spawns the daemon its first start needs', async () => {
    const list = await call(s.client, 'pm2_list_processes');
    assert.match(textOf(list), /DAEMON_NOT_RUNNING/, 'readonly spawns no daemon');
    const tmp = join(proj, '.cfg.tmp');
    writeFileSync(tmp, JSON.stringify({ extends: 'standard' }));
    renameSync(tmp, join(proj, 'pm2-mcp.config.json'));
    await waitFor(async () => (await s.client.listTools()).tools.some((t) => t.name === 'pm2_start_process') || undefined, 'the start tool, after the change');
    const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'widened', waitUntil: 'online' });
    assert.equal(started.isError, undefined, textOf(started));
    assert.match(textOf(started), /widened \(pm_id \d+\)/);
  });
});
