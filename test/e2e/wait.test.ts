// Starts, restarts and reloads that wait and report what really happened, against a real daemon:
// a crash is an error with its exit code and its error line, "ready" waits for the port, the line
// or process.send('ready'), a timeout leaves the app running and says so, and progress is sent.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startTime } from '../../src/file-lock.js';
import { call, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');

interface InstanceReport {
  pm_id: number;
  name: string;
  result: string;
  status: string;
  online_since?: string;
  ready_after_ms?: number;
  exit_code?: number;
  restarts: number;
  next: string;
  last_lines: string[];
}

const errorMeta = (r: CallToolResult) => (r._meta?.['pm2-mcp/error'] ?? {}) as { code?: string; wait?: { instances: InstanceReport[] } };

/** A TCP port free right now on the loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a start, restart or reload waits for its app and says what happened', () => {
  let home: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-wait-');
    s = await connect({ home, cwd: FIXTURES });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('an app that crashes at start-up is an error with its exit code and its error line, within the timeout', async () => {
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_start_process', { script: 'wait/crash.js', name: 'crashy', env: { TAG: 'crashy', EXIT_CODE: '3' }, timeoutMs: 8000 });
    const took = Date.now() - t0;
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^NOT_ONLINE: Started crashy \(pm_id \d+\), but not every instance is online/);
    assert.match(textOf(r), /exited with code 3/);
    assert.match(textOf(r), /fatal: crashy needs DATABASE_URL/);
    assert.match(textOf(r), /restart loop/);
    const [instance] = errorMeta(r).wait!.instances;
    assert.equal(instance!.result, 'exited');
    assert.equal(instance!.exit_code, 3);
    assert.ok(took < 8000, `the wait took ${took} ms: it should end at the first exit`);
  });

  test('a restart of a crashing app reports the restart loop', async () => {
    const r = await call(s.client, 'pm2_restart_process', { process: 'crashy' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^NOT_ONLINE: Restarted crashy \(pm_id \d+\), but not every instance is online/);
    assert.match(textOf(r), /exited with code 3 after \d+ ms, before its min_uptime \(1000 ms\)/);
    assert.match(textOf(r), /restart loop|gave up on it/);
    assert.match(textOf(r), /fatal: crashy needs DATABASE_URL/);
    await call(s.client, 'pm2_delete_process', { process: 'crashy' });
  });

  // pm2 keeps a crashed app's dead pid until its autorestart timer fires (God.handleExit), and its
  // startProcessId refuses that app: "Process with pid N already exists". With restart_delay the
  // window lasts seconds; without one it is a timer tick, which a restart can still land in.
  test('a restart of an app waiting for its restart_delay restarts it now, and reports the crash', async () => {
    const started = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'wait/ecosystem-backoff.json', timeoutMs: 3000 });
    assert.equal(started.isError, true, textOf(started));
    await waitFor(async () => {
      const list = (await call(s.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string; status: string }> };
      return list.processes.find((p) => p.name === 'backoff' && p.status === 'waiting restart');
    }, 'backoff waiting for its restart_delay');
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_restart_process', { process: 'backoff', timeoutMs: 3000 });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^NOT_ONLINE: Restarted backoff \(pm_id \d+\), but not every instance is online/);
    assert.match(textOf(r), /exited with code 4/);
    assert.ok(Date.now() - t0 < 3500, 'the restart ran at once, not after the restart_delay');
    await call(s.client, 'pm2_delete_process', { process: 'backoff' });
  });

  test('waitUntil "ready" with readyPort returns once the port accepts, after the app\'s 2 s, ready', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_start_process', { script: 'wait/listen-late.js', name: 'late-web', env: { PORT: String(port), DELAY_MS: '2000' }, waitUntil: 'ready', readyPort: port });
    const took = Date.now() - t0;
    assert.equal(r.isError, undefined, textOf(r));
    assert.ok(took >= 2000, `returned after ${took} ms, before the app listened`);
    const wait = (r.structuredContent as { wait: { ok: boolean; instances: InstanceReport[] } }).wait;
    assert.equal(wait.ok, true);
    assert.equal(wait.instances[0]!.result, 'ready');
    assert.ok(wait.instances[0]!.ready_after_ms! >= 2000);
    assert.match(textOf(r), new RegExp(`ready after \\d+ ms \\(port ${port} accepts connections\\)`));
  });

  test('a restart with readyPattern waits for the line', async () => {
    const r = await call(s.client, 'pm2_restart_process', { process: 'late-web', waitUntil: 'ready', readyPattern: '/^listening on \\d+/' });
    assert.equal(r.isError, undefined, textOf(r));
    const wait = (r.structuredContent as { wait: { instances: InstanceReport[] } }).wait;
    assert.equal(wait.instances[0]!.result, 'ready');
    assert.ok(wait.instances[0]!.ready_after_ms! >= 2000, `ready after ${wait.instances[0]!.ready_after_ms} ms`);
    await call(s.client, 'pm2_delete_process', { process: 'late-web' });
  });

  test('readyMessage waits for process.send(\'ready\'), and progress is sent when asked for', async () => {
    // What the server sent, read off the transport: the SDK's Client hands a progress notification
    // to onprogress a microtask late, and drops it when the response came in the same read (the
    // last "ready" often does: one pm2 list lies between them), so onprogress alone made this flaky.
    const sent: string[] = [];
    const transport = s.client.transport!;
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const m = message as { method?: string; params?: { message?: unknown } };
      if (m.method === 'notifications/progress') sent.push(String(m.params?.message));
      deliver?.(message, extra);
    };
    const t0 = Date.now();
    try {
      const r = (await s.client.callTool(
        { name: 'pm2_start_process', arguments: { script: 'wait/send-ready.js', name: 'sender', env: { DELAY_MS: '1500' }, waitUntil: 'ready', readyMessage: true } },
        undefined,
        { onprogress: () => undefined },
      )) as CallToolResult;
      assert.equal(r.isError, undefined, textOf(r));
      assert.ok(Date.now() - t0 >= 1500);
      assert.match(textOf(r), /ready after \d+ ms \(it sent process\.send\('ready'\)\)/);
    } finally {
      transport.onmessage = deliver;
    }
    assert.ok(sent.some((m) => /sender \(pm_id \d+\): online/.test(m)), sent.join(' | '));
    assert.ok(sent.some((m) => /sender \(pm_id \d+\): ready/.test(m)), sent.join(' | '));
  });

  test('a timeout is NOT_READY, and the app is left running and said so', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_start_process', { script: 'wait/listen-late.js', name: 'too-late', env: { PORT: String(port), DELAY_MS: '60000' }, waitUntil: 'ready', readyPort: port, timeoutMs: 1500 });
    const took = Date.now() - t0;
    assert.equal(r.isError, true, textOf(r));
    assert.ok(took >= 1500 && took < 6000, `took ${took} ms`);
    assert.match(textOf(r), /^NOT_READY: Started too-late/);
    assert.match(textOf(r), /not ready within 1500 ms/);
    assert.match(textOf(r), /left as pm2 has it \(online\)/);
    const [instance] = errorMeta(r).wait!.instances;
    assert.equal(instance!.result, 'timeout');
    assert.equal(instance!.status, 'online');
    const list = (await call(s.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string; status: string }> };
    assert.equal(list.processes.find((p) => p.name === 'too-late')?.status, 'online');
  });

  test('the default wait is "online and stable"; "none" answers at once', async () => {
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'steady', env: { TAG: 'steady' } });
    assert.equal(r.isError, undefined, textOf(r));
    assert.ok(Date.now() - t0 >= 1000, 'the default wait lasts the min_uptime');
    assert.match(textOf(r), /steady \(pm_id \d+\): online since .*, and still online after its min_uptime \(1000 ms\)/);
    const none = await call(s.client, 'pm2_restart_process', { process: 'steady', waitUntil: 'none' });
    assert.equal(none.isError, undefined, textOf(none));
    assert.equal((none.structuredContent as { wait?: unknown }).wait, undefined);
  });

  test('the new arguments pass the gate: a bad ready argument is refused, a timeout above the policy\'s bound is denied', async () => {
    const noCheck = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'x', waitUntil: 'ready' });
    assert.equal(noCheck.isError, true);
    assert.match(textOf(noCheck), /INVALID_ARGUMENTS: .*give exactly one of readyPort, readyPattern or readyMessage/);
    const port = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'x', waitUntil: 'ready', readyPort: 70000 });
    assert.match(textOf(port), /INVALID_ARGUMENTS: .*readyPort/);
    const backtrack = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'x', waitUntil: 'ready', readyPattern: '/(a)\\1/' });
    assert.match(textOf(backtrack), /INVALID_ARGUMENTS: .*readyPattern: .*linear-time/);
    const long = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'x', timeoutMs: 600_000 });
    assert.equal(long.isError, true);
    assert.match(textOf(long), /POLICY_DENIED: Denied by rule start\.maxWaitMs: .*600000 ms.*120000 ms.*raise start\.maxWaitMs/);
    const list = (await call(s.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string }> };
    assert.ok(!list.processes.some((p) => p.name === 'x'));
  });
  test('an app that says ready and dies 5 ms later is NOT_READY, with its exit', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'wait/ready-then-exit.js', name: 'flaky-ready', waitUntil: 'ready', readyMessage: true, timeoutMs: 8000 });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^NOT_READY: /);
    assert.match(textOf(r), /exited with code 1/);
    assert.equal(errorMeta(r).wait!.instances[0]!.result, 'exited');
    await call(s.client, 'pm2_delete_process', { process: 'flaky-ready' });
  });

  test('a start whose readyPort another process already holds starts nothing: PORT_IN_USE', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const r = await call(s.client, 'pm2_start_process', { script: 'wait/listen-late.js', name: 'port-taken', env: { PORT: String(port), DELAY_MS: '100' }, waitUntil: 'ready', readyPort: port });
      assert.equal(r.isError, true, textOf(r));
      assert.match(textOf(r), /^PORT_IN_USE: Nothing was started: port \d+ already accepts connections/);
      const list = await call(s.client, 'pm2_list_processes');
      assert.ok(!textOf(list).includes('port-taken'), textOf(list));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

// A server of their own: a restart limit per process (limits.pm2_restart_process) counts every
// call of one server, and these make many.
describe('restarts that race each other, and a slow stop', () => {
  let home: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-wait2-');
    s = await connect({ home, cwd: FIXTURES });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  // Ten restarts at once: pm2 refuses all but one ("Process with pid N already exists"); asked
  // again one after another, they must never leave two copies of the app under one pm_id (the
  // second attack on the restart fix found five), and each reports the run that was left online.
  test('concurrent restarts of one app each restart it, and leave one copy of it running', async () => {
    const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'many-restarts', env: { TAG: 'many-restarts' }, waitUntil: 'none' });
    assert.equal(started.isError, undefined, textOf(started));
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => call(s.client, i % 2 ? 'pm2_reload_process' : 'pm2_restart_process', { process: 'many-restarts' })));
    for (const r of replies) assert.equal(r.isError, undefined, textOf(r));
    for (const r of replies) assert.match(textOf(r), /many-restarts \(pm_id \d+\): online since .*, and still online after its min_uptime/);
    const daemon = readFileSync(join(home, 'pm2.pid'), 'utf8').trim();
    const copies = execFileSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.trim().split(/\s+/)[0] === daemon && l.includes(join(FIXTURES, 'app.js')));
    assert.equal(copies.length, 1, copies.join('\n'));
    await call(s.client, 'pm2_delete_process', { process: 'many-restarts' });
  });

  // The second attack's restart still queued behind the action lock when its wait ended was
  // answered "pm2 was still at it … and goes on with it", then dropped unsaid by the lock's own
  // 10 s wait. Bounded by the call's deadline, the lock wait is the answer.
  test('a restart that cannot get its turn at pm2 before its timeoutMs says so, and is not done later', async () => {
    const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'queued', env: { TAG: 'queued' } });
    assert.equal(started.isError, undefined, textOf(started));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await waitFor(() => startTime(holder.pid!), 'the holder\'s start time');
      writeFileSync(join(home, 'pm2-mcp-action.lock'), `${holder.pid} ${startTime(holder.pid!)} planted`);
      const t0 = Date.now();
      const r = await call(s.client, 'pm2_restart_process', { process: 'queued', timeoutMs: 1500 });
      assert.ok(Date.now() - t0 < 3000, `answered after ${Date.now() - t0} ms`);
      assert.equal(r.isError, true, textOf(r));
      assert.match(textOf(r), new RegExp(`^LOCK_UNAVAILABLE: the process action lock .* is held by pid ${holder.pid} \\(alive\\), and the call's time to wait for it ran out\\. Nothing was restarted\\.`));
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const list = (await call(s.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string; restarts: number }> };
    assert.equal(list.processes.find((p) => p.name === 'queued')?.restarts, 0, 'the restart was done after all');
    await call(s.client, 'pm2_delete_process', { process: 'queued' });
  });

  // pm2's restart stops the old run first, which takes up to its kill_timeout for an app that
  // ignores SIGINT: the reply still comes by timeoutMs, and says pm2 is still at it.
  test('a restart whose old run takes its kill_timeout to stop answers by timeoutMs, and says pm2 is still at it', async () => {
    // Online and stable first: its SIGINT handler is in place.
    const started = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'wait/ecosystem-stubborn.json' });
    assert.equal(started.isError, undefined, textOf(started));
    const t0 = Date.now();
    const r = await call(s.client, 'pm2_restart_process', { process: 'stubborn', timeoutMs: 1000 });
    const took = Date.now() - t0;
    assert.equal(r.isError, true, textOf(r));
    assert.ok(took < 3000, `answered after ${took} ms, not by its timeoutMs (1000 ms)`);
    assert.match(textOf(r), /^NOT_ONLINE: Restarted stubborn \(pm_id \d+\), but not every instance is online:\nstubborn \(pm_id \d+\): pm2 was still at it when the wait ended after 1000 ms/);
    assert.equal((errorMeta(r).wait as { pm2_still_acting?: boolean }).pm2_still_acting, true);
    // pm2 goes on: the old run is SIGKILLed after 4 s and a new one started.
    await waitFor(async () => {
      const list = (await call(s.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string; status: string; restarts: number }> };
      return list.processes.find((p) => p.name === 'stubborn' && p.status === 'online' && p.restarts >= 1);
    }, 'the restart pm2 went on with', 15_000);
    await call(s.client, 'pm2_delete_process', { process: 'stubborn' });
  });
});
