// Faults against the real binary and a real daemon (issue 10): servers racing on a fresh
// PM2_HOME. Grouped in one file so the slow cases run side by side with the rest.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { call, connect, destroyHome, makeTempDir, ROOT, textOf } from '../helpers/harness.js';

/** standard, plus pm2_kill_daemon turned on: a policy that may spawn a daemon. */
const CONFIG = join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json');

/** The pm2 daemons whose home is `home`, by their process title ("PM2 vX: God Daemon (HOME)"). */
function daemonsOf(home: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('God Daemon') && cmd.includes(`(${home})`)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('faults: servers racing on one PM2_HOME', () => {
  const homes: string[] = [];
  after(async () => {
    for (const home of homes) {
      for (const pid of daemonsOf(home)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await destroyHome(home);
    }
  });

  test('two servers whose first calls come at once on a fresh home spawn one daemon', async () => {
    for (let round = 0; round < 2; round++) {
      const home = await makeTempDir('pm2mcp-race-');
      homes.push(home);
      const [a, b] = await Promise.all([connect({ home, args: ['--config', CONFIG] }), connect({ home, args: ['--config', CONFIG] })]);
      try {
        const began = Date.now();
        const [ra, rb] = await Promise.all([call(a.client, 'pm2_list_processes'), call(b.client, 'pm2_list_processes')]);
        assert.equal(ra.isError ?? false, false, textOf(ra));
        assert.equal(rb.isError ?? false, false, textOf(rb));
        assert.ok(Date.now() - began < 20_000, `the calls took ${Date.now() - began} ms`);
        assert.equal(daemonsOf(home).length, 1, `daemons of ${home}: ${daemonsOf(home).join(', ')}`);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }
  });
});
