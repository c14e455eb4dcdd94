// The Streamable HTTP transport end to end: the built binary on a real port (--port 0, the bound
// URL parsed from stderr), the SDK's StreamableHTTPClientTransport, raw node:http requests
// (any Host header) and fetch, a real pm2 daemon in a private PM2_HOME. Bearer tokens and the
// principal in the audit log, Host/Origin checks (DNS rebinding), body, session and connection
// limits, per-token presets, graceful shutdown with a call in flight, and --pm2.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { call, CLI, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor } from '../helpers/harness.js';
import { cleanEnv, mcp, newToken, running, serve, sha256hex, type Served } from '../helpers/http-server.js';

const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const APP = join(ROOT, 'test', 'fixtures', 'app.js');
const PRESET_TOOLS = JSON.parse(readFileSync(join(ROOT, 'test', 'snapshots', 'tools-by-preset.json'), 'utf8')) as Record<string, string[]>;
const sorted = (names: string[]) => [...names].sort();

// ---------------------------------------------------------------------------------------------
// Helpers: raw requests, the audit log (the server and its clients: test/helpers/http-server.ts).

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request with exactly these headers (Host included), on its own connection. `declare` sends
 * that Content-Length but only the body given, then waits for the answer: how a client that
 * checks the answer before sending a large body meets the limit, without racing the close.
 */
function raw(url: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; declare?: number } = {}): Promise<RawResponse> {
  const u = new URL(url);
  const method = opts.method ?? 'POST';
  const length = opts.declare ?? (opts.body !== undefined ? Buffer.byteLength(opts.body) : undefined);
  const headers: Record<string, string> = {
    ...(method === 'POST' ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } : { accept: 'text/event-stream' }),
    ...(length !== undefined ? { 'content-length': String(length) } : {}),
    ...(opts.headers ?? {}),
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: opts.path ?? u.pathname, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        if (opts.declare !== undefined) req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.declare !== undefined) req.write(opts.body ?? '');
    else if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/**
 * A whole body sent with fetch (undici, what the SDK's client uses), as a string or as a stream
 * (chunked): the status, or the error code when the connection was cut before the answer was read.
 */
async function sendWhole(url: string, body: string, opts: { token?: string; chunked?: boolean } = {}): Promise<string> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(opts.token ? bearer(opts.token) : {}) },
    body: opts.chunked ? new Blob([body]).stream() : body,
    duplex: 'half',
  };
  try {
    const res = await fetch(url, init as RequestInit);
    await res.text();
    return String(res.status);
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return cause?.code ?? (err as Error).message;
  }
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-http-test', version: '1.0.0' } },
});
const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

type Rec = Record<string, unknown> & { kind: string; tool?: string; decision_id: string; timestamp: string; caller?: { transport: string; session_id: string | null; principal: string; client: { name: string } | null } };

function auditOf(home: string): Rec[] {
  const file = join(home, 'pm2-mcp', 'audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
}

function auditText(home: string): string {
  const file = join(home, 'pm2-mcp', 'audit.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function writeConfig(dir: string, config: unknown): void {
  writeFileSync(join(dir, 'pm2-mcp.config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

// Every server, home and folder of this file: stopped and removed even when a test fails.
const homes: string[] = [];
async function tempHome(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  homes.push(dir);
  return dir;
}
after(async () => {
  for (const s of [...running]) await s.stop();
  await Promise.all(homes.map((h) => destroyHome(h)));
});

// =============================================================================================
// 1. Tokens, the principal in the audit log, Host/Origin, request limits, many sessions, and
//    per-token presets: one server, one daemon.

describe('an HTTP server with PM2_MCP_TOKEN and config tokens', () => {
  const ENV_TOKEN = newToken();
  const CI_TOKEN = newToken(); // config token "ci-bot", narrowed to readonly
  const DEV_TOKEN = newToken(); // config token "dev", the server's own policy (standard)
  let home: string;
  let cwd: string;
  let server: Served;

  before(async () => {
    home = await tempHome('pm2mcp-http-a-');
    cwd = await tempHome('pm2mcp-http-ac-');
    copyFileSync(APP, join(cwd, 'app.js'));
    writeConfig(cwd, {
      http: {
        tokens: [
          { name: 'ci-bot', sha256: sha256hex(CI_TOKEN), extends: 'readonly' },
          { name: 'dev', sha256: sha256hex(DEV_TOKEN) },
        ],
      },
    });
    server = await serve({ home, cwd, env: { PM2_MCP_TOKEN: ENV_TOKEN } });
  });
  after(async () => server?.stop());

  test('no Authorization header: 401 with WWW-Authenticate: Bearer', async () => {
    const r = await raw(server.url, { body: INITIALIZE });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer\b/);
  });

  test('a wrong token, a near miss and other schemes: 401', async () => {
    for (const authorization of [`Bearer ${newToken()}`, `Bearer ${ENV_TOKEN}x`, `Bearer ${ENV_TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${ENV_TOKEN}`).toString('base64')}`, ENV_TOKEN, 'Bearer ', `Bearer ${sha256hex(ENV_TOKEN)}`]) {
      const r = await raw(server.url, { body: INITIALIZE, headers: { authorization } });
      assert.equal(r.status, 401, `accepted: ${authorization}`);
    }
  });

  test('the SDK client with PM2_MCP_TOKEN works; principal "default" in the audit log', async () => {
    const c = await mcp(server.url, ENV_TOKEN);
    try {
      const r = await call(c.client, 'pm2_list_processes');
      assert.equal(r.isError, undefined, textOf(r));
      const mine = auditOf(home).filter((x) => x.kind === 'decision' && x.caller?.session_id === c.sessionId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.caller!.principal, 'default');
      assert.equal(mine[0]!.caller!.transport, 'http');
    } finally {
      await c.close();
    }
  });

  test('a config token (sha256 in http.tokens) works, and its name is the principal in the audit log', async () => {
    const c = await mcp(server.url, DEV_TOKEN, 'dev-client');
    try {
      const r = await call(c.client, 'pm2_list_processes');
      assert.equal(r.isError, undefined, textOf(r));
      const decisions = auditOf(home).filter((x) => x.kind === 'decision' && x.caller?.principal === 'dev');
      assert.equal(decisions.length, 1);
      const d = decisions[0]!;
      assert.equal(d.tool, 'pm2_list_processes');
      assert.equal(d.caller!.transport, 'http');
      assert.equal(d.caller!.session_id, c.sessionId);
      assert.equal(d.caller!.client?.name, 'dev-client');
      await waitFor(() => auditOf(home).some((x) => x.kind === 'outcome' && x.decision_id === d.decision_id && x.ok === true) || undefined, 'an ok outcome', 5_000);
    } finally {
      await c.close();
    }
  });

  test('a session belongs to its token: another valid token with that session id gets 404', async () => {
    const c = await mcp(server.url, DEV_TOKEN);
    try {
      const r = await raw(server.url, { body: TOOLS_LIST, headers: { ...bearer(ENV_TOKEN), 'mcp-session-id': c.sessionId } });
      assert.equal(r.status, 404);
      const wrong = await raw(server.url, { body: TOOLS_LIST, headers: { ...bearer(newToken()), 'mcp-session-id': c.sessionId } });
      assert.equal(wrong.status, 401);
      const own = await raw(server.url, { body: TOOLS_LIST, headers: { ...bearer(DEV_TOKEN), 'mcp-session-id': c.sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } });
      assert.equal(own.status, 200);
    } finally {
      await c.close();
    }
  });

  test('a token narrowed to readonly sees only the read tools, and its start is refused by the token rule', async () => {
    const ci = await mcp(server.url, CI_TOKEN);
    const dev = await mcp(server.url, DEV_TOKEN);
    try {
      assert.deepEqual(sorted((await ci.client.listTools()).tools.map((t) => t.name)), sorted(PRESET_TOOLS.readonly!));
      assert.deepEqual(sorted((await dev.client.listTools()).tools.map((t) => t.name)), sorted(PRESET_TOOLS.standard!));

      const denied = await call(ci.client, 'pm2_start_process', { script: 'app.js', name: 'from-ci' });
      assert.equal(denied.isError, true, textOf(denied));
      assert.match(textOf(denied), /^POLICY_DENIED: /);
      const meta = (denied._meta as Record<string, { code: string; rule: string }>)['pm2-mcp/error']!;
      assert.equal(meta.code, 'POLICY_DENIED');
      assert.equal(meta.rule, 'token.tools.pm2_start_process');
      const d = auditOf(home).filter((x) => x.kind === 'decision' && x.tool === 'pm2_start_process' && x.caller?.principal === 'ci-bot');
      assert.equal(d.length, 1);
      assert.equal(d[0]!.effect, 'deny');
      assert.equal(d[0]!.rule, 'token.tools.pm2_start_process');

      // Reads still work for it, and nothing was started.
      const list = await call(ci.client, 'pm2_list_processes');
      assert.equal(list.isError, undefined, textOf(list));
      assert.deepEqual((list.structuredContent as { processes: unknown[] }).processes, []);
    } finally {
      await ci.close();
      await dev.close();
    }
  });

  test('Host and Origin: a foreign Host or Origin is 403 even with a valid token; loopback ones pass', async () => {
    const auth = bearer(ENV_TOKEN);
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1.evil.example:${server.port}`, `localhost.evil.example`]) {
      const r = await raw(server.url, { body: INITIALIZE, headers: { ...auth, host } });
      assert.equal(r.status, 403, `Host ${host} accepted`);
    }
    // A DNS-rebinding page has no token: it still learns nothing more than 403.
    assert.equal((await raw(server.url, { body: INITIALIZE, headers: { host: 'evil.example' } })).status, 403);
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'null', `http://localhost.evil.example:${server.port}`]) {
      const r = await raw(server.url, { body: INITIALIZE, headers: { ...auth, origin } });
      assert.equal(r.status, 403, `Origin ${origin} accepted`);
    }
    const loopback: Array<Record<string, string>> = [{ host: `localhost:${server.port}` }, { origin: `http://localhost:${server.port}` }, { origin: `http://127.0.0.1:${server.port}` }, { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` }];
    for (const headers of loopback) {
      const r = await raw(server.url, { body: INITIALIZE, headers: { ...auth, ...headers } });
      assert.equal(r.status, 200, `refused ${JSON.stringify(headers)}: ${r.body}`);
      assert.ok(r.headers['mcp-session-id']);
      await raw(server.url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': String(r.headers['mcp-session-id']) } });
    }
  });

  test('a body over 1 MiB is 413 (declared or chunked); unauthenticated, it is 401 before it is read', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(1024 * 1024) } });
    const head = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"xxxx';
    const r = await raw(server.url, { declare: 1024 * 1024 + 1, body: head, headers: bearer(ENV_TOKEN) });
    assert.equal(r.status, 413);
    assert.match(r.body, /larger than 1048576 bytes/);
    // Sent whole, it is refused (a 413, or the connection cut: see the todo test below).
    assert.match(await sendWhole(server.url, big, { token: ENV_TOKEN }), /^(413|EPIPE|ECONNRESET)$/);
    assert.match(await sendWhole(server.url, big, { token: ENV_TOKEN, chunked: true }), /^(413|EPIPE|ECONNRESET)$/);
    assert.equal((await raw(server.url, { declare: 1024 * 1024 + 1, body: head })).status, 401);
    // Just under the limit is read (and refused as a bad initialize, not as too large).
    const fits = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1024 * 1024 - 200) } });
    assert.equal((await raw(server.url, { body: fits, headers: bearer(ENV_TOKEN) })).status, 400);
    assert.equal((await raw(server.url, { body: '{"jsonrpc":', headers: bearer(ENV_TOKEN) })).status, 400);
  });

  test(
    'a client that sends a whole oversized body before reading gets the 413, not a reset',
    async () => {
      // 8 MiB against a 1 MiB limit with fetch: measured, a third of such requests are cut today.
      const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(8 * 1024 * 1024) } });
      const seen: Record<string, number> = {};
      for (let i = 0; i < 60; i++) {
        const got = await sendWhole(server.url, big, { token: ENV_TOKEN, chunked: i % 2 === 1 });
        seen[got] = (seen[got] ?? 0) + 1;
      }
      assert.deepEqual(seen, { 413: 60 });
    },
  );

  test('other paths are 404; GET and DELETE without a session are 400; an unknown session is 404', async () => {
    const auth = bearer(ENV_TOKEN);
    for (const path of ['/', '/mcp/', '/mcp/x', '/MCP', '/other', '/.well-known/oauth-protected-resource']) {
      assert.equal((await raw(server.url, { path, body: INITIALIZE, headers: auth })).status, 404, `POST ${path}`);
      assert.equal((await raw(server.url, { path, method: 'GET', headers: auth })).status, 404, `GET ${path}`);
    }
    assert.equal((await raw(server.url, { method: 'GET', headers: auth })).status, 400);
    assert.equal((await raw(server.url, { method: 'DELETE', headers: auth })).status, 400);
    assert.equal((await raw(server.url, { body: TOOLS_LIST, headers: auth })).status, 400);
    for (const method of ['POST', 'GET', 'DELETE']) {
      const r = await raw(server.url, { method, ...(method === 'POST' ? { body: TOOLS_LIST } : {}), headers: { ...auth, 'mcp-session-id': randomUUID() } });
      assert.equal(r.status, 404, `${method} with an unknown session`);
    }
  });

  test('DELETE ends a session: its id is 404 afterwards', async () => {
    const c = await mcp(server.url, ENV_TOKEN);
    await c.transport.terminateSession();
    const r = await raw(server.url, { body: TOOLS_LIST, headers: { ...bearer(ENV_TOKEN), 'mcp-session-id': c.sessionId } });
    assert.equal(r.status, 404);
    await c.client.close();
  });

  test('20 concurrent sessions, 5 calls each: all succeed, 20 distinct session ids', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => mcp(server.url, i % 2 ? ENV_TOKEN : DEV_TOKEN, `many-${i}`)));
    try {
      assert.equal(new Set(clients.map((c) => c.sessionId)).size, 20);
      const results = await Promise.all(
        clients.map(async (c) => {
          const out = [];
          for (let i = 0; i < 5; i++) out.push(await call(c.client, 'pm2_list_processes'));
          return out;
        }),
      );
      const flat = results.flat();
      assert.equal(flat.length, 100);
      for (const r of flat) assert.equal(r.isError, undefined, textOf(r));
      const sessions = new Set(auditOf(home).filter((x) => x.kind === 'decision' && x.caller?.client?.name.startsWith('many-')).map((x) => x.caller!.session_id));
      assert.equal(sessions.size, 20);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('answers are JSON; a call that asks for progress gets an event stream: its progress, then its answer', async () => {
    copyFileSync(join(ROOT, 'test', 'fixtures', 'wait', 'send-ready.js'), join(cwd, 'send-ready.js'));
    const answered: Array<{ body: string; type: string }> = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST') answered.push({ body: String(init.body), type: res.headers.get('content-type') ?? '' });
      return res;
    };
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: bearer(DEV_TOKEN) }, fetch: recording });
    const client = new Client({ name: 'progress-client', version: '1.0.0' });
    await client.connect(transport);
    try {
      const typeOf = (tool: string) => answered.find((a) => a.body.includes(`"name":"${tool}"`))?.type;
      assert.equal((await call(client, 'pm2_list_processes')).isError, undefined);
      assert.equal(typeOf('pm2_list_processes'), 'application/json');
      // Read off the transport, as the server sent them: the SDK's Client drops a progress
      // notification that arrives in the same read as the response (test/e2e/wait.test.ts says more).
      const progress: string[] = [];
      const deliver = transport.onmessage;
      transport.onmessage = (message) => {
        const m = message as { method?: string; params?: { message?: unknown } };
        if (m.method === 'notifications/progress') progress.push(String(m.params?.message));
        deliver?.(message);
      };
      const r = (await client.callTool(
        { name: 'pm2_start_process', arguments: { script: 'send-ready.js', name: 'http-progress', env: { DELAY_MS: '300' }, waitUntil: 'ready', readyMessage: true } },
        undefined,
        { onprogress: () => undefined },
      )) as CallToolResult;
      transport.onmessage = deliver;
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal(typeOf('pm2_start_process'), 'text/event-stream');
      assert.ok(progress.some((m) => /http-progress \(pm_id \d+\): ready/.test(m)), progress.join(' | '));
      assert.equal((await call(client, 'pm2_delete_process', { process: 'http-progress' })).isError, undefined);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  test('no token is ever written to the audit log', () => {
    const text = auditText(home);
    assert.ok(text.length > 0);
    for (const token of [ENV_TOKEN, CI_TOKEN, DEV_TOKEN, sha256hex(ENV_TOKEN), sha256hex(CI_TOKEN), sha256hex(DEV_TOKEN)]) assert.ok(!text.includes(token), 'a token is in the audit log');
    assert.doesNotMatch(text, /Bearer/i);
  });

  // The daemon is spawned by the server, so it carries the server's environment; an app must not.
  const envProbe = (name: string) =>
    `require('fs').writeFileSync(require('path').join(__dirname, ${JSON.stringify(name)} + '-' + (process.env.NODE_APP_INSTANCE || 0)), process.env.PM2_MCP_TOKEN === undefined ? 'clean' : 'LEAKED');\nsetInterval(() => {}, 1 << 30);\n`;
  const probe = async (name: string, instances: number) => {
    writeFileSync(join(cwd, `${name}.js`), envProbe(name));
    const c = await mcp(server.url, DEV_TOKEN);
    try {
      const r = await call(c.client, 'pm2_start_process', { script: `${name}.js`, name, instances });
      assert.equal(r.isError, undefined, textOf(r));
    } finally {
      await c.close();
    }
    const files = Array.from({ length: instances }, (_, i) => join(cwd, `${name}-${i}`));
    return waitFor(() => (files.every((f) => existsSync(f)) ? files.map((f) => readFileSync(f, 'utf8')) : undefined), `${name} to run`, 10_000);
  };

  test('an app started in fork mode does not see the server\'s PM2_MCP_TOKEN', async () => {
    assert.deepEqual(await probe('forked-probe', 1), ['clean']);
  });

  // pm2's cluster mode hands the daemon's environment (the server's, when the server spawned it) to every worker.
  test('an app started in cluster mode does not see the server\'s PM2_MCP_TOKEN', async () => {
    assert.deepEqual(await probe('clustered-probe', 2), ['clean', 'clean']);
  });
});

describe('mode: audit in the server\'s config never relaxes a token\'s preset', () => {
  test('a readonly token cannot stop a process, even in audit mode; the dev token\'s soft denials still run', async () => {
    const home = await tempHome('pm2mcp-http-am-');
    const cwd = await tempHome('pm2mcp-http-amc-');
    const CI = newToken();
    const DEV = newToken();
    copyFileSync(APP, join(cwd, 'app.js'));
    writeConfig(cwd, { mode: 'audit', http: { tokens: [{ name: 'ci', sha256: sha256hex(CI), extends: 'readonly' }, { name: 'dev', sha256: sha256hex(DEV) }] } });
    const server = await serve({ home, cwd });
    const dev = await mcp(server.url, DEV);
    const ci = await mcp(server.url, CI);
    try {
      const started = await call(dev.client, 'pm2_start_process', { script: 'app.js', name: 'victim' });
      assert.equal(started.isError, undefined, textOf(started));
      for (const tool of ['pm2_stop_process', 'pm2_restart_process', 'pm2_delete_process']) {
        const r = await call(ci.client, tool, { process: 'victim' });
        assert.equal(r.isError, true, `${tool}: ${textOf(r)}`);
        assert.match(textOf(r), /POLICY_DENIED: Denied by rule token\.tools\./);
      }
      const list = await call(dev.client, 'pm2_list_processes');
      const victim = (list.structuredContent as { processes: Array<{ name: string; status: string }> }).processes.find((p) => p.name === 'victim');
      assert.equal(victim?.status, 'online');
      const ciDecisions = auditOf(home).filter((x) => x.kind === 'decision' && x.caller?.principal === 'ci');
      assert.equal(ciDecisions.length, 3);
      for (const d of ciDecisions) assert.equal(d.effect, 'deny', JSON.stringify(d));
    } finally {
      await ci.close();
      await dev.close();
      await server.stop();
    }
  });
});

describe('two config tokens with the same name', () => {
  // Narrowing and sessions are keyed by the name: a shared name must not widen the narrower token.
  test(
    'a token narrowed to readonly stays readonly when another token shares its name (or the config is refused)',
    async () => {
      const home = await tempHome('pm2mcp-http-d-');
      const cwd = await tempHome('pm2mcp-http-dc-');
      const READONLY = newToken();
      const WIDE = newToken();
      writeConfig(cwd, {
        http: {
          tokens: [
            { name: 'ci', sha256: sha256hex(READONLY), extends: 'readonly' },
            { name: 'ci', sha256: sha256hex(WIDE), extends: 'permissive' },
          ],
        },
      });
      let server: Served;
      try {
        server = await serve({ home, cwd });
      } catch (err) {
        // Refusing the config is a fix too: say which name is duplicated.
        assert.match(String(err), /ci/);
        return;
      }
      try {
        const c = await mcp(server.url, READONLY);
        try {
          assert.deepEqual(sorted((await c.client.listTools()).tools.map((t) => t.name)), sorted(PRESET_TOOLS.readonly!));
          const r = await call(c.client, 'pm2_flush_logs', {});
          assert.equal(r.isError, true, textOf(r));
        } finally {
          await c.close();
        }
      } finally {
        await server.stop();
      }
    },
  );
});

// =============================================================================================
// 2. Without a configured token, and without auth.

describe('an HTTP server with no token configured', () => {
  test('makes one, prints it on stderr with a ready-to-paste client config, and it works (and is not audited)', async () => {
    const home = await tempHome('pm2mcp-http-g-');
    const cwd = await tempHome('pm2mcp-http-gc-');
    writeFileSync(join(cwd, 'package.json'), '{}\n'); // a project: the standard preset applies
    const server = await serve({ home, cwd });
    try {
      const stderr = await waitFor(() => (/"mcpServers"/.test(server.stderr()) ? server.stderr() : undefined), 'the client config on stderr');
      const token = /^\s*token: (\S+)$/m.exec(stderr)?.[1];
      assert.ok(token && token.length >= 32, stderr);
      const line = stderr.split('\n').find((l) => l.trim().startsWith('{"mcpServers"'))!;
      const pasted = JSON.parse(line) as { mcpServers: { pm2: { type: string; url: string; headers: { Authorization: string } } } };
      assert.equal(pasted.mcpServers.pm2.type, 'http');
      assert.equal(pasted.mcpServers.pm2.url, server.url);
      assert.equal(pasted.mcpServers.pm2.headers.Authorization, `Bearer ${token}`);
      assert.match(stderr, new RegExp(`claude mcp add --transport http pm2 ${server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --header "Authorization: Bearer ${token}"`));

      assert.equal((await raw(server.url, { body: INITIALIZE })).status, 401);
      const c = await mcp(pasted.mcpServers.pm2.url, token);
      try {
        assert.deepEqual(sorted((await c.client.listTools()).tools.map((t) => t.name)), sorted(PRESET_TOOLS.standard!));
        // A call the policy refuses before touching pm2: audited, without a daemon.
        const r = await call(c.client, 'pm2_kill_daemon');
        assert.equal(r.isError, true);
      } finally {
        await c.close();
      }
      const text = auditText(home);
      assert.match(text, /"principal":"default"/);
      assert.ok(!text.includes(token), 'the generated token is in the audit log');
      // Another run makes another token.
      const again = await serve({ home, cwd });
      try {
        const second = await waitFor(() => /^\s*token: (\S+)$/m.exec(again.stderr())?.[1], 'the second token');
        assert.notEqual(second, token);
      } finally {
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('--no-auth', () => {
  test('is refused beyond loopback: exit 2 and a message', async () => {
    const home = await tempHome('pm2mcp-http-n-');
    for (const host of ['0.0.0.0', '::']) {
      const r = await runCli([CLI, '--transport', 'http', '--no-auth', '--host', host, '--port', '0'], { cwd: home, env: cleanEnv({ PM2_MCP_HOME: home }) });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--no-auth is refused with --host ${host.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const viaEnv = await runCli([CLI], { cwd: home, env: cleanEnv({ PM2_MCP_HOME: home, PM2_MCP_TRANSPORT: 'http', PM2_MCP_NO_AUTH: 'true', PM2_MCP_HOST: '0.0.0.0', PM2_MCP_PORT: '0' }) });
    assert.equal(viaEnv.code, 2, viaEnv.stderr);
  });

  test('on 127.0.0.1 it serves without a token and warns on stderr', async () => {
    const home = await tempHome('pm2mcp-http-na-');
    const server = await serve({ home, cwd: home, args: ['--no-auth', '--host', '127.0.0.1'] });
    try {
      assert.match(server.stderr(), /WARNING: --no-auth/);
      assert.doesNotMatch(server.stderr(), /token: /);
      const c = await mcp(server.url);
      try {
        assert.ok((await c.client.listTools()).tools.length > 0);
      } finally {
        await c.close();
      }
      // Host and Origin are still checked.
      assert.equal((await raw(server.url, { body: INITIALIZE, headers: { host: 'evil.example' } })).status, 403);
      assert.equal((await raw(server.url, { body: INITIALIZE, headers: { origin: 'http://evil.example' } })).status, 403);
    } finally {
      await server.stop();
    }
  });
});

// =============================================================================================
// 3. Config: allowed hosts and origins; body, session and idle limits.

describe('http.allowedHosts and http.allowedOrigins', () => {
  let server: Served;
  const TOKEN = newToken();
  before(async () => {
    const home = await tempHome('pm2mcp-http-h-');
    const cwd = await tempHome('pm2mcp-http-hc-');
    writeConfig(cwd, { http: { allowedHosts: ['mcp.internal', 'proxy.example:8443'], allowedOrigins: ['https://app.example'] } });
    server = await serve({ home, cwd, env: { PM2_MCP_TOKEN: TOKEN } });
  });
  after(async () => server?.stop());

  test('a listed Host is accepted (with or without a port); localhost is no longer', async () => {
    for (const host of ['mcp.internal', `mcp.internal:${server.port}`, 'MCP.INTERNAL']) {
      const r = await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host } });
      assert.equal(r.status, 200, `Host ${host}: ${r.body}`);
    }
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'evil.example', 'mcp.internal.evil.example']) {
      assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host } })).status, 403, `Host ${host} accepted`);
    }
  });

  test('an allowedHosts entry written with a port matches that host and port only', async () => {
    assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host: 'proxy.example:8443' } })).status, 200);
    for (const host of ['proxy.example', 'proxy.example:8444', 'proxy.example:80']) {
      assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host } })).status, 403, `Host ${host} accepted`);
    }
  });

  test('a listed Origin is accepted; a loopback Origin is not once a list is given; no Origin passes', async () => {
    const host = 'mcp.internal';
    assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host, origin: 'https://app.example' } })).status, 200);
    assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host } })).status, 200);
    for (const origin of [`http://localhost:${server.port}`, 'http://app.example', 'https://app.example.evil.example', 'https://evil.example']) {
      assert.equal((await raw(server.url, { body: INITIALIZE, headers: { ...bearer(TOKEN), host, origin } })).status, 403, `Origin ${origin} accepted`);
    }
  });
});

describe('http.maxBodyBytes, http.maxSessions and http.sessionIdleSeconds', () => {
  let home: string;
  let server: Served;
  const TOKEN = newToken();
  const auth = bearer(TOKEN);
  before(async () => {
    home = await tempHome('pm2mcp-http-l-');
    const cwd = await tempHome('pm2mcp-http-lc-');
    copyFileSync(APP, join(cwd, 'app.js'));
    writeConfig(cwd, { http: { maxBodyBytes: 2048, maxSessions: 2, sessionIdleSeconds: 1 } });
    server = await serve({ home, cwd, env: { PM2_MCP_TOKEN: TOKEN } });
  });
  after(async () => server?.stop());

  const init = async () => raw(server.url, { body: INITIALIZE, headers: auth });
  const sid = (r: RawResponse) => String(r.headers['mcp-session-id']);
  const use = async (id: string) => raw(server.url, { body: TOOLS_LIST, headers: { ...auth, 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } });

  test('maxBodyBytes 2048: a 4 KB body is 413', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(4096) } });
    assert.equal((await raw(server.url, { declare: Buffer.byteLength(body), body: body.slice(0, 100), headers: auth })).status, 413);
    assert.match(await sendWhole(server.url, body, { token: TOKEN, chunked: true }), /^(413|EPIPE|ECONNRESET)$/);
    // At the limit exactly, the body is read (and refused only because it is not an initialize).
    const fits = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x' } });
    const padded = fits.replace('"x"', JSON.stringify('x'.repeat(2048 - Buffer.byteLength(fits) + 1)));
    assert.equal(Buffer.byteLength(padded), 2048);
    assert.equal((await raw(server.url, { body: padded, headers: auth })).status, 400);
    assert.equal((await raw(server.url, { body: `${padded} `, headers: auth })).status, 413);
  });

  test('maxSessions 2: the 3rd initialize is 503 with Retry-After; DELETE frees a slot; idle sessions expire (404) and free theirs', async () => {
    const first = await init();
    const second = await init();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const third = await init();
    assert.equal(third.status, 503);
    assert.match(String(third.headers['retry-after']), /^\d+$/);

    assert.equal((await raw(server.url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': sid(first) } })).status, 200);
    assert.equal((await use(sid(first))).status, 404);
    const fourth = await init();
    assert.equal(fourth.status, 200);
    assert.equal((await use(sid(fourth))).status, 200);

    // Idle for 2.5 s with sessionIdleSeconds 1: both are gone, and the slots are free again.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal((await use(sid(second))).status, 404);
    assert.equal((await use(sid(fourth))).status, 404);
    assert.match(server.stderr(), /expired after 1 s idle/);
    const a = await init();
    const b = await init();
    assert.deepEqual([a.status, b.status], [200, 200]);
  });

  test('a session in use is not expired: a client calling every 400 ms keeps its session past sessionIdleSeconds', async () => {
    const c = await mcp(server.url, TOKEN).catch(async () => {
      // The slots of the previous test expire within about 1.5 s.
      await new Promise((r) => setTimeout(r, 1_600));
      return mcp(server.url, TOKEN);
    });
    try {
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 400));
        assert.ok((await c.client.listTools()).tools.length > 0);
      }
    } finally {
      await c.close();
    }
  });

  test(
    'a call that runs longer than sessionIdleSeconds still gets its answer',
    async () => {
      const c = await mcp(server.url, TOKEN);
      try {
        // The first call of a fresh PM2_HOME spawns the daemon, then starts 4 cluster workers: over 1 s.
        const answer = call(c.client, 'pm2_start_process', { script: 'app.js', name: 'long-call', instances: 4 }).then(
          (r) => r,
          (err: unknown) => err as Error,
        );
        const lost = (async () => {
          await waitFor(() => auditOf(home).some((x) => x.kind === 'outcome'), 'the call to finish in pm2', 20_000);
          await new Promise((r) => setTimeout(r, 2_000));
          return 'lost' as const;
        })();
        const got = await Promise.race([answer, lost]);
        assert.notEqual(got, 'lost', `pm2 ran the call, but its answer never reached the client:\n${server.stderr()}`);
        assert.ok(!(got instanceof Error), String(got));
        assert.equal((got as Awaited<ReturnType<typeof call>>).isError, undefined);
      } finally {
        await c.client.close();
      }
    },
  );
});

// =============================================================================================
// 4. SIGTERM with calls in flight.

describe('SIGTERM', () => {
  test('lets the calls in flight finish, then exits 0 and closes the port', async () => {
    const home = await tempHome('pm2mcp-http-t-');
    const cwd = await tempHome('pm2mcp-http-tc-');
    copyFileSync(APP, join(cwd, 'app.js'));
    writeFileSync(join(cwd, 'package.json'), '{}\n'); // a project: the standard preset applies
    const TOKEN = newToken();
    const server = await serve({ home, cwd, env: { PM2_MCP_TOKEN: TOKEN } });
    const a = await mcp(server.url, TOKEN);
    const b = await mcp(server.url, TOKEN);
    // The resolve stage spawns the daemon (it counts the agent's processes) before the decision is
    // recorded; what follows the decision must take a while: four cluster instances do.
    const start = call(a.client, 'pm2_start_process', { script: 'app.js', name: 'in-flight', instances: 4 });
    const lists = [call(b.client, 'pm2_list_processes'), call(b.client, 'pm2_list_processes')];
    await waitFor(() => auditOf(home).some((x) => x.kind === 'decision' && x.tool === 'pm2_start_process'), 'the start decision', 10_000);
    const signalled = Date.now();
    process.kill(server.pid, 'SIGTERM');

    const started = await start;
    assert.equal(started.isError, undefined, textOf(started));
    assert.equal((started.structuredContent as { started: Array<{ name: string }> }).started[0]?.name, 'in-flight');
    for (const r of await Promise.all(lists)) assert.equal(r.isError, undefined, textOf(r));
    const decision = auditOf(home).find((x) => x.kind === 'decision' && x.tool === 'pm2_start_process')!;
    // Outcomes are written just after the reply: wait for it rather than race it.
    const outcome = await waitFor(() => auditOf(home).find((x) => x.kind === 'outcome' && x.decision_id === decision.decision_id), 'the start outcome', 5_000);
    assert.equal(outcome.ok, true);
    assert.ok(Date.parse(outcome.timestamp) >= signalled - 5, 'the start had finished before the signal: nothing was in flight');

    const exit = await Promise.race([server.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8_000))]);
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    assert.ok(Date.now() - signalled < 8_000);
    assert.match(server.stderr(), /SIGTERM: finishing the calls in flight/);
    assert.ok(await portRefuses(server.port), 'the port is still open');
    await server.stop();
    await a.client.close();
    await b.client.close();
  });
});

describe('SIGINT', () => {
  test('closes the sessions, exits 0 and closes the port', async () => {
    const home = await tempHome('pm2mcp-http-i-');
    const TOKEN = newToken();
    const server = await serve({ home, cwd: home, env: { PM2_MCP_TOKEN: TOKEN } });
    const c = await mcp(server.url, TOKEN);
    const signalled = Date.now();
    process.kill(server.pid, 'SIGINT');
    const exit = await Promise.race([server.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8_000))]);
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    assert.ok(Date.now() - signalled < 3_000, `took ${Date.now() - signalled} ms with nothing in flight`);
    assert.match(server.stderr(), /SIGINT: finishing the calls in flight, closing 1 session/);
    assert.ok(await portRefuses(server.port));
    await server.stop();
    await c.client.close();
  });
});

// =============================================================================================
// 5. --pm2: the server hands itself to pm2.

describe('--pm2', () => {
  let managed: { name: string; pm2_env: { status: string; kill_timeout?: number } } | undefined;

  test('starts the HTTP server as a pm2 process, exits 0, and the server answers', async () => {
    const home = await tempHome('pm2mcp-http-p-');
    const cwd = await tempHome('pm2mcp-http-pc-');
    // A project: the managed server's cwd lies inside the standard preset's root, as in the review;
    // in audit mode, where soft denials run: the server must stay out of reach all the same.
    writeFileSync(join(cwd, 'package.json'), '{}\n');
    writeConfig(cwd, { mode: 'audit' });
    const port = await freePort();
    const TOKEN = newToken();
    const r = await runCli([CLI, '--transport', 'http', '--port', String(port), '--pm2', '--pm2-name', 'mcp-under-pm2'], {
      cwd,
      env: cleanEnv({ PM2_MCP_HOME: home, PM2_MCP_TOKEN: TOKEN }),
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /started as the pm2 process mcp-under-pm2/);
    assert.ok(!r.stderr.includes(TOKEN), 'the token was printed');

    const listed = await waitFor(async () => {
      const j = await runCli([PM2_BIN, 'jlist'], { cwd, env: cleanEnv({ PM2_HOME: home }) });
      const apps = JSON.parse(j.stdout) as Array<{ name: string; pm2_env: { status: string; kill_timeout?: number } }>;
      return apps.find((p) => p.name === 'mcp-under-pm2' && p.pm2_env.status === 'online');
    }, 'mcp-under-pm2 online');
    managed = listed;

    const url = `http://127.0.0.1:${port}/mcp`;
    const answered = await waitFor(async () => {
      const res = await raw(url, { body: INITIALIZE, headers: bearer(TOKEN) }).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, 'the managed server to answer');
    assert.match(answered.body, /"serverInfo":\{"name":"pm2-mcp"/);
    assert.equal((await raw(url, { body: INITIALIZE })).status, 401);

    // The server is never in scope: not for its own clients, not for a stdio server of that home.
    const own = await mcp(url, TOKEN);
    const local = await connect({ home, cwd });
    try {
      for (const client of [own.client, local.client]) {
        for (const tool of ['pm2_stop_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_delete_process']) {
          const r = await call(client, tool, { process: 'mcp-under-pm2' });
          assert.equal(r.isError, true, `${tool}: ${textOf(r)}`);
          assert.match(textOf(r), /rule processes\.server/);
        }
        for (const target of ['all', '/.*/', 'default']) {
          const r = await call(client, 'pm2_restart_process', { process: target });
          assert.match(textOf(r), /rule processes\.server/, `restart ${target}: ${textOf(r)}`);
        }
        // Killing the daemon would kill the server: never, not even as a dry run.
        const kill = await call(client, 'pm2_kill_daemon');
        assert.equal(kill.isError, true, textOf(kill));
        assert.match(textOf(kill), /rule (processes\.server|tools\.pm2_kill_daemon)/);
      }
      const stillThere = await raw(url, { body: INITIALIZE, headers: bearer(TOKEN) });
      assert.equal(stillThere.status, 200);
    } finally {
      await own.close();
      await local.close();
    }

    // A second --pm2 with the same name is refused rather than started twice.
    const twice = await runCli([CLI, '--transport', 'http', '--port', String(port), '--pm2', '--pm2-name', 'mcp-under-pm2'], { cwd, env: cleanEnv({ PM2_MCP_HOME: home, PM2_MCP_TOKEN: TOKEN }) });
    assert.equal(twice.code, 2, twice.stderr);
    assert.match(twice.stderr, /named mcp-under-pm2 exists already/);
  });

  test(
    'pm2 gives the managed server time to drain before SIGKILL (kill_timeout at least the 10 s drain)',
    () => {
      assert.ok(managed, 'the previous test did not start it');
      assert.ok((managed.pm2_env.kill_timeout ?? 1600) >= 10_000, `kill_timeout is ${managed.pm2_env.kill_timeout ?? 'unset (pm2 default 1600 ms)'}`);
    },
  );

  test(
    '--pm2 with --port 0 is refused: nobody could know the managed server\'s port',
    async () => {
      const home = await tempHome('pm2mcp-http-pz-');
      const r = await runCli([CLI, '--transport', 'http', '--port', '0', '--pm2', '--pm2-name', 'mcp-port-zero'], { cwd: home, env: cleanEnv({ PM2_MCP_HOME: home, PM2_MCP_TOKEN: newToken() }), timeoutMs: 30_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--port/);
    },
  );

  test('with stdio it is refused: exit 2', async () => {
    const home = await tempHome('pm2mcp-http-ps-');
    for (const args of [['--pm2'], ['--transport', 'stdio', '--pm2'], ['--pm2-name', 'x']]) {
      const r = await runCli([CLI, ...args], { cwd: home, env: cleanEnv({ PM2_MCP_HOME: home }) });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /goes with --transport http/);
    }
  });
});
