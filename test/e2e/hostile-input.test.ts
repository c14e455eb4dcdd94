// Hostile input on stdio against the built binary: what JSON-RPC 2.0 asks to be answered is
// answered, the session goes on, and input too deep or too large is refused as bad arguments and
// recorded, never blamed on the audit log (issue 10).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { destroyHome, makeTempDir, ROOT } from '../helpers/harness.js';
import { rawServer, type RawServer } from '../helpers/raw-stdio.js';

const CONFIG = join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json');

function records(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('hostile input on stdio', () => {
  let home = '';
  let audit = '';
  let server: RawServer;

  before(async () => {
    home = await makeTempDir('pm2mcp-hostile-');
    audit = join(home, 'audit.jsonl');
    server = rawServer({ home, args: ['--config', CONFIG, '--audit-file', audit] });
  });
  after(async () => {
    server.kill();
    await destroyHome(home);
  });

  test('a request before initialize is refused, not run', async () => {
    server.send({ jsonrpc: '2.0', id: 'early', method: 'tools/call', params: { name: 'pm2_list_processes', arguments: {} } });
    const r = await server.response('early');
    assert.equal(r.error?.code, -32600);
    assert.match(r.error?.message ?? '', /not initialized/);
    server.send({ jsonrpc: '2.0', id: 'early-list', method: 'tools/list' });
    assert.equal((await server.response('early-list')).error?.code, -32600);
    await server.initialize();
  });

  test('a line that is not JSON: a parse error (-32700, id null), and the session goes on', async () => {
    const before = server.messages().length;
    server.send('this is { not json\n');
    server.send({ jsonrpc: '2.0', id: 'after-parse', method: 'ping' });
    await server.response('after-parse');
    const errors = server.messages().slice(before).filter((m) => m.error);
    assert.equal(errors[0]?.error?.code, -32700);
    assert.equal(errors[0]?.id, null);
  });

  test('JSON that is not JSON-RPC: an invalid request (-32600), with its id when it has one', async () => {
    server.send({ hello: 'world' });
    server.send({ id: 'no-version', method: 'ping' });
    const withId = await server.response('no-version');
    assert.equal(withId.error?.code, -32600);
    assert.ok(server.messages().some((m) => m.id === null && m.error?.code === -32600));
  });

  test('a batch: an invalid request (-32600), none of its requests run', async () => {
    server.send([{ jsonrpc: '2.0', id: 'in-batch', method: 'ping' }]);
    server.send({ jsonrpc: '2.0', id: 'after-batch', method: 'ping' });
    await server.response('after-batch');
    assert.equal(server.messages().some((m) => m.id === 'in-batch'), false);
    assert.ok(server.messages().some((m) => m.id === null && /batch/.test(m.error?.message ?? '')));
  });

  test('a line over 10 MiB is answered with an error and skipped; the server goes on', async () => {
    const before = server.messages().length;
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 'huge', method: 'tools/call', params: { name: 'pm2_list_processes', arguments: { pad: 'x'.repeat(11 * 1024 * 1024) } } });
    server.send(`${huge}\n`);
    server.send({ jsonrpc: '2.0', id: 'after-huge', method: 'ping' });
    await server.response('after-huge', 30_000);
    const error = server.messages().slice(before).find((m) => m.error);
    assert.equal(error?.error?.code, -32600);
    assert.match(error?.error?.message ?? '', /longer than 10485760 bytes/);
    assert.equal(server.child.exitCode, null, 'still serving');
  });

  test('arguments of the wrong type: invalid params (-32602), and an audit record', async () => {
    server.send({ jsonrpc: '2.0', id: 'wrong-type', method: 'tools/call', params: { name: 'pm2_list_processes', arguments: 'all of them' } });
    const r = await server.response('wrong-type');
    assert.equal(r.error?.code, -32602);
    const rec = records(audit).find((x) => x.rule === 'arguments.invalid' && x.tool === 'pm2_list_processes');
    assert.ok(rec, 'recorded');
  });

  test('arguments nested 100 000 deep: INVALID_ARGUMENTS, recorded, and the audit log is not blamed', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    server.send(`{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"pm2_describe_process","arguments":${deep}}}\n`);
    const r = await server.response('deep', 30_000);
    const text = r.result?.content?.[0]?.text ?? JSON.stringify(r);
    assert.equal(r.result?.isError, true, text);
    assert.match(text, /^INVALID_ARGUMENTS: .*nested deeper than 32 levels/);
    assert.doesNotMatch(server.stderr(), /audit log could not be written/);
    const rec = records(audit).find((x) => x.tool === 'pm2_describe_process' && x.rule === 'arguments.invalid');
    assert.ok(rec, 'recorded');
    assert.deepEqual(rec.input, { out_of_bounds: 'nested deeper than 32 levels', keys: ['a'] });
  });

  test('an argument of 9 MiB is refused and recorded by a summary, not as a 9 MiB line', async () => {
    server.send({ jsonrpc: '2.0', id: 'big-arg', method: 'tools/call', params: { name: 'pm2_describe_process', arguments: { process: 'x'.repeat(9 * 1024 * 1024) } } });
    const r = await server.response('big-arg', 30_000);
    assert.equal(r.result?.isError, true);
    assert.match(r.result?.content?.[0]?.text ?? '', /^INVALID_ARGUMENTS: /);
    const biggest = Math.max(...readFileSync(audit, 'utf8').split('\n').map((l) => l.length));
    assert.ok(biggest < 8 * 1024, `the largest audit line is ${biggest} bytes`);
  });

  test('a "__proto__" key in the arguments is refused, not dropped unseen', async () => {
    server.send('{"jsonrpc":"2.0","id":"proto","method":"tools/call","params":{"name":"pm2_list_processes","arguments":{"__proto__":{"x":1}}}}\n');
    const r = await server.response('proto');
    assert.equal(r.result?.isError, true, JSON.stringify(r));
    assert.match(r.result?.content?.[0]?.text ?? '', /^INVALID_ARGUMENTS: .*__proto__/);
  });

  test('a tool name of 1 MiB is recorded cut and echoed only in part', async () => {
    const name = 'n'.repeat(1024 * 1024);
    server.send({ jsonrpc: '2.0', id: 'long-name', method: 'tools/call', params: { name, arguments: {} } });
    const r = await server.response('long-name');
    assert.equal(r.error?.code, -32602);
    assert.ok((r.error?.message.length ?? 0) < 400, `echoed ${r.error?.message.length} characters`);
    const biggest = Math.max(...readFileSync(audit, 'utf8').split('\n').map((l) => l.length));
    assert.ok(biggest < 8 * 1024, `the largest audit line is ${biggest} bytes`);
  });
});
