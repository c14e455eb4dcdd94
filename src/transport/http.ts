// Stateful Streamable HTTP: many concurrent clients, each session its own MCP server state, one
// shared pm2 connection (the session factory closes over it). Every request passes the Host,
// Origin and token checks first; bodies, sessions and connections are bounded. A session ends by
// DELETE, by being idle for sessionIdleMs, or, when its client is gone (its event stream ended,
// or it is quiet while a new session needs its place), after sessionReclaimMs. A session's
// messages go through http-session.ts: JSON answers, an event stream where one is needed.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { ConnectionCap } from './http-connections.js';
import { hostAllowed, originAllowed } from './http-guard.js';
import { HttpSessionTransport } from './http-session.js';
import type { Authenticate, Caller, SessionFactory, Transport } from './types.js';

export interface HttpSettings {
  host: string;
  port: number;
  path: string;
  /** Who a request's Authorization header names, or "none" (--no-auth, loopback only). */
  auth: Authenticate | 'none';
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  sessionIdleMs: number;
  maxSessions: number;
  /**
   * A session with nothing open (no request, no stream) and quiet this long is taken as its
   * client gone: closed once its event stream has ended, or when a new session needs its place.
   */
  sessionReclaimMs: number;
  /** The most open connections (http-connections.ts says which one makes room past it). */
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** After the server's drain, how long shutdown still waits for requests being answered (their replies written). */
  drainMs: number;
}

interface Session {
  transport: HttpSessionTransport;
  server: Server;
  principal: string;
  lastSeen: number;
  /** Requests of this session being answered, its event stream (GET) included: a session is never idle while one runs. */
  busy: number;
  /** Its last event stream ended and none replaced it: a client that listened has stopped. */
  streamEnded: boolean;
}

const ANONYMOUS: Caller = { principal: 'anonymous' };

export class HttpTransport implements Transport {
  /** A listener serves until it is stopped. */
  readonly ended = new Promise<string>(() => undefined);
  private readonly sessions = new Map<string, Session>();
  private pending = 0; // sessions being initialized, counted against maxSessions
  private inFlight = 0; // POST requests being answered
  private readonly http: NodeHttpServer;
  private readonly connections: ConnectionCap;
  private acceptErrorLoggedAt = 0;
  private makeSession: SessionFactory = () => {
    throw new Error('the HTTP transport is not started');
  };
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly settings: HttpSettings, private readonly log: (line: string) => void) {
    // Timeouts are checked every 2 s rather than Node's 30 s: a socket that sends no request head
    // is closed about headersTimeoutMs after it opened, not up to half a minute later.
    this.http = createServer({ connectionsCheckingInterval: 2_000 }, (req, res) => {
      if (this.connections.begin(req, res)) void this.handle(req, res).catch((err) => this.fail(res, err));
    });
    this.connections = new ConnectionCap(this.http, settings.maxConnections, log);
    this.http.headersTimeout = settings.headersTimeoutMs;
    this.http.requestTimeout = settings.requestTimeoutMs;
    this.http.keepAliveTimeout = settings.keepAliveTimeoutMs;
    this.http.maxRequestsPerSocket = 1000;
  }

  async start(sessions: SessionFactory): Promise<void> {
    this.makeSession = sessions;
    this.http.listen(this.settings.port, this.settings.host);
    // Rejects with the listen error (EADDRINUSE, EACCES) instead.
    await once(this.http, 'listening');
    // Past listen, an error is one accept() failed (EMFILE): said, never fatal to the server.
    this.http.on('error', (err) => this.acceptFailed(err));
    const every = Math.max(250, Math.min(this.settings.sessionIdleMs / 2, this.settings.sessionReclaimMs / 2, 30_000));
    this.sweeper = setInterval(() => void this.expireIdle(), every);
    this.sweeper.unref();
  }

  /** Where it listens (port 0 becomes the port the system chose), once started. */
  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  /** Stop accepting, let calls in flight finish (bounded), close every session. */
  async stop(why: string, drain: () => Promise<void>): Promise<void> {
    if (this.closing) return;
    this.log(`${why}: finishing the calls in flight, closing ${this.sessions.size} session(s)`);
    this.closing = true;
    clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    // Every tool call ends here, run to its end or answered as abandoned: then their replies go out.
    await drain();
    const drained = AbortSignal.timeout(this.settings.drainMs);
    while (this.inFlight > 0 && !drained.aborted) await sleep(25);
    await Promise.allSettled([...this.sessions.values()].map((s) => this.closeSession(s)));
    this.http.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.settings.path) return this.reply(res, 404, 'Not found');
    if (!hostAllowed(req.headers.host, this.settings.allowedHosts)) return this.reply(res, 403, 'Forbidden: Host not allowed');
    if (!originAllowed(header(req, 'origin'), this.settings.allowedOrigins)) return this.reply(res, 403, 'Forbidden: Origin not allowed');
    if (this.closing) return this.reply(res, 503, 'Shutting down', { 'Retry-After': '5', Connection: 'close' });

    const caller = this.settings.auth === 'none' ? ANONYMOUS : this.settings.auth(header(req, 'authorization'));
    if (!caller) return this.reply(res, 401, 'Unauthorized: a valid bearer token is required', { 'WWW-Authenticate': 'Bearer realm="pm2-mcp"' });
    const principal = caller.principal;
    this.connections.authenticated(req.socket);

    const post = req.method === 'POST';
    if (post) this.inFlight++;
    try {
      const body = post ? await this.readJson(req, res) : undefined;
      if (body === INVALID) return;
      const sessionId = header(req, 'mcp-session-id');
      if (sessionId !== undefined) {
        const session = this.sessions.get(sessionId);
        // Another principal's session id is as unknown to this caller as a made-up one.
        if (!session || session.principal !== principal) return this.rpcError(res, 404, -32001, 'Session not found');
        session.lastSeen = Date.now();
        session.busy++;
        // A request after its stream ended says the client is there, listening or not.
        if (req.method !== 'GET') session.streamEnded = false;
        try {
          // A GET is the session's event stream: handleRequest returns when it ends.
          await session.transport.handleRequest(req, res, body);
        } finally {
          session.busy--;
          session.lastSeen = Date.now();
          if (req.method === 'GET' && res.statusCode === 200) session.streamEnded = true;
        }
        return;
      }
      if (!post || !isInitializeRequest(body)) return this.rpcError(res, 400, -32000, 'Bad Request: no valid session id; send initialize first');
      if (this.sessions.size + this.pending >= this.settings.maxSessions && !this.reclaimOne()) {
        // A quiet session is reclaimed after sessionReclaimMs: that is when to try again, at most 30 s.
        return this.reply(res, 503, `Too many sessions (at most ${this.settings.maxSessions})`, { 'Retry-After': String(Math.max(1, Math.min(30, seconds(this.settings.sessionReclaimMs)))) });
      }
      await this.startSession(req, res, body, caller);
    } finally {
      if (post) this.inFlight--;
    }
  }

  private async startSession(req: IncomingMessage, res: ServerResponse, body: unknown, caller: Caller): Promise<void> {
    this.pending++;
    let counted = true;
    const uncount = () => {
      if (counted) this.pending--;
      counted = false;
    };
    const server = this.makeSession(caller);
    const transport: HttpSessionTransport = new HttpSessionTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        uncount();
        this.sessions.set(id, { transport, server, principal: caller.principal, lastSeen: Date.now(), busy: 0, streamEnded: false });
      },
      onsessionclosed: (id) => void this.forget(id),
    });
    // However the transport closes (DELETE, expiry, reclaim, shutdown, or from inside the SDK),
    // its session leaves the map and its MCP server is closed: no slot outlives its transport.
    transport.onclose = () => {
      uncount();
      const id = transport.sessionId;
      if (id !== undefined && this.sessions.get(id)?.transport === transport) this.sessions.delete(id);
      void server.close().catch(() => undefined);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      uncount();
    }
  }

  private forget(id: string): void {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    if (session) void session.server.close().catch(() => undefined);
  }

  private async closeSession(session: Session): Promise<void> {
    if (session.transport.sessionId) this.sessions.delete(session.transport.sessionId);
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }

  private async expireIdle(): Promise<void> {
    const now = Date.now();
    const cutoff = now - this.settings.sessionIdleMs;
    const idle = [...this.sessions.values()].filter((s) => s.busy === 0 && s.lastSeen < cutoff);
    for (const s of idle) this.log(`session of ${s.principal} expired after ${Math.round(this.settings.sessionIdleMs / 1000)} s idle`);
    // A client whose event stream ended and that came back for none of this time is gone (one
    // that lost its stream reconnects within seconds).
    const gone = [...this.sessions.values()].filter((s) => !idle.includes(s) && s.streamEnded && this.quiet(s, now));
    for (const s of gone) this.log(`session of ${s.principal} closed: its event stream ended and nothing came for ${seconds(now - s.lastSeen)} s (the client is gone)`);
    await Promise.allSettled([...idle, ...gone].map((s) => this.closeSession(s)));
  }

  /** Nothing open and nothing heard for sessionReclaimMs. */
  private quiet(s: Session, now: number): boolean {
    return s.busy === 0 && now - s.lastSeen >= this.settings.sessionReclaimMs;
  }

  /**
   * At maxSessions, a new session takes the place of the one quiet the longest, if any is quiet
   * (a dead client's session otherwise holds its slot for sessionIdleMs). Synchronous: the slot
   * is free before any other initialize can count.
   */
  private reclaimOne(): boolean {
    const now = Date.now();
    let oldest: Session | undefined;
    for (const s of this.sessions.values()) if (this.quiet(s, now) && (!oldest || s.lastSeen < oldest.lastSeen)) oldest = s;
    if (!oldest) return false;
    this.log(`session of ${oldest.principal} reclaimed for a new one at maxSessions (${this.settings.maxSessions}): nothing open and quiet for ${seconds(now - oldest.lastSeen)} s`);
    void this.closeSession(oldest);
    return true;
  }

  /** At most once a minute: a descriptor shortage repeats with every connection attempt. */
  private acceptFailed(err: Error): void {
    const now = Date.now();
    if (now - this.acceptErrorLoggedAt < 60_000) return;
    this.acceptErrorLoggedAt = now;
    this.log(`a connection could not be accepted: ${err.message} (http.maxConnections is ${this.settings.maxConnections})`);
  }

  /** The JSON body, bounded: 413 past maxBodyBytes, 400 for JSON that does not parse. */
  private async readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const limit = this.settings.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? NaN);
    const body = Number.isFinite(declared) && declared > limit ? undefined : await readBounded(req, limit);
    if (body === undefined) {
      // Answer first, then drain what the client still sends (bounded in time): closing the
      // socket under an unread body makes the client see a reset instead of the 413.
      this.reply(res, 413, `Request body larger than ${limit} bytes`);
      drainThenDrop(req);
      return INVALID;
    }
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      this.rpcError(res, 400, -32700, 'Parse error: the body is not JSON');
      return INVALID;
    }
  }

  private reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${message}\n`);
  }

  private rpcError(res: ServerResponse, status: number, code: number, message: string): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  }

  private fail(res: ServerResponse, err: unknown): void {
    // A socket closed under a request (the client left, or the cap made room) is no failure to report.
    const aborted = (err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted';
    if (!aborted) this.log(`request failed: ${(err as Error).message}`);
    if (!res.headersSent) this.rpcError(res, 500, -32603, 'Internal error');
    else res.end();
  }
}

const INVALID = Symbol('invalid body');
const seconds = (ms: number): number => Math.round(ms / 1000);
const DRAIN_MS = 5_000;

/** The body, or undefined as soon as it passes `limit` (the rest is left unread, the request open). */
async function readBounded(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early must not destroy the request: the 413 is still to be sent on it.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function drainThenDrop(req: IncomingMessage): void {
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
