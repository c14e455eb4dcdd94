// The cap on the HTTP server's open connections (http.maxConnections). Every accepted socket holds
// a file descriptor, and descriptors are shared with the pm2 socket, the audit log and log files:
// a flood of idle sockets must not take the ones a token holder's calls need (EMFILE). Node's own
// net.Server#maxConnections would refuse the newest socket silently, so the first idle sockets of
// a flood would keep the slots and a token holder could never connect. Here a new connection past
// the cap makes room instead, closing the connection that matters least, oldest first:
//   1. one open for a second or more without a complete request head (a silent or slow opener:
//      what a flood is; a client sends its request within milliseconds of connecting);
//   2. an idle keep-alive connection that never carried an authenticated request;
//   3. any idle keep-alive connection (its client opens a new one for its next request);
//   4. one just opened that has not sent its request head yet (a burst of new connections).
// A connection answering a request (an event stream included) is never closed for room. When
// every one is, the newcomer is answered 503 at once, without reading what it sent, and closed.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Connection {
  openedAt: number;
  /** Requests whose head arrived on it: 0 for a socket that has sent no complete request. */
  requests: number;
  /** Responses not yet finished. */
  active: number;
  /** When its last response finished (or it opened). */
  idleSince: number;
  /** Has a request on it passed the token check? */
  authenticated: boolean;
}

/** Refused sockets being closed at once: past this many, the next is cut without an answer. */
const REFUSING_MAX = 32;
/** How long a refused socket may take to read its 503 before it is cut. */
const REFUSE_LINGER_MS = 1_000;
const REPORT_EVERY_MS = 60_000;
/** Silent this long, a connection is taken for a flood's rather than a client about to speak. */
const SILENT_MS = 1_000;

export class ConnectionCap {
  /** In the order they opened: the first match of a walk is the oldest. */
  private readonly open = new Map<Socket, Connection>();
  private readonly refusing = new Set<Socket>();
  private closedForRoom = 0;
  private refused = 0;
  private reportedAt = 0;

  constructor(server: Server, private readonly max: number, private readonly log: (line: string) => void) {
    // Registered after node:http's own listener: the socket already has its parser.
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** How many connections are open and counted (refused ones being closed are not). */
  get size(): number {
    return this.open.size;
  }

  /** A request's head arrived: false when its socket was refused (its 503 is already written). */
  begin(req: IncomingMessage, res: ServerResponse): boolean {
    const connection = this.open.get(req.socket);
    if (!connection) return !this.refusing.has(req.socket);
    connection.requests++;
    connection.active++;
    res.once('close', () => {
      connection.active--;
      connection.idleSince = Date.now();
    });
    return true;
  }

  /** A request on this socket passed the token check: its connection is kept over anonymous ones. */
  authenticated(socket: Socket): void {
    const connection = this.open.get(socket);
    if (connection) connection.authenticated = true;
  }

  private admit(socket: Socket): void {
    const victim = this.open.size >= this.max ? this.leastNeeded() : undefined;
    if (this.open.size >= this.max && !victim) return this.refuse(socket);
    if (victim) {
      this.open.delete(victim);
      victim.destroy();
      this.closedForRoom++;
      this.report();
    }
    const now = Date.now();
    this.open.set(socket, { openedAt: now, requests: 0, active: 0, idleSince: now, authenticated: false });
    socket.once('close', () => this.open.delete(socket));
  }

  /** The connection to close for room, by the order above; undefined when all are answering. */
  private leastNeeded(): Socket | undefined {
    const silentSince = Date.now() - SILENT_MS;
    let anonymous: [Socket, Connection] | undefined;
    let known: [Socket, Connection] | undefined;
    let fresh: Socket | undefined;
    for (const entry of this.open) {
      const [socket, c] = entry;
      if (c.requests === 0) {
        // The map is in opening order: the first silent one is the oldest.
        if (c.openedAt <= silentSince) return socket;
        fresh ??= socket;
      } else if (c.active === 0) {
        if (!c.authenticated) {
          if (!anonymous || c.idleSince < anonymous[1].idleSince) anonymous = entry;
        } else if (!known || c.idleSince < known[1].idleSince) known = entry;
      }
    }
    return (anonymous ?? known)?.[0] ?? fresh;
  }

  private refuse(socket: Socket): void {
    this.refused++;
    this.report();
    socket.on('error', () => undefined);
    if (this.refusing.size >= REFUSING_MAX) {
      socket.destroy();
      return;
    }
    this.refusing.add(socket);
    const cut = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
    cut.unref();
    socket.once('close', () => {
      clearTimeout(cut);
      this.refusing.delete(socket);
    });
    const body = `Too many connections (at most ${this.max})\n`;
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  /** Once when the cap is first met, then at most once a minute: a flood must not flood stderr too. */
  private report(): void {
    const now = Date.now();
    if (now - this.reportedAt < REPORT_EVERY_MS) return;
    const since = this.reportedAt === 0 ? '' : ' in the last minute';
    this.log(`at http.maxConnections (${this.max}): ${this.closedForRoom} idle connection(s) closed for room, ${this.refused} refused with 503${since}`);
    this.reportedAt = now;
    this.closedForRoom = 0;
    this.refused = 0;
  }
}
