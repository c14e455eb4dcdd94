// A process's whole life through the built binary, the SDK's Client and a real pm2 daemon.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, connect, destroyHome, isAlive, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { tailRuns } from '../helpers/tail-runs.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
const APP = join(FIXTURES, 'app.js');

type Summary = { name: string; pm_id: number; status: string; pid?: number; restarts: number; exec_mode: string; script?: string };

describe('a process\'s whole life over MCP', () => {
  let home: string;
  let s: Session;
  const pids: number[] = [];

  before(async () => {
    home = await makeTempDir('pm2mcp-e2e-');
    s = await connect({ home, cwd: FIXTURES });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} outlived the test`);
  });

  const list = async () => (await call(s.client, 'pm2_list_processes')).structuredContent as { count: number; processes: Summary[] };
  const byName = async (name: string) => (await list()).processes.filter((p) => p.name === name);

  test('the list starts empty', async () => {
    const r = await call(s.client, 'pm2_list_processes');
    assert.equal(r.isError, undefined);
    assert.deepEqual(r.structuredContent, { count: 0, processes: [] });
  });

  test('start runs the script with the env given, and a server secret does not reach it', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'web', env: { TAG: 'web', GREETING: 'bonjour' } });
    assert.equal(r.isError, undefined, textOf(r));
    const started = (r.structuredContent as { started: Summary[] }).started;
    assert.equal(started.length, 1);
    assert.equal(started[0]!.name, 'web');
    assert.equal(started[0]!.script, APP);
    const online = await waitFor(async () => (await byName('web')).find((p) => p.status === 'online' && p.pid), 'web online');
    pids.push(online.pid!);
    const environ = readFileSync(`/proc/${online.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('GREETING=bonjour'));
    assert.ok(!environ.some((e) => e.startsWith('PM2_MCP_HOME=')), 'the server\'s own environment leaked into the app');
  });

  test('starting a second process under a taken name is refused and changes nothing', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'web', args: ['--other'] });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /START_REFUSED: A process named "web" exists already/);
    assert.equal((await byName('web')).length, 1);
  });

  test('describe shows paths and env names, never env values', async () => {
    const r = await call(s.client, 'pm2_describe_process', { process: 'web' });
    assert.equal(r.isError, undefined, textOf(r));
    const [d] = (r.structuredContent as { processes: Array<Summary & { env: Record<string, string>; logs: { out: string } }> }).processes;
    assert.equal(d!.env.GREETING, '[redacted]');
    assert.equal(d!.env.TAG, '[redacted]');
    assert.ok(d!.logs.out.startsWith(home));
    assert.ok(!JSON.stringify(r).includes('bonjour'), 'an env value reached the output');
  });

  test('describe\'s text: `key: value` lines, at most 500 bytes for a process with 10 env names in all', async () => {
    // The standard preset passes some of the server's variables through (PATH, HOME …): the
    // start gives the rest, so that the app has 10 names in all whatever this machine's env.
    const standard = JSON.parse(readFileSync(join(ROOT, 'policies', 'standard.json'), 'utf8')) as { start: { env: { passThrough: string[] } } };
    const inherited = standard.start.env.passThrough.filter((n) => process.env[n] !== undefined);
    const names = ['NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL', 'API_BASE_URL', 'APP_REGION', 'CACHE_TTL', 'WORKER_COUNT'].slice(0, Math.max(0, 10 - inherited.length));
    const env = Object.fromEntries(names.map((n, i) => [n, `value-${i}-${'v'.repeat(12)}`]));
    const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'compact', env });
    assert.equal(started.isError, undefined, textOf(started));
    const online = await waitFor(async () => (await byName('compact')).find((p) => p.status === 'online' && p.pid), 'compact online');
    pids.push(online.pid!);
    const r = await call(s.client, 'pm2_describe_process', { process: 'compact' });
    assert.equal(r.isError, undefined, textOf(r));
    const [d] = (r.structuredContent as { processes: Array<{ env: Record<string, string> }> }).processes;
    assert.equal(Object.keys(d!.env).length, 10, `env names: ${Object.keys(d!.env).join(', ')}`);
    const text = textOf(r);
    assert.ok(Buffer.byteLength(text) <= 500, `describe's text is ${Buffer.byteLength(text)} bytes:\n${text}`);
    const lines = text.split('\n');
    for (const line of lines) assert.match(line, /^[a-z][a-z ]*: \S/, `not a key: value line: ${JSON.stringify(line)}`);
    const keys = lines.map((l) => l.slice(0, l.indexOf(':')));
    for (const key of ['process', 'namespace', 'status', 'pid', 'uptime', 'restarts', 'script', 'cwd', 'interpreter', 'mode', 'watch', 'autorestart', 'started', 'out log', 'err log', 'env']) assert.ok(keys.includes(key), `no ${key} line:\n${text}`);
    assert.ok(lines.includes(`script: ${APP}`), text);
    assert.ok(lines.includes(`env: ${Object.keys(d!.env).join(', ')} (values redacted)`), text);
    assert.ok(!text.includes('value-'), 'an env value reached the text');
    await call(s.client, 'pm2_delete_process', { process: 'compact' });
  });

  test('tail shows what the process printed, multibyte text intact', async () => {
    const out = await waitFor(async () => {
      const r = await call(s.client, 'pm2_tail_logs', { process: 'web', lines: 10 });
      return textOf(r).includes('ready web') ? r : undefined;
    }, 'the app\'s first line');
    assert.match(textOf(out), /ready web instance=0 greeting=bonjour/);
    assert.match(textOf(out), /multibyte: é 日本語 🙂/);
    const err = await call(s.client, 'pm2_tail_logs', { process: 'web', type: 'err' });
    assert.match(textOf(err), /warn web/);
    const both = await call(s.client, 'pm2_tail_logs', { process: 'web', type: 'combined' });
    const runs = tailRuns(both);
    assert.ok(runs.some((r) => r.stream === 'out' && r.lines.some((l) => l.startsWith('ready web'))));
    assert.ok(runs.some((r) => r.stream === 'err' && r.lines.includes('warn web')));
    assert.match(textOf(both), /==> web\[\d+\] err <==\n(?:.*\n)*?warn web/);
  });

  test('restart gives a new pid and counts the restart', async () => {
    const [before] = await byName('web');
    const r = await call(s.client, 'pm2_restart_process', { process: 'web' });
    assert.equal(r.isError, undefined, textOf(r));
    const after = await waitFor(async () => (await byName('web')).find((p) => p.status === 'online' && p.pid && p.pid !== before!.pid), 'a new pid');
    pids.push(after.pid!);
    assert.equal(after.restarts, before!.restarts + 1);
  });

  test('a cluster app: every instance started, reloaded, and tailed', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: APP, name: 'api', instances: 2, env: { TAG: 'api' } });
    assert.equal(r.isError, undefined, textOf(r));
    const online = await waitFor(async () => {
      const procs = await byName('api');
      return procs.length === 2 && procs.every((p) => p.status === 'online') ? procs : undefined;
    }, 'two api instances');
    assert.ok(online.every((p) => p.exec_mode === 'cluster'));
    online.forEach((p) => pids.push(p.pid!));
    const reload = await call(s.client, 'pm2_reload_process', { process: 'api' });
    assert.equal(reload.isError, undefined, textOf(reload));
    const reloaded = await waitFor(async () => {
      const procs = await byName('api');
      return procs.length === 2 && procs.every((p) => p.status === 'online' && !online.some((o) => o.pid === p.pid)) ? procs : undefined;
    }, 'two reloaded api instances');
    reloaded.forEach((p) => pids.push(p.pid!));
    const tail = await waitFor(async () => {
      const t = await call(s.client, 'pm2_tail_logs', { process: 'api', lines: 50 });
      const ids = new Set(tailRuns(t).filter((r) => r.lines.some((l) => l.startsWith('ready api'))).map((r) => r.pm_id));
      return ids.size === 2 ? ids : undefined;
    }, 'lines of both instances');
    assert.equal(tail.size, 2);
  });

  test('an ecosystem file starts each app, parsed without executing it', async () => {
    const r = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'ecosystem.json' });
    assert.equal(r.isError, undefined, textOf(r));
    const names = (r.structuredContent as { started: Summary[] }).started.map((p) => p.name).sort();
    assert.deepEqual(names, ['eco-web', 'eco-worker']);
    const d = await call(s.client, 'pm2_describe_process', { process: 'eco-worker' });
    assert.deepEqual((d.structuredContent as { processes: Array<{ args: string[] }> }).processes[0]!.args, ['--queue', 'jobs']);
    const yaml = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'ecosystem.yml' });
    assert.equal(yaml.isError, undefined, textOf(yaml));
    assert.deepEqual((yaml.structuredContent as { started: Summary[] }).started.map((p) => p.name), ['eco-yaml']);
  });

  test('stop keeps the process listed as stopped', async () => {
    const r = await call(s.client, 'pm2_stop_process', { process: 'eco-web' });
    assert.equal(r.isError, undefined, textOf(r));
    const [p] = await byName('eco-web');
    assert.equal(p!.status, 'stopped');
    assert.ok(!('pid' in p!), 'a stopped process has no pid key');
  });

  test('flush empties the log files of one process and leaves the others', async () => {
    const d = await call(s.client, 'pm2_describe_process', { process: 'web' });
    const logs = (d.structuredContent as { processes: Array<{ logs: { out: string } }> }).processes[0]!.logs;
    assert.ok(readFileSync(logs.out, 'utf8').length > 0);
    const apiLog = (await call(s.client, 'pm2_describe_process', { process: 'api' })).structuredContent as { processes: Array<{ logs: { out: string } }> };
    const r = await call(s.client, 'pm2_flush_logs', { process: 'web' });
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(readFileSync(logs.out, 'utf8'), '');
    assert.ok(readFileSync(apiLog.processes[0]!.logs.out, 'utf8').length > 0, 'flush touched another process');
  });

  test('reload_logs and dump', async () => {
    const rl = await call(s.client, 'pm2_reload_logs');
    assert.equal(rl.isError, undefined, textOf(rl));
    const r = await call(s.client, 'pm2_dump');
    assert.equal(r.isError, undefined, textOf(r));
    const { file, processes } = r.structuredContent as { file: string; processes: number };
    assert.equal(file, join(home, 'dump.pm2'));
    assert.ok(existsSync(file));
    assert.equal(processes, (await list()).count);
  });

  test('resources: the list, one process by pm_id, listed and completable', async () => {
    const [web] = await byName('web');
    const all = await s.client.readResource({ uri: 'pm2://processes' });
    const parsed = JSON.parse((all.contents[0] as { text: string }).text) as { processes: Summary[] };
    assert.ok(parsed.processes.some((p) => p.name === 'web'));
    const one = await s.client.readResource({ uri: `pm2://process/${web!.pm_id}` });
    const detail = JSON.parse((one.contents[0] as { text: string }).text) as { name: string; env: Record<string, string> };
    assert.equal(detail.name, 'web');
    assert.equal(detail.env.GREETING, '[redacted]');
    const listed = await s.client.listResources();
    assert.ok(listed.resources.some((r) => r.uri === `pm2://process/${web!.pm_id}`));
    const templates = await s.client.listResourceTemplates();
    assert.deepEqual(templates.resourceTemplates.map((t) => t.uriTemplate), ['pm2://process/{id}']);
    const completion = await s.client.complete({ ref: { type: 'ref/resource', uri: 'pm2://process/{id}' }, argument: { name: 'id', value: String(web!.pm_id) } });
    assert.ok(completion.completion.values.includes(String(web!.pm_id)));
    await assert.rejects(s.client.readResource({ uri: 'pm2://process/999' }), /PROCESS_NOT_FOUND/);
  });

  test('delete removes one process', async () => {
    const r = await call(s.client, 'pm2_delete_process', { process: 'eco-worker' });
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(await byName('eco-worker'), []);
  });

  test('kill_daemon stops every process and the daemon; the next call starts afresh', async () => {
    const daemonPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    const appPids = (await list()).processes.map((p) => p.pid).filter((p): p is number => p !== undefined);
    const r = await call(s.client, 'pm2_kill_daemon');
    assert.equal(r.isError, undefined, textOf(r));
    await waitFor(() => !isAlive(daemonPid) || undefined, 'the daemon to exit');
    for (const pid of appPids) await waitFor(() => !isAlive(pid) || undefined, `app pid ${pid} to exit`);
    const again = await call(s.client, 'pm2_list_processes');
    assert.equal(again.isError, undefined, textOf(again));
    assert.deepEqual(again.structuredContent, { count: 0, processes: [] });
  });

  test('stdout carried only JSON-RPC throughout', () => {
    assert.deepEqual(s.protocolErrors, []);
  });
});
