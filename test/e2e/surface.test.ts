// The public surface: each tool's tools/list entry against a committed snapshot of its own (so a
// change of one tool shows as one file in review), strict argument schemas, and clear errors.
// UPDATE_SNAPSHOTS=1 rewrites the snapshots; a missing one fails.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALL_TOOLS } from '../helpers/fixtures.js';
import { call, connect, destroyHome, makeTempDir, ROOT, textOf, type Session } from '../helpers/harness.js';
import { assertSnapshot, assertSnapshotFolder, SNAPSHOTS } from '../helpers/snapshot.js';

/** test/snapshots/tools/<tool>.json: the tool's entry in tools/list, as the client receives it. */
const TOOL_SNAPSHOTS = join(SNAPSHOTS, 'tools');

describe('the tool surface', () => {
  let home: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-surface-');
    // standard with pm2_kill_daemon on: every tool shows.
    s = await connect({ home, args: ['--config', join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json')] });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('tools/list shows every tool of the registry, in its order', async () => {
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ALL_TOOLS);
  });

  test('each tool matches its committed snapshot (input and output schema, annotations, title, description)', async () => {
    const { tools } = await s.client.listTools();
    for (const tool of tools) assertSnapshot(join(TOOL_SNAPSHOTS, `${tool.name}.json`), `${JSON.stringify(tool, null, 2)}\n`, `the tools/list entry of ${tool.name}`);
    assertSnapshotFolder(TOOL_SNAPSHOTS, tools.map((t) => `${t.name}.json`), 'tools/list');
  });

  test('every tool is strict, bounded, annotated and has an output schema', async () => {
    const { tools } = await s.client.listTools();
    assert.equal(tools.length, ALL_TOOLS.length);
    for (const tool of tools) {
      assert.equal((tool.inputSchema as { additionalProperties?: unknown }).additionalProperties, false, `${tool.name} accepts unknown keys`);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has no output schema`);
      const a = tool.annotations!;
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) assert.equal(typeof a[hint], 'boolean', `${tool.name}.${hint}`);
      assert.equal(a.openWorldHint, false);
      assert.ok(tool.description && tool.description.length > 20);
    }
    const readOnly = tools.filter((t) => t.annotations!.readOnlyHint).map((t) => t.name).sort();
    assert.deepEqual(readOnly, ['pm2_describe_process', 'pm2_diagnose_process', 'pm2_list_processes', 'pm2_tail_logs']);
    const destructive = tools.filter((t) => t.annotations!.destructiveHint).map((t) => t.name).sort();
    assert.deepEqual(destructive, ['pm2_delete_process', 'pm2_flush_logs', 'pm2_kill_daemon']);
  });

  const invalid: Array<{ tool: string; args: Record<string, unknown>; message: RegExp }> = [
    { tool: 'pm2_list_processes', args: { verbose: true }, message: /unknown argument "verbose"/ },
    { tool: 'pm2_describe_process', args: {}, message: /process: / },
    { tool: 'pm2_describe_process', args: { process: 'x', pm2_env: {} }, message: /unknown argument "pm2_env"/ },
    { tool: 'pm2_diagnose_process', args: {}, message: /process: / },
    { tool: 'pm2_diagnose_process', args: { process: 'x', lines: 5 }, message: /unknown argument "lines"/ },
    { tool: 'pm2_start_process', args: { script: 'a.js', exec: 'evil.sh' }, message: /unknown argument "exec"/ },
    { tool: 'pm2_start_process', args: { script: 'a.js', node_args: ['--require', '/tmp/x.js'] }, message: /unknown argument "node_args"/ },
    { tool: 'pm2_start_process', args: { script: 'a.js', jsonConfigFile: 'e.json' }, message: /exactly one of script or jsonConfigFile/ },
    { tool: 'pm2_start_process', args: {}, message: /exactly one of script or jsonConfigFile/ },
    { tool: 'pm2_start_process', args: { script: 'a.js', instances: 1000 }, message: /instances/ },
    { tool: 'pm2_start_process', args: { script: 'x'.repeat(5000) }, message: /script/ },
    { tool: 'pm2_restart_process', args: { process: 'a', options: { interpreter: 'bash' } }, message: /unknown argument "options"/ },
    { tool: 'pm2_stop_process', args: { process: 'a', updateEnv: true }, message: /unknown argument "updateEnv"/ },
    { tool: 'pm2_tail_logs', args: { process: 'a', lines: 5000 }, message: /lines: / },
    { tool: 'pm2_tail_logs', args: { process: 'a', lines: 0 }, message: /lines: / },
    { tool: 'pm2_tail_logs', args: { process: 'a', type: 'all' }, message: /type: / },
    { tool: 'pm2_kill_daemon', args: { force: true }, message: /unknown argument "force"/ },
  ];
  for (const c of invalid) {
    test(`${c.tool} refuses ${JSON.stringify(c.args).slice(0, 60)}`, async () => {
      const r = await call(s.client, c.tool, c.args);
      assert.equal(r.isError, true);
      assert.match(textOf(r), /^INVALID_ARGUMENTS: Invalid arguments for /);
      assert.match(textOf(r), c.message);
    });
  }

  test('a missing script is refused and nothing is started', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: '/nonexistent/app.js' });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /START_REFUSED: The script \/nonexistent\/app.js does not exist/);
    assert.deepEqual((await call(s.client, 'pm2_list_processes')).structuredContent, { count: 0, processes: [] });
  });

  test('an unknown process is named, with the nearest existing names', async () => {
    const start = await call(s.client, 'pm2_start_process', { script: join(ROOT, 'test', 'fixtures', 'app.js'), name: 'billing-api' });
    assert.equal(start.isError, undefined, textOf(start));
    const r = await call(s.client, 'pm2_describe_process', { process: 'billing-apj' });
    assert.equal(r.isError, true);
    assert.equal(textOf(r), 'PROCESS_NOT_FOUND: No process matches "billing-apj". Nearest existing names: billing-api.');
    assert.deepEqual((r._meta as Record<string, { code: string }>)['pm2-mcp/error']!.code, 'PROCESS_NOT_FOUND');
  });

  test('an unknown tool is a protocol error', async () => {
    await assert.rejects(call(s.client, 'pm2_format_disk', {}), /Unknown tool: pm2_format_disk/);
  });
});
