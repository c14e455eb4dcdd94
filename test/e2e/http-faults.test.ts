// The HTTP transport under the faults a campaign found (issue 10): a flood of idle sockets must
// not take the descriptors a token holder's calls need (http.maxConnections), and a client that
// disappears without DELETE must not keep its session slot (http.sessionReclaimSeconds). The
// built binary on port 0 in a private PM2_HOME, as in http.test.ts; clients that die are child
// processes (test/fixtures/http-client.mjs) killed with SIGKILL, so the kernel closes their sockets.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { call, destroyHome, makeTempDir, ROOT, waitFor } from '../helpers/harness.js';
import { cleanEnv, running, serve, type Served } from '../helpers/http-server.js';

const KILLED_CLIENT = join(ROOT, 'test', 'fixtures', 'http-client.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Helpers: the server (optionally under a low descriptor limit), clients, raw requests.

const children = new Set<ChildProcess>();

/** SIGTERM (or the signal given), then SIGKILL after 5 s; by the PID spawned here, never by name. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** An SDK client; `streamOpen` resolves once its event stream (the GET) is answered 200. */
async function sdkClient(url: string, token: string): Promise<{ client: Client; sessionId: string; streamOpen: Promise<void> }> {
  let opened: () => void = () => undefined;
  const streamOpen = new Promise<void>((resolve) => (opened = resolve));
  const watchingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'GET' && res.status === 200) opened();
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: watchingFetch, requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'http-faults-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, sessionId: transport.sessionId!, streamOpen };
}

/** A client process that connects, opens its stream, says its session id, and is then killed. */
async function doomedClient(url: string, token: string): Promise<{ sessionId: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [KILLED_CLIENT], { env: cleanEnv({ MCP_URL: url, MCP_TOKEN: token }), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const sessionId = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the client exited:\n${err}`);
    return /^([0-9a-f-]{36})$/m.exec(out)?.[1];
  }, 'the client to print its session id');
  return { sessionId, kill: () => stopChild(child, 'SIGKILL') };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function post(url: string, body: string, headers: Record<string, string>): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-http-faults', version: '1.0.0' } },
});
const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

/** A raw TCP socket that connects and sends nothing; `closed` is set when the server drops it. */
interface IdleSocket {
  socket: Socket;
  closed: boolean;
}

function openIdle(port: number): Promise<IdleSocket> {
  return new Promise((resolve) => {
    const idle: IdleSocket = { socket: netConnect({ host: '127.0.0.1', port }), closed: false };
    idle.socket.on('error', () => undefined);
    idle.socket.once('close', () => {
      idle.closed = true;
      resolve(idle);
    });
    idle.socket.once('connect', () => resolve(idle));
  });
}

/** Descriptors the process holds, where /proc says (Linux); undefined elsewhere. */
function descriptors(pid: number): number | undefined {
  const dir = `/proc/${pid}/fd`;
  return existsSync(dir) ? readdirSync(dir).length : undefined;
}

const homes: string[] = [];
async function tempHome(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  homes.push(dir);
  return dir;
}

async function served(prefix: string, http: Record<string, unknown>, fdLimit?: number): Promise<{ server: Served; home: string; token: string }> {
  const home = await tempHome(`pm2mcp-hf-${prefix}-`);
  const cwd = await tempHome(`pm2mcp-hf-${prefix}c-`);
  writeFileSync(join(cwd, 'pm2-mcp.config.json'), `${JSON.stringify({ http }, null, 2)}\n`);
  const token = randomBytes(24).toString('base64url');
  const server = await serve({ home, cwd, env: { PM2_MCP_TOKEN: token }, ...(fdLimit ? { fdLimit } : {}) });
  return { server, home, token };
}

after(async () => {
  for (const child of [...children]) await stopChild(child, 'SIGKILL');
  for (const server of [...running]) await server.stop();
  await Promise.all(homes.map((h) => destroyHome(h)));
});

// =============================================================================================
// (a) A flood of idle sockets, under a descriptor limit the flood alone would exhaust.

describe('http.maxConnections 64, under ulimit -n 256', () => {
  let server: Served;
  let token: string;
  const flood: IdleSocket[] = [];
  before(async () => {
    ({ server, token } = await served('a', { maxConnections: 64 }, 256));
  });
  after(async () => {
    for (const s of flood) s.socket.destroy();
    await server?.stop();
  });

  test('300 idle unauthenticated sockets: at most 64 stay open, and a token holder\'s tools/call succeeds', async () => {
    const baseline = descriptors(server.pid);
    const port = Number(new URL(server.url).port);
    for (let i = 0; i < 300; i += 50) flood.push(...(await Promise.all(Array.from({ length: 50 }, () => openIdle(port)))));
    const stillOpen = () => flood.filter((s) => !s.closed).length;
    // The server closes the oldest silent sockets as new ones arrive: the excess is dropped at once.
    await waitFor(() => stillOpen() <= 64, `at most 64 of the 300 sockets open (${stillOpen()} are)`, 5_000).catch(() => undefined);
    assert.ok(stillOpen() <= 64, `${stillOpen()} of the 300 idle sockets are still open`);

    const { client } = await sdkClient(server.url, token);
    try {
      const result = await call(client, 'pm2_list_processes');
      assert.equal(result.isError, undefined, JSON.stringify(result));
      // Each of the client's connections took the place of a silent one: the flood holds fewer.
      assert.ok(stillOpen() < 64, `${stillOpen()} idle sockets open next to the token holder's`);
      const now = descriptors(server.pid);
      if (baseline !== undefined && now !== undefined) assert.ok(now <= baseline + 64 + 8, `the server holds ${now} descriptors (${baseline} before the flood)`);
    } finally {
      await client.close();
    }
    assert.match(server.stderr(), /at http\.maxConnections \(64\)/);
  });

  test('when every connection is answering a request, a new one is answered 503 and closed', async () => {
    for (const s of flood) s.socket.destroy();
    await sleep(200);
    // 64 authenticated requests whose bodies never finish: each keeps its connection busy.
    const port = Number(new URL(server.url).port);
    const busy: IdleSocket[] = [];
    for (let i = 0; i < 64; i += 16) {
      const batch = await Promise.all(
        Array.from({ length: 16 }, async () => {
          const s = await openIdle(port);
          s.socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{`);
          return s;
        }),
      );
      busy.push(...batch);
      flood.push(...batch);
      await sleep(50);
    }
    await sleep(300);
    assert.equal(busy.filter((s) => s.closed).length, 0, 'a connection answering a request was closed for room');
    const newcomer = await openIdle(port);
    flood.push(newcomer);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      newcomer.socket.on('data', (d: Buffer) => (text += d.toString()));
      newcomer.socket.once('close', () => resolve(text));
      setTimeout(() => resolve(text), 3_000);
    });
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /Too many connections \(at most 64\)/);
    assert.ok(newcomer.closed, 'the refused connection is closed');
  });
});

// =============================================================================================
// (b), (c) Clients that die without DELETE.

describe('http.maxSessions 2, http.sessionReclaimSeconds 2: clients killed without DELETE', () => {
  let server: Served;
  let token: string;
  before(async () => {
    ({ server, token } = await served('b', { maxSessions: 2, sessionReclaimSeconds: 2 }));
  });
  after(async () => server?.stop());

  const use = (id: string) => post(server.url, TOOLS_LIST, { authorization: `Bearer ${token}`, 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION });

  test('a killed client\'s session is closed once its stream ended and 2 s passed, below maxSessions too', async () => {
    const doomed = await doomedClient(server.url, token);
    assert.equal((await use(doomed.sessionId)).status, 200);
    await doomed.kill();
    // Nothing is sent meanwhile (a request on the session would say its client is there).
    await waitFor(() => /session of default closed: its event stream ended/.test(server.stderr()), 'the dead client\'s session to be closed', 6_000);
    assert.equal((await use(doomed.sessionId)).status, 404);
  });

  test('two killed clients hold no slot: a third client gets a session within 6 s', async () => {
    const doomed = [await doomedClient(server.url, token), await doomedClient(server.url, token)];
    assert.equal((await post(server.url, INITIALIZE, { authorization: `Bearer ${token}` })).status, 503, 'maxSessions 2 is full');
    await Promise.all(doomed.map((d) => d.kill()));
    const killed = Date.now();
    let status = 0;
    while (Date.now() - killed < 6_000) {
      status = (await post(server.url, INITIALIZE, { authorization: `Bearer ${token}` })).status;
      if (status === 200) break;
      await sleep(250);
    }
    assert.equal(status, 200, `still ${status} 6 s after both clients were killed:\n${server.stderr()}`);
    // One made room for the third client, the other is closed by the sweep (1 s apart at most);
    // asking for it before would count as its client being there.
    const ended = () => server.stderr().match(/session of default (reclaimed|closed)/g)?.length ?? 0;
    await waitFor(() => ended() >= 3, 'both dead clients\' sessions to be closed', 3_000);
    for (const d of doomed) assert.equal((await use(d.sessionId)).status, 404);
  });
});

describe('http.maxSessions 2, http.sessionReclaimSeconds 2: at the cap, the quietest session makes room', () => {
  let server: Served;
  let token: string;
  before(async () => {
    ({ server, token } = await served('r', { maxSessions: 2, sessionReclaimSeconds: 2 }));
  });
  after(async () => server?.stop());

  const init = () => post(server.url, INITIALIZE, { authorization: `Bearer ${token}` });
  const sid = (r: RawResponse) => String(r.headers['mcp-session-id']);
  const use = (id: string) => post(server.url, TOOLS_LIST, { authorization: `Bearer ${token}`, 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION });

  test('a session quiet for 2 s with nothing open is reclaimed for a new one; one holding its stream is kept', async () => {
    const live = await sdkClient(server.url, token);
    try {
      await live.streamOpen;
      const quiet = await init(); // a client without a stream that then says nothing
      assert.equal(quiet.status, 200);
      // Nobody is quiet for 2 s yet: the newcomer is refused, as before.
      const early = await init();
      assert.equal(early.status, 503);
      assert.match(String(early.headers['retry-after']), /^\d+$/);

      await sleep(2_200);
      const newcomer = await init();
      assert.equal(newcomer.status, 200, server.stderr());
      assert.match(server.stderr(), /session of default reclaimed for a new one at maxSessions \(2\)/);
      assert.equal((await use(sid(quiet))).status, 404);
      // The live client was quiet just as long, but its stream is open: it keeps its session.
      assert.ok((await live.client.listTools()).tools.length > 0);
      assert.equal((await init()).status, 503);
      assert.equal((await use(sid(newcomer))).status, 200);
    } finally {
      await live.client.close();
    }
  });
});
