// "ask" end to end: the built server, a real daemon, and an SDK Client that declares form
// elicitation and answers as a person would. An approved call runs once; a decline, a dismissed
// form, a form sent without the box, no answer, or a client that cannot ask: nothing runs. Each
// call asks again (an approval is never reused), and the audit log says ask and who answered what.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { call, connect, destroyHome, makeTempDir, textOf, waitFor, type Session } from '../helpers/harness.js';
import { newToken, running, serve, type Served } from '../helpers/http-server.js';

type Answer = 'accept' | 'decline' | 'cancel' | 'unchecked' | 'hang' | 'swap';

describe('ask: a person approves this exact call', () => {
  let home: string;
  let proj: string;
  let outside: string;
  let auditFile: string;
  let s: Session;
  let next: Answer = 'accept';
  const questions: string[] = [];

  const answer = async (params: ElicitRequest['params']): Promise<ElicitResult> => {
    questions.push(String((params as { message?: unknown }).message));
    if (next === 'hang') return new Promise<ElicitResult>(() => undefined);
    if (next === 'swap') {
      // While the person reads the question, the script's folder becomes a link to elsewhere.
      renameSync(join(proj, 'apps'), join(proj, 'apps-real'));
      symlinkSync(outside, join(proj, 'apps'));
      return { action: 'accept', content: { approve: true } };
    }
    if (next === 'unchecked') return { action: 'accept', content: { approve: false } };
    if (next === 'accept') return { action: 'accept', content: { approve: true } };
    return { action: next };
  };
  const records = () => readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const outcomeOf = (tool: string) => {
    const decisions = records().filter((r) => r.kind === 'decision' && r.tool === tool);
    const last = decisions.at(-1)!;
    return { decision: last, outcome: records().find((r) => r.kind === 'outcome' && r.decision_id === last.decision_id) };
  };
  /** The outcome is written after the reply: waited for. */
  const settled = (tool: string) => waitFor(() => {
    const found = outcomeOf(tool);
    return found.outcome ? found : undefined;
  }, `the outcome record of ${tool}`);
  const statusOf = async (name: string) => {
    const list = await call(s.client, 'pm2_list_processes');
    return (list.structuredContent as { processes: Array<{ name: string; status: string }> }).processes.find((p) => p.name === name)?.status;
  };

  before(async () => {
    home = await makeTempDir('pm2mcp-ask-');
    proj = realpathSync(await makeTempDir('pm2mcp-askp-'));
    outside = realpathSync(await makeTempDir('pm2mcp-asko-'));
    auditFile = join(proj, 'audit.jsonl');
    writeFileSync(join(proj, 'package.json'), '{ "name": "ask-project", "private": true }\n');
    writeFileSync(join(proj, 'app.js'), 'setInterval(() => {}, 1000);\n');
    writeFileSync(join(outside, 'elsewhere.js'), 'setInterval(() => {}, 1000);\n');
    writeFileSync(join(proj, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard', tools: { pm2_stop_process: 'ask', pm2_delete_process: 'ask', pm2_start_process: 'ask' }, start: { ask: true } }));
    s = await connect({ home, cwd: proj, args: ['--audit-file', auditFile], elicit: answer });
    const started = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'svc' });
    assert.equal(started.isError, undefined, textOf(started));
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
  });

  test('accepted: the call runs once, the question showed what would run, the log says ask and accept', async () => {
    next = 'accept';
    const before = questions.length;
    const r = await call(s.client, 'pm2_stop_process', { process: 'svc' });
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(questions.length, before + 1, 'asked once');
    const q = questions.at(-1)!;
    assert.match(q, /An agent asks to run pm2_stop_process\. The policy asks you first \(rule tools\.pm2_stop_process/);
    assert.match(q, /on: svc \(pm_id \d+\)/);
    assert.match(q, /Request sha256: [0-9a-f]{64}/);
    assert.equal(await statusOf('svc'), 'stopped');
    const { decision, outcome } = await settled('pm2_stop_process');
    assert.equal(decision.effect, 'ask');
    assert.deepEqual(outcome?.asked, { action: 'accept', approved: true });
    assert.equal(outcome?.ok, true);
  });

  test('declined, dismissed, or sent without the box: nothing runs, and the reply says which', async () => {
    for (const [given, said, action] of [['decline', /the person declined/, 'decline'], ['cancel', /dismissed the question/, 'cancel'], ['unchecked', /without approving/, 'accept']] as const) {
      next = given;
      const r = await call(s.client, 'pm2_delete_process', { process: 'svc' });
      assert.equal(r.isError, true, given);
      assert.match(textOf(r), /^POLICY_DENIED: Not run: rule tools\.pm2_delete_process asks a person first/);
      assert.match(textOf(r), said);
      assert.equal(await statusOf('svc'), 'stopped', `${given}: still there`);
      assert.deepEqual((await settled('pm2_delete_process')).outcome?.asked, { action, approved: false });
    }
  });

  test('an approval is never reused: each call asks again, and other arguments make another question', async () => {
    next = 'accept';
    const before = questions.length;
    await call(s.client, 'pm2_stop_process', { process: 'svc' });
    next = 'decline';
    const again = await call(s.client, 'pm2_stop_process', { process: 'svc' });
    assert.equal(again.isError, true, 'the same call again is asked again, and declined');
    assert.equal(questions.length, before + 2);
    const [first, second] = questions.slice(-2).map((q) => /Request sha256: ([0-9a-f]{64})/.exec(q)![1]);
    assert.equal(first, second, 'the same request has the same digest');
    next = 'decline';
    const list = await call(s.client, 'pm2_list_processes');
    const id = (list.structuredContent as { processes: Array<{ name: string; pm_id: number }> }).processes.find((p) => p.name === 'svc')!.pm_id;
    await call(s.client, 'pm2_stop_process', { process: id });
    assert.equal(questions.length, before + 3);
    const third = /Request sha256: ([0-9a-f]{64})/.exec(questions.at(-1)!)?.[1];
    assert.notEqual(third, first, 'other arguments, another request');
  });

  test('start.ask: a start the globs refuse is a question; approved, it runs what it showed', async () => {
    next = 'accept';
    const r = await call(s.client, 'pm2_start_process', { script: join(outside, 'elsewhere.js'), name: 'outsider', waitUntil: 'none' });
    assert.equal(r.isError, undefined, textOf(r));
    const q = questions.at(-1)!;
    assert.match(q, /rule start\.scripts/);
    assert.ok(q.includes(`app outsider: ${join(outside, 'elsewhere.js')}`), q);
    assert.match(q, /interpreter \/\S*node/);
    assert.equal(await statusOf('outsider'), 'online');
    assert.equal((await settled('pm2_start_process')).decision.effect, 'ask');
  });

  test('approved, but what would run changed while the person was asked: nothing runs', async () => {
    mkdirSync(join(proj, 'apps'));
    writeFileSync(join(proj, 'apps', 'elsewhere.js'), 'setInterval(() => {}, 1000);\n');
    next = 'swap';
    const r = await call(s.client, 'pm2_start_process', { script: 'apps/elsewhere.js', name: 'swapped', waitUntil: 'none' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /changed while they were asked/);
    assert.equal(await statusOf('swapped'), undefined, 'not started');
  });

  test('a hard refusal is never asked: pm2\'s own variables in env', async () => {
    next = 'accept';
    const before = questions.length;
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'hard', env: { pm_exec_path: '/bin/sh' } });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^POLICY_DENIED|^START_REFUSED/);
    assert.equal(questions.length, before, 'no question asked');
  });

  test('a client that cannot ask is refused, with the reason', async () => {
    const plain = await connect({ home, cwd: proj, args: ['--audit-file', auditFile] });
    try {
      const r = await call(plain.client, 'pm2_delete_process', { process: 'svc' });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /this client cannot ask a person \(it declared no form elicitation capability\)/);
      assert.deepEqual((await settled('pm2_delete_process')).outcome?.asked, { action: 'no_capability', approved: false });
    } finally {
      await plain.close();
    }
  });

  test('no answer within 60 s: refused, nothing runs', { timeout: 90_000 }, async () => {
    next = 'hang';
    const t0 = Date.now();
    // The client waits longer than the server's question is open (the SDK's default is 60 s).
    const r = (await s.client.callTool({ name: 'pm2_delete_process', arguments: { process: 'svc' } }, undefined, { timeout: 120_000 })) as Awaited<ReturnType<typeof call>>;
    assert.equal(r.isError, true);
    assert.match(textOf(r), /nobody answered within 60 s/);
    assert.ok(Date.now() - t0 >= 59_000);
    assert.equal(await statusOf('svc'), 'stopped');
    assert.deepEqual((await settled('pm2_delete_process')).outcome?.asked, { action: 'timeout', approved: false });
  });
});

describe('ask over Streamable HTTP: the question goes on the call\'s own stream', () => {
  let home: string;
  let proj: string;
  let served: Served;

  before(async () => {
    home = await makeTempDir('pm2mcp-askh-');
    proj = realpathSync(await makeTempDir('pm2mcp-askhp-'));
    writeFileSync(join(proj, 'package.json'), '{ "name": "ask-http", "private": true }\n');
    writeFileSync(join(proj, 'app.js'), 'setInterval(() => {}, 1000);\n');
    writeFileSync(join(proj, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard', tools: { pm2_start_process: 'ask' } }));
  });

  after(async () => {
    for (const s of [...running]) await s.stop();
    await destroyHome(home);
  });

  test('approved over HTTP: the start runs', async () => {
    const token = newToken();
    served = await serve({ home, cwd: proj, env: { PM2_MCP_TOKEN: token } });
    const transport = new StreamableHTTPClientTransport(new URL(served.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'ask-http', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(String((request.params as { message?: unknown }).message));
      return { action: 'accept', content: { approve: true } };
    });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'pm2_start_process', arguments: { script: 'app.js', name: 'web', waitUntil: 'none' } })) as Awaited<ReturnType<typeof call>>;
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /app web: .*app\.js/);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });
});
