// A daemon that died and was replaced by a new, empty one: the server says so once, to the client
// (a logging notification) and on stderr, instead of letting the next list show nothing silently.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { call, connect, destroyHome, isAlive, makeTempDir, ROOT, textOf, waitFor } from '../helpers/harness.js';

const APP = join(ROOT, 'test', 'fixtures', 'app.js');
/** standard, plus pm2_kill_daemon turned on: this server may spawn a daemon. */
const KILL_CONFIG = join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json');

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('a replaced pm2 daemon', () => {
  const homes: string[] = [];
  /** A daemon killed with -9 leaves its children behind: they are killed by pid. */
  const orphans: number[] = [];
  after(async () => {
    for (const pid of orphans) kill(pid);
    for (const home of homes) await destroyHome(home);
  });

  test('is said once to the client and on stderr, with both pids', async () => {
    const home = await makeTempDir('pm2mcp-repl-');
    homes.push(home);
    const s = await connect({ home, args: ['--config', KILL_CONFIG] });
    try {
      const started = await call(s.client, 'pm2_start_process', { script: APP, name: 'before' });
      assert.equal(started.isError, undefined, textOf(started));
      const appPid = await waitFor(async () => {
        const r = await call(s.client, 'pm2_list_processes');
        return (r.structuredContent as { processes: Array<{ name: string; pid?: number }> }).processes.find((p) => p.name === 'before')?.pid ?? undefined;
      }, 'the app pid');
      orphans.push(appPid);
      const oldPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      process.kill(oldPid, 'SIGKILL');
      await waitFor(() => !isAlive(oldPid) || undefined, 'the daemon to die');

      // The first call after the death may fail (the loss is noticed); a later one reconnects.
      const listed = await waitFor(async () => {
        const r = await call(s.client, 'pm2_list_processes');
        return r.isError ? undefined : r;
      }, 'a working call after reconnecting');
      assert.deepEqual(listed.structuredContent, { count: 0, processes: [] });
      const newPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      assert.notEqual(newPid, oldPid);

      const words = `the pm2 daemon of PM2_HOME=${home} was replaced (pid ${oldPid} → pid ${newPid})`;
      const said = () => s.logs.filter((l) => l.includes('was replaced'));
      await waitFor(() => said().length > 0 || undefined, 'the logging notification');
      assert.equal(said().length, 1, said().join('\n'));
      assert.ok(said()[0]!.includes(words), said()[0]);
      assert.match(said()[0]!, /the processes it ran are gone unless pm2 resurrected them/);
      await waitFor(() => s.stderr().includes(`pm2-mcp: ${words}`) || undefined, 'the stderr line');

      // The same new daemon again: nothing more is said.
      assert.equal((await call(s.client, 'pm2_list_processes')).isError, undefined);
      assert.equal(said().length, 1, said().join('\n'));
      assert.equal(s.stderr().split('was replaced').length - 1, 1, s.stderr());
    } finally {
      await s.close();
    }
  });

  test('a daemon the client killed with pm2_kill_daemon is no surprise: its successor is not reported', async () => {
    const home = await makeTempDir('pm2mcp-kill-');
    homes.push(home);
    const s = await connect({ home, args: ['--config', KILL_CONFIG] });
    try {
      assert.equal((await call(s.client, 'pm2_list_processes')).isError, undefined);
      const oldPid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
      const killed = await call(s.client, 'pm2_kill_daemon');
      assert.equal(killed.isError, undefined, textOf(killed));
      await waitFor(() => !isAlive(oldPid) || undefined, 'the daemon to die');
      assert.equal((await call(s.client, 'pm2_list_processes')).isError, undefined);
      assert.notEqual(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')), oldPid);
      assert.deepEqual(s.logs.filter((l) => l.includes('was replaced')), []);
      assert.doesNotMatch(s.stderr(), /was replaced/);
    } finally {
      await s.close();
    }
  });
});
