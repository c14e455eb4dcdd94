// One session's Streamable HTTP transport (src/transport/http-session.ts), in process on a real
// node:http server, the MCP server played by the test: a request is answered with JSON unless a
// message for it comes first or it stays quiet past keepAliveMs (then an event stream carries
// them and the answer); the SDK's checks and errors; GET, DELETE, a client that leaves, close().
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { HttpSessionTransport } from '../../src/transport/http-session.js';

/** What the test's MCP server does with a request: answer it (or not) through the transport. */
type Play = (transport: HttpSessionTransport, message: JSONRPCMessage) => void;

interface Harness {
  url: string;
  transport: HttpSessionTransport;
  play: { current: Play };
  closed: string[];
  errors: string[];
}

const answer: Play = (t, m) => void ('id' in m && 'method' in m && t.send({ jsonrpc: '2.0', id: m.id, result: { echo: m.method } }));

async function harness(keepAliveMs = 10_000): Promise<Harness & { server: Server }> {
  const closed: string[] = [];
  const errors: string[] = [];
  const play = { current: answer };
  const transport = new HttpSessionTransport({ sessionIdGenerator: () => 'session-1', onsessioninitialized: () => undefined, onsessionclosed: (id) => void closed.push(id), keepAliveMs });
  transport.onmessage = (m) => play.current(transport, m);
  transport.onerror = (e) => void errors.push(e.message);
  await transport.start();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      void transport.handleRequest(req, res, text ? JSON.parse(text) : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, transport, play, closed, errors, server };
}

const JSON_AND_SSE = 'application/json, text/event-stream';
const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 't', version: '1' } } };

async function post(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, 'mcp-session-id': 'session-1', ...headers }, body: JSON.stringify(body) });
}

/** The SSE events of a body: comments as ": …", messages parsed. */
function events(text: string): Array<string | JSONRPCMessage> {
  return text.split('\n\n').filter(Boolean).map((block) => (block.startsWith(':') ? block : (JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as JSONRPCMessage)));
}

describe('an initialized session', () => {
  let h: Harness & { server: Server };
  before(async () => {
    h = await harness(150);
    const r = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: JSON_AND_SSE }, body: JSON.stringify(init) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('mcp-session-id'), 'session-1');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: 1, result: { echo: 'initialize' } });
  });
  after(() => new Promise<void>((resolve) => h.server.close(() => resolve())));

  test('a request answered at once is answered with JSON, its session id in the headers', async () => {
    h.play.current = answer;
    const r = await post(h, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('mcp-session-id'), 'session-1');
    assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: 2, result: { echo: 'tools/list' } });
  });

  test('a batch of requests gets one JSON array, in the order asked, whatever the order answered', async () => {
    const pending: JSONRPCMessage[] = [];
    h.play.current = (t, m) => {
      pending.push(m);
      if (pending.length === 2) for (const p of pending.reverse()) answer(t, p);
    };
    const r = await post(h, [{ jsonrpc: '2.0', id: 'a', method: 'ping' }, { jsonrpc: '2.0', id: 'b', method: 'tools/list' }]);
    assert.deepEqual(await r.json(), [{ jsonrpc: '2.0', id: 'a', result: { echo: 'ping' } }, { jsonrpc: '2.0', id: 'b', result: { echo: 'tools/list' } }]);
  });

  test('a message for the request before its answer turns the answer into an event stream that carries both', async () => {
    h.play.current = (t, m) => {
      const id = (m as { id: number }).id;
      void t.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 7, progress: 1, message: 'half way' } }, { relatedRequestId: id });
      setTimeout(() => answer(t, m), 20);
    };
    const r = await post(h, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'x', _meta: { progressToken: 7 } } });
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    assert.equal(r.headers.get('mcp-session-id'), 'session-1');
    assert.deepEqual(events(await r.text()), [
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 7, progress: 1, message: 'half way' } },
      { jsonrpc: '2.0', id: 3, result: { echo: 'tools/call' } },
    ]);
  });

  test('a request still quiet after keepAliveMs becomes an event stream with keep-alive comments, then its answer', async () => {
    h.play.current = (t, m) => void setTimeout(() => answer(t, m), 400);
    const r = await post(h, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'slow' } });
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const got = events(await r.text());
    assert.ok(got.length >= 3, JSON.stringify(got));
    assert.ok(got.slice(0, -1).every((e) => e === ': keepalive'), JSON.stringify(got));
    assert.deepEqual(got.at(-1), { jsonrpc: '2.0', id: 4, result: { echo: 'tools/call' } });
  });

  test('notifications alone are accepted with 202 and handed over', async () => {
    const seen: string[] = [];
    h.play.current = (_t, m) => void seen.push((m as { method: string }).method);
    const r = await post(h, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(r.status, 202);
    assert.equal(await r.text(), '');
    assert.deepEqual(seen, ['notifications/initialized']);
  });

  test('the SDK\'s checks, with its statuses and JSON-RPC errors', async () => {
    h.play.current = answer;
    const ping = { jsonrpc: '2.0', id: 9, method: 'ping' };
    const cases: Array<[string, () => Promise<Response>, number, number]> = [
      ['Accept without text/event-stream', () => post(h, ping, { accept: 'application/json' }), 406, -32000],
      ['a Content-Type that is not JSON', () => post(h, ping, { 'content-type': 'text/plain' }), 415, -32000],
      ['a batch of 101', () => post(h, Array.from({ length: 101 }, (_, i) => ({ ...ping, id: i }))), 400, -32600],
      ['not a JSON-RPC message', () => post(h, { hello: 'world' }), 400, -32700],
      ['a second initialize', () => post(h, init), 400, -32600],
      ['no session id', () => fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: JSON_AND_SSE }, body: JSON.stringify(ping) }), 400, -32000],
      ['another session id', () => post(h, ping, { 'mcp-session-id': 'session-2' }), 404, -32001],
      ['an unsupported protocol version', () => post(h, ping, { 'mcp-protocol-version': '1999-01-01' }), 400, -32000],
      ['PUT', () => fetch(h.url, { method: 'PUT', headers: { 'mcp-session-id': 'session-1' } }), 405, -32000],
      ['a GET without text/event-stream', () => fetch(h.url, { headers: { accept: 'application/json', 'mcp-session-id': 'session-1' } }), 406, -32000],
    ];
    for (const [what, send, status, code] of cases) {
      const r = await send();
      assert.equal(r.status, status, what);
      assert.equal(((await r.json()) as { error: { code: number } }).error.code, code, what);
    }
    assert.ok(h.errors.length >= cases.length - 1, h.errors.join(' | '));
  });

  test('a GET opens the session\'s event stream, one at a time, and messages with no request go there', async () => {
    const controller = new AbortController();
    const r = await fetch(h.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'session-1' }, signal: controller.signal });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const second = await fetch(h.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'session-1' } });
    assert.equal(second.status, 409);
    await h.transport.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', data: 'hello' } });
    const reader = r.body!.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /^event: message\ndata: \{"jsonrpc":"2.0","method":"notifications\/message"/);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });

  test('a client that leaves before its answer: what is sent for its request has nowhere to go, and says so', async () => {
    let asked: JSONRPCMessage | undefined;
    h.play.current = (_t, m) => void (asked = m);
    const gone = post(h, { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'x' } }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(asked);
    // The client's socket, cut from the server's side: the answer's response closes unfinished.
    h.server.closeAllConnections();
    await gone;
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(h.transport.send({ jsonrpc: '2.0', id: 11, result: {} }), /No connection established for request ID: 11/);
  });
});

describe('closing a session', () => {
  test('DELETE ends it: onsessionclosed, 200, then 404; an answer still owed is refused with 503', async () => {
    const h = await harness();
    try {
      await (await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: JSON_AND_SSE }, body: JSON.stringify(init) })).text();
      h.play.current = () => undefined; // never answers
      const owed = post(h, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'x' } });
      await new Promise((r) => setTimeout(r, 50));
      let closedSeen = false;
      h.transport.onclose = () => void (closedSeen = true);
      const del = await fetch(h.url, { method: 'DELETE', headers: { 'mcp-session-id': 'session-1' } });
      assert.equal(del.status, 200);
      assert.deepEqual(h.closed, ['session-1']);
      assert.equal(closedSeen, true);
      const r = await owed;
      assert.equal(r.status, 503);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, /closed before the request was answered/);
      assert.equal((await post(h, { jsonrpc: '2.0', id: 6, method: 'ping' })).status, 404);
      // Sending after close is no error: the SDK's Protocol may still answer a request that ran.
      await h.transport.send({ jsonrpc: '2.0', id: 5, result: {} });
    } finally {
      await new Promise<void>((resolve) => h.server.close(() => resolve()));
    }
  });

  test('before initialize, a request is 400: the server is not initialized', async () => {
    const h = await harness();
    try {
      const r = await post(h, { jsonrpc: '2.0', id: 1, method: 'ping' });
      assert.equal(r.status, 400);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, /not initialized/);
    } finally {
      await new Promise<void>((resolve) => h.server.close(() => resolve()));
    }
  });
});
