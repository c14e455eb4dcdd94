// The pm2 connection: attaching to the daemon `pm2 ls` shows, surviving a daemon that died,
// --no-daemon with a clean stdout, and a shutdown that does not hang.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { call, CLI, connect, destroyHome, isAlive, makeTempDir, ROOT, textOf, waitFor } from '../helpers/harness.js';

const run = promisify(execFile);

interface RpcMessage {
  id?: number;
  result?: { structuredContent?: unknown; content?: Array<{ text: string }> };
}
const APP = join(ROOT, 'test', 'fixtures', 'app.js');
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
/** standard, plus pm2_kill_daemon turned on. */
const KILL_CONFIG = join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json');

describe('the pm2 daemon', () => {
  const homes: string[] = [];
  after(async () => {
    for (const home of homes) await destroyHome(home);
  });

  test('attaches to the daemon the pm2 CLI runs, and sees what `pm2 ls` shows', async () => {
    const home = await makeTempDir('pm2mcp-attach-');
    homes.push(home);
    await run(process.execPath, [PM2_BIN, 'start', APP, '--name', 'from-cli'], { env: { ...process.env, PM2_HOME: home }, timeout: 20_000 });
    const s = await connect({ home });
    try {
      const r = await call(s.client, 'pm2_list_processes');
      const names = (r.structuredContent as { processes: Array<{ name: string }> }).processes.map((p) => p.name);
      assert.deepEqual(names, ['from-cli']);
    } finally {
      await s.close();
    }
  });

  test('a daemon killed behind the server\'s back: the next call reconnects and names the home', async () => {
    const home = await makeTempDir('pm2mcp-dead-');
    homes.push(home);
    const s = await connect({ home });
    try {
      assert.equal((await call(s.client, 'pm2_list_processes')).isError, undefined);
      const daemonPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      process.kill(daemonPid, 'SIGKILL');
      await waitFor(() => !isAlive(daemonPid) || undefined, 'the daemon to die');
      // The first call after the death may fail, with the home named; the one after works.
      const first = await call(s.client, 'pm2_list_processes');
      if (first.isError) assert.match(textOf(first), new RegExp(`DAEMON_UNREACHABLE: .*PM2_HOME=${home}`));
      const next = await waitFor(async () => {
        const r = await call(s.client, 'pm2_list_processes');
        return r.isError ? undefined : r;
      }, 'a working call after reconnecting');
      assert.deepEqual(next.structuredContent, { count: 0, processes: [] });
      const newPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      assert.notEqual(newPid, daemonPid);
    } finally {
      await s.close();
    }
  });

  test('the server exits promptly when its client leaves, even right after kill_daemon', async () => {
    const home = await makeTempDir('pm2mcp-exit-');
    homes.push(home);
    const s = await connect({ home, args: ['--config', KILL_CONFIG] });
    await call(s.client, 'pm2_list_processes');
    const killed = await call(s.client, 'pm2_kill_daemon');
    assert.equal(killed.isError, undefined, textOf(killed));
    const started = Date.now();
    await s.close();
    assert.ok(Date.now() - started < 5_000, 'closing took too long');
  });

  test('--no-daemon: pm2 runs inside the server, stdout stays JSON-RPC, and apps end with the server', async () => {
    const home = await makeTempDir('pm2mcp-nodaemon-');
    homes.push(home);
    const child = spawn(process.execPath, [CLI, '--no-daemon', '--config', KILL_CONFIG], { env: { ...process.env, PM2_MCP_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', () => undefined);
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    const response = (id: number) => waitFor(() => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RpcMessage).find((m) => m.id === id), `response ${id}`, 20_000);

    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await response(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'pm2_start_process', arguments: { script: APP, name: 'inproc' } } });
    await response(2);
    let nextId = 10;
    const listOnce = async () => {
      const id = nextId++;
      send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'pm2_list_processes', arguments: {} } });
      return ((await response(id)).result!.structuredContent as { processes: Array<{ name: string; pid?: number }> }).processes;
    };
    const proc = await waitFor(async () => (await listOnce()).find((p) => p.name === 'inproc' && p.pid), 'the app pid');
    const pid = proc.pid!;
    assert.ok(isAlive(pid));
    send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'pm2_kill_daemon', arguments: {} } });
    assert.match((await response(5)).result?.content?.[0]?.text ?? '', /NOT_SUPPORTED: In --no-daemon mode/);

    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    await waitFor(() => !isAlive(pid) || undefined, 'the app to end with the server');
    for (const line of stdout.split('\n').filter(Boolean)) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      assert.equal(msg.jsonrpc, '2.0', `not JSON-RPC on stdout: ${line}`);
    }
  });
});

