// Every action that ran has an outcome record, on every path (issue 10): a request cancelled
// before it ran does not run; one cancelled while it runs finishes and is recorded; a client
// that leaves mid-call leaves a recorded outcome; shutdown with pm2 stalled answers the calls it
// gives up on and records them as abandoned. The daemon is stalled with SIGSTOP by its pid.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { startTime } from '../../src/file-lock.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { call, destroyHome, makeTempDir, ROOT, textOf, waitFor } from '../helpers/harness.js';
import { mcp, newToken, running, serve } from '../helpers/http-server.js';
import { rawServer, type RawServer } from '../helpers/raw-stdio.js';

const CONFIG = join(ROOT, 'test', 'fixtures', 'pm2-mcp.config.json');
const APP = join(ROOT, 'test', 'fixtures', 'app.js');

interface Rec {
  kind: string;
  decision_id: string;
  tool?: string;
  effect?: string;
  ok?: boolean;
  ended?: string;
  error?: string | null;
}

function records(file: string): Rec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
}

const decisionsOf = (file: string, tool: string) => records(file).filter((r) => r.kind === 'decision' && r.tool === tool);
const outcomeOf = (file: string, id: string) => records(file).find((r) => r.kind === 'outcome' && r.decision_id === id);

function daemonPid(home: string): number {
  return Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
}

/** Stalls the daemon (SIGSTOP) and guarantees it is let go again when the test ends. */
function stall(home: string, t: { after: (fn: () => void) => void }): () => void {
  const pid = daemonPid(home);
  process.kill(pid, 'SIGSTOP');
  const resume = () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone.
    }
  };
  t.after(resume);
  return resume;
}

async function listNames(server: RawServer, id: string): Promise<string[]> {
  server.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'pm2_list_processes', arguments: {} } });
  const r = await server.response(id);
  return (r.result?.structuredContent as { processes: Array<{ name: string }> }).processes.map((p) => p.name);
}

describe('shutdown and cancellation on stdio', { concurrency: true }, () => {
  const homes: string[] = [];
  const servers: RawServer[] = [];
  after(async () => {
    for (const s of servers) s.kill();
    for (const h of homes) await destroyHome(h);
  });

  async function start(prefix: string): Promise<{ server: RawServer; home: string; audit: string }> {
    const home = await makeTempDir(prefix);
    homes.push(home);
    const audit = join(home, 'audit.jsonl');
    const server = rawServer({ home, args: ['--config', CONFIG, '--audit-file', audit] });
    servers.push(server);
    await server.initialize();
    await listNames(server, 'warm'); // the daemon runs from here on
    return { server, home, audit };
  }

  test('a request cancelled before it ran does not run: its decision is followed by an outcome "cancelled"', async (t) => {
    const { server, home, audit } = await start('pm2mcp-cancel-');
    const resume = stall(home, t);
    server.send({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'pm2_start_process', arguments: { script: APP, name: 'never-started' } } });
    await new Promise((r) => setTimeout(r, 300)); // resolve waits for the stalled daemon's list
    server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c1', reason: 'the client timed out' } });
    await new Promise((r) => setTimeout(r, 100));
    resume();
    const decision = await waitFor(() => decisionsOf(audit, 'pm2_start_process')[0], 'the decision record');
    const outcome = await waitFor(() => outcomeOf(audit, decision.decision_id), 'the outcome record');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ended, 'cancelled');
    assert.ok(!(await listNames(server, 'after-cancel')).includes('never-started'), 'the cancelled start ran');
    assert.equal(server.messages().some((m) => m.id === 'c1'), false, 'a cancelled request gets no reply');
  });

  test('a request cancelled while it runs finishes, and its outcome is recorded', async () => {
    const { server, audit } = await start('pm2mcp-cancel2-');
    server.send({ jsonrpc: '2.0', id: 'c2', method: 'tools/call', params: { name: 'pm2_start_process', arguments: { script: APP, name: 'kept-running' } } });
    const decision = await waitFor(() => decisionsOf(audit, 'pm2_start_process')[0], 'the decision record');
    server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c2' } });
    const outcome = await waitFor(() => outcomeOf(audit, decision.decision_id), 'the outcome record');
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(outcome.ended, undefined);
    assert.ok((await listNames(server, 'after-cancel2')).includes('kept-running'));
  });

  test('a client that closes stdin right after a start: the server finishes it and records its outcome', async () => {
    const { server, audit } = await start('pm2mcp-stdin-');
    server.send({ jsonrpc: '2.0', id: 's1', method: 'tools/call', params: { name: 'pm2_start_process', arguments: { script: APP, name: 'left-behind' } } });
    const decision = await waitFor(() => decisionsOf(audit, 'pm2_start_process')[0], 'the decision record', 15_000);
    server.child.stdin.end();
    assert.equal(await server.exited, 0);
    const outcome = outcomeOf(audit, decision.decision_id);
    assert.ok(outcome, 'the start has no outcome record');
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    for (const d of records(audit).filter((r) => r.kind === 'decision' && r.effect === 'allow')) assert.ok(outcomeOf(audit, d.decision_id), `decision ${d.tool} has no outcome`);
  });

  test('SIGTERM while a decision waits for the audit lock: answered at once, and its records written before exit', async (t) => {
    const { server, audit } = await start('pm2mcp-termlock-');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    t.after(() => void holder.kill('SIGKILL'));
    const started = await waitFor(() => startTime(holder.pid!), 'the holder\'s start time');
    writeFileSync(`${audit}.lock`, `${holder.pid} ${started} foreign`);
    server.send({ jsonrpc: '2.0', id: 'l1', method: 'tools/call', params: { name: 'pm2_list_processes', arguments: {} } });
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    const reply = await server.response('l1', 5_000);
    assert.match(reply.result?.content?.[0]?.text ?? '', /^SHUTTING_DOWN: /);
    await new Promise((r) => setTimeout(r, 1_500));
    rmSync(`${audit}.lock`);
    assert.equal(await server.exited, 0);
    const decision = decisionsOf(audit, 'pm2_list_processes').at(-1);
    assert.ok(decision, 'the decision was written');
    assert.equal(outcomeOf(audit, decision.decision_id)?.ended, 'abandoned', 'a decision without its outcome');
  });

  test('SIGTERM while pm2 is stalled: the call is answered as abandoned within the drain, and recorded so', async (t) => {
    const { server, home, audit } = await start('pm2mcp-term-');
    stall(home, t);
    server.send({ jsonrpc: '2.0', id: 'd1', method: 'tools/call', params: { name: 'pm2_dump', arguments: {} } });
    const decision = await waitFor(() => decisionsOf(audit, 'pm2_dump')[0], 'the decision record');
    // Still being resolved (its target lookup waits for the stalled daemon): never runs.
    server.send({ jsonrpc: '2.0', id: 'r1', method: 'tools/call', params: { name: 'pm2_describe_process', arguments: { process: 0 } } });
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const notRun = await server.response('r1', 5_000);
    assert.match(notRun.result?.content?.[0]?.text ?? '', /^SHUTTING_DOWN: /);
    assert.ok(Date.now() - signalled < 3_000, 'a call not yet run is answered at once');
    const reply = await server.response('d1', 20_000);
    assert.equal(reply.result?.isError, true);
    assert.match(reply.result?.content?.[0]?.text ?? '', /^ABANDONED: /);
    assert.equal(await server.exited, 0);
    const took = Date.now() - signalled;
    assert.ok(took >= 9_000 && took < 16_000, `exited ${took} ms after SIGTERM (the drain is 10 s)`);
    const outcome = outcomeOf(audit, decision.decision_id);
    assert.equal(outcome?.ended, 'abandoned', JSON.stringify(outcome));
    assert.match(server.stderr(), /1 call still running after 10 s: answered ABANDONED and recorded so/);
    assert.match(server.stderr(), /1 call not yet run when the server began to stop: answered SHUTTING_DOWN, never run/);
  });
});

describe('shutdown over HTTP', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const s of [...running]) await s.stop();
    for (const d of dirs) await destroyHome(d);
  });

  test('SIGTERM with 32 calls in flight and pm2 stalled: every call is answered, every outcome recorded', async (t) => {
    const home = await makeTempDir('pm2mcp-drain-');
    dirs.push(home);
    const cwd = mkdtempSync(join(tmpdir(), 'pm2mcp-drain-cwd-'));
    t.after(() => rmSync(cwd, { recursive: true, force: true }));
    const audit = join(home, 'audit.jsonl');
    const token = newToken();
    const server = await serve({ home, cwd, args: ['--config', CONFIG, '--audit-file', audit], env: { PM2_MCP_TOKEN: token } });
    const clients = await Promise.all([0, 1, 2, 3].map(() => mcp(server.url, token)));
    t.after(async () => {
      for (const c of clients) await c.client.close().catch(() => undefined);
    });
    const warm = await call(clients[0]!.client, 'pm2_list_processes');
    assert.equal(warm.isError ?? false, false, textOf(warm));
    stall(home, t);
    const calls = clients.flatMap((c) => Array.from({ length: 8 }, () => c.client.callTool({ name: 'pm2_dump', arguments: {} }, undefined, { timeout: 60_000 }) as Promise<CallToolResult>));
    await waitFor(() => decisionsOf(audit, 'pm2_dump').length === 32 || undefined, '32 decision records');
    // And four still resolving their target (the daemon is stalled): answered at once, never run.
    const resolving = clients.map((c) => c.client.callTool({ name: 'pm2_describe_process', arguments: { process: 0 } }, undefined, { timeout: 60_000 }) as Promise<CallToolResult>);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(server.pid, 'SIGTERM');
    const settled = await Promise.allSettled(calls);
    const answers = settled.map((s) => (s.status === 'fulfilled' ? textOf(s.value) : `rejected: ${String(s.reason)}`));
    assert.equal(answers.filter((a) => a.startsWith('ABANDONED: ')).length, 32, answers.join('\n'));
    const early = await Promise.allSettled(resolving);
    assert.deepEqual(early.map((s) => (s.status === 'fulfilled' ? textOf(s.value).split(':')[0] : 'rejected')), ['SHUTTING_DOWN', 'SHUTTING_DOWN', 'SHUTTING_DOWN', 'SHUTTING_DOWN']);
    const exit = await server.exited;
    assert.equal(exit.code, 0);
    const ids = decisionsOf(audit, 'pm2_dump').map((d) => d.decision_id);
    assert.equal(ids.filter((id) => outcomeOf(audit, id)?.ended === 'abandoned').length, 32);
  });
});
