// One MCP session over Streamable HTTP, on node:http's own request and response. The SDK's
// StreamableHTTPServerTransport turns every request into a web Request and every answer into a
// web Response (and an SSE stream) through @hono/node-server: with many agents on one server,
// about a fifth of the server's CPU, and reading the SSE a good part of each client's.
//
// A POST of requests is answered with application/json unless something has to reach the client
// before the answer: a message the server sends for one of those requests (a progress
// notification), or nothing at all for keepAliveMs (a long wait, which intermediaries would take
// for a dead connection). Either turns that answer into an event stream (text/event-stream) at
// once, which then carries those messages, keep-alive comments and the answer, as the SDK's
// transport does for every request. MCP lets the server choose either per request, and a client
// must take both. A GET opens the session's own event stream (one at a time); DELETE ends it.
// Checks, status codes and JSON-RPC errors are the SDK's (its web-standard transport, in that
// order); there is no event store (no resumption), as there was none with the SDK's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport as SdkTransport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS, isInitializeRequest, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse,
  type JSONRPCMessage, type MessageExtraInfo, type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export interface HttpSessionOptions {
  sessionIdGenerator: () => string;
  onsessioninitialized: (sessionId: string) => void;
  onsessionclosed: (sessionId: string) => void;
  /** Quiet this long, an answer becomes an event stream and gets a comment this often (default 15 s, the SDK's). */
  keepAliveMs?: number;
}

/** The SDK's bound on the messages of one batch. */
const MAX_BATCH_SIZE = 100;
const KEEP_ALIVE_MS = 15_000;
const STREAM_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };

/** The answer to one POST that holds requests. */
interface Answer {
  res: ServerResponse;
  ids: RequestId[];
  responses: Map<RequestId, JSONRPCMessage>;
  /** Its headers went out as text/event-stream: each message is written as it comes. */
  streaming: boolean;
  ended: boolean;
  /** Until streaming: when to become a stream; then: the keep-alive comments. */
  timer: NodeJS.Timeout | undefined;
}

interface EventStream {
  res: ServerResponse;
  timer: NodeJS.Timeout | undefined;
}

export class HttpSessionTransport implements SdkTransport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private started = false;
  private initialized = false;
  private closed = false;
  /** Each request id still to be answered, to the answer of its POST. */
  private readonly answers = new Map<RequestId, Answer>();
  private standalone: EventStream | undefined;
  private readonly keepAliveMs: number;

  constructor(private readonly options: HttpSessionOptions) {
    this.keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
  }

  /** Resolves once the response is over: a POST's answer written, a GET's stream ended, or the client gone. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (this.closed) return this.refuse(res, 404, -32001, 'Session not found');
    switch (req.method) {
      case 'POST':
        return this.post(req, res, body);
      case 'GET':
        return this.get(req, res);
      case 'DELETE':
        return this.delete(req, res);
      default:
        this.onerror?.(new Error('Method not allowed.'));
        return this.refuse(res, 405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    const response = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const requestId = response ? message.id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (response) throw new Error('Cannot send a response on a standalone SSE stream unless resuming a previous client request');
      // With no stream open, the message has nowhere to go (no event store keeps it).
      if (this.standalone) writeEvent(this.standalone.res, message);
      return;
    }
    const answer = this.answers.get(requestId);
    if (!answer) throw new Error(`No connection established for request ID: ${String(requestId)}`);
    if (!response) {
      this.stream(answer);
      writeEvent(answer.res, message);
      return;
    }
    answer.responses.set(requestId, message);
    if (answer.streaming) writeEvent(answer.res, message);
    if (answer.ids.every((id) => answer.responses.has(id))) this.finish(answer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.standalone) endStream(this.standalone);
    this.standalone = undefined;
    for (const answer of new Set(this.answers.values())) {
      answer.ended = true;
      clearTimeout(answer.timer);
      // A stream ends without its answer, as the SDK's did; an answer not begun says why.
      if (answer.streaming) answer.res.end();
      else this.refuse(answer.res, 503, -32000, 'The session closed before the request was answered');
    }
    this.answers.clear();
    this.onclose?.();
  }

  private async post(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const accept = header(req, 'accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return this.invalid(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (!isJsonContentType(header(req, 'content-type'))) return this.invalid(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    if (Array.isArray(body) && body.length > MAX_BATCH_SIZE) return this.invalid(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
    let messages: JSONRPCMessage[];
    try {
      messages = (Array.isArray(body) ? body : [body]).map((m) => JSONRPCMessageSchema.parse(m));
    } catch {
      return this.invalid(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
    }
    if (messages.some(isInitializeRequest)) {
      if (this.initialized && this.sessionId !== undefined) return this.invalid(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return this.invalid(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.sessionId = this.options.sessionIdGenerator();
      this.initialized = true;
      this.options.onsessioninitialized(this.sessionId);
    } else if (!this.sessionValid(req, res) || !this.versionValid(req, res)) {
      return;
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    const ids = messages.filter(isJSONRPCRequest).map((m) => m.id);
    if (ids.length === 0) {
      // Only notifications and responses: nothing to answer.
      for (const message of messages) this.onmessage?.(message, extra);
      res.writeHead(202).end();
      return;
    }
    const answer: Answer = { res, ids, responses: new Map(), streaming: false, ended: false, timer: undefined };
    for (const id of ids) this.answers.set(id, answer);
    answer.timer = setTimeout(() => this.stream(answer, true), this.keepAliveMs).unref();
    const over = new Promise<void>((resolve) => res.once('close', () => {
      // The client left before its answer: what the server still sends for it has nowhere to go.
      if (!answer.ended) this.forget(answer);
      resolve();
    }));
    for (const message of messages) this.onmessage?.(message, extra);
    return over;
  }

  private get(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    if (!(header(req, 'accept') ?? '').includes('text/event-stream')) return this.invalid(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    if (!this.sessionValid(req, res) || !this.versionValid(req, res)) return;
    if (this.standalone) return this.invalid(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    res.writeHead(200, this.withSession(STREAM_HEADERS));
    res.flushHeaders();
    const stream: EventStream = { res, timer: setInterval(() => write(res, KEEP_ALIVE), this.keepAliveMs).unref() };
    this.standalone = stream;
    return new Promise<void>((resolve) => res.once('close', () => {
      clearInterval(stream.timer);
      if (this.standalone === stream) this.standalone = undefined;
      resolve();
    }));
  }

  private async delete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.sessionValid(req, res) || !this.versionValid(req, res)) return;
    try {
      this.options.onsessionclosed(this.sessionId!);
    } finally {
      await this.close();
    }
    res.writeHead(200).end();
  }

  /** The answer's headers go out as an event stream, if they have not yet. */
  private stream(answer: Answer, quiet = false): void {
    if (answer.streaming || answer.ended) return;
    clearTimeout(answer.timer);
    answer.streaming = true;
    answer.res.writeHead(200, this.withSession(STREAM_HEADERS));
    if (quiet) write(answer.res, KEEP_ALIVE);
    answer.timer = setInterval(() => write(answer.res, KEEP_ALIVE), this.keepAliveMs).unref();
  }

  private finish(answer: Answer): void {
    this.forget(answer);
    if (answer.streaming) {
      answer.res.end();
      return;
    }
    const responses = answer.ids.map((id) => answer.responses.get(id));
    answer.res.writeHead(200, this.withSession({ 'Content-Type': 'application/json' }));
    answer.res.end(JSON.stringify(responses.length === 1 ? responses[0] : responses));
  }

  private forget(answer: Answer): void {
    answer.ended = true;
    clearTimeout(answer.timer);
    for (const id of answer.ids) if (this.answers.get(id) === answer) this.answers.delete(id);
  }

  private sessionValid(req: IncomingMessage, res: ServerResponse): boolean {
    const id = header(req, 'mcp-session-id');
    const problem = !this.initialized
      ? ([400, -32000, 'Bad Request: Server not initialized'] as const)
      : !id
        ? ([400, -32000, 'Bad Request: Mcp-Session-Id header is required'] as const)
        : id !== this.sessionId
          ? ([404, -32001, 'Session not found'] as const)
          : undefined;
    if (problem) this.invalid(res, problem[0], problem[1], problem[2]);
    return problem === undefined;
  }

  /** A version the client names must be one the SDK speaks; without the header, the negotiated one holds. */
  private versionValid(req: IncomingMessage, res: ServerResponse): boolean {
    const version = header(req, 'mcp-protocol-version');
    if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return true;
    this.invalid(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    return false;
  }

  private withSession<T extends Record<string, string>>(headers: T): T & { 'mcp-session-id'?: string } {
    return this.sessionId === undefined ? headers : { ...headers, 'mcp-session-id': this.sessionId };
  }

  /** A request the transport refuses: said to onerror, as the SDK's transport does, and answered. */
  private invalid(res: ServerResponse, status: number, code: number, message: string): void {
    this.onerror?.(new Error(message));
    this.refuse(res, status, code, message);
  }

  private refuse(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  }
}

const KEEP_ALIVE = ': keepalive\n\n';

function writeEvent(res: ServerResponse, message: JSONRPCMessage): void {
  write(res, `event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

/** A stream whose client has gone takes nothing more (a write after the end would be an error event). */
function write(res: ServerResponse, text: string): void {
  if (!res.writableEnded && !res.destroyed) res.write(text);
}

function endStream(stream: EventStream): void {
  clearInterval(stream.timer);
  stream.res.end();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
