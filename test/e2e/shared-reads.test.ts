// Shared reads against a real daemon (src/pm2/shared-reads.ts): concurrent lists share one pm2
// call, and nothing stale is ever told: a change through the gate, or a `pm2 stop` by another
// pm2 client on the same home, is in the next list. The window is set long (10 s) so that only
// an invalidation, never its mere expiry, can make a test pass.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPm2Adapter } from '../../src/pm2/adapter.js';
import { call, connect, destroyHome, makeTempDir, textOf, waitFor, type Session } from '../helpers/harness.js';

type Summary = { name: string; pm_id: number; status: string };
type Listed = { count: number; processes: Summary[]; data_age_ms?: number };

describe('shared reads on a real daemon', () => {
  let home: string;
  let root: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-shared-');
    root = await makeTempDir('pm2mcp-shared-root-');
    await writeFile(join(root, 'idle.js'), 'setInterval(() => {}, 1e6);\n');
    await writeFile(join(root, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard', reads: { maxAgeMs: 10_000 } }));
    s = await connect({ home, cwd: root });
    const started = await Promise.all(['a', 'b'].map((name) => call(s.client, 'pm2_start_process', { script: 'idle.js', name })));
    for (const r of started) assert.equal(r.isError, undefined, textOf(r));
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(root, { recursive: true, force: true });
  });

  const list = async (): Promise<{ listed: Listed; text: string }> => {
    const r = await call(s.client, 'pm2_list_processes');
    assert.equal(r.isError, undefined, textOf(r));
    return { listed: r.structuredContent as Listed, text: textOf(r) };
  };
  const statusOf = (listed: Listed, name: string) => listed.processes.find((p) => p.name === name)?.status;

  test('two concurrent lists answer from one pm2 call, and the shared answer says how old it is', async () => {
    const both = await Promise.all([list(), list()]);
    const shared = both.filter((r) => r.listed.data_age_ms !== undefined);
    assert.ok(shared.length >= 1, `neither list was shared: ${JSON.stringify(both.map((r) => r.listed.data_age_ms))}`);
    for (const r of shared) {
      assert.ok(r.listed.data_age_ms! >= 0 && r.listed.data_age_ms! < 10_000);
      assert.match(r.text, /\(pm2 data from \d+ ms ago, shared with another read\)$/);
    }
    assert.deepEqual(both[0].listed.processes.map((p) => p.name).sort(), ['a', 'b']);
    // A describe right after is served from the same window.
    const d = await call(s.client, 'pm2_describe_process', { process: 'a' });
    assert.equal(d.isError, undefined, textOf(d));
    assert.equal(typeof (d.structuredContent as { data_age_ms?: unknown }).data_age_ms, 'number');
  });

  test('a change through the gate right after a list is in the next list', async () => {
    assert.equal(statusOf((await list()).listed, 'a'), 'online');
    const stopped = await call(s.client, 'pm2_stop_process', { process: 'a' });
    assert.equal(stopped.isError, undefined, textOf(stopped));
    assert.equal(statusOf((await list()).listed, 'a'), 'stopped');
    // Deleting a stopped process makes no process event on the bus (no exit): only the gate's own
    // end of the window can show it gone.
    const deleted = await call(s.client, 'pm2_delete_process', { process: 'a' });
    assert.equal(deleted.isError, undefined, textOf(deleted));
    assert.equal(statusOf((await list()).listed, 'a'), undefined);
  });

  test('a stop by another pm2 client on the same home is in the lists after pm2\'s bus tells of it', async () => {
    const { listed } = await list();
    assert.equal(statusOf(listed, 'b'), 'online');
    const outside = createPm2Adapter({ home, noDaemon: false, spawnDaemon: false });
    try {
      const b = (await outside.list()).find((p) => p.name === 'b');
      assert.ok(b?.pm_id !== undefined);
      await outside.stop(b.pm_id);
    } finally {
      await outside.close();
    }
    // Within 10 s only the bus event can end the window: a few seconds is plenty for it.
    await waitFor(async () => statusOf((await list()).listed, 'b') === 'stopped' || undefined, 'b stopped in the list', 3_000);
  });
});
