// MCP over stdin/stdout as JSON-RPC 2.0 asks it to be answered: one message a line; a line that
// is not JSON gets a parse error (-32700), one that is not a JSON-RPC message an invalid request
// (-32600, with its id when it has one), a batch likewise (MCP 2025-11-25 has none), and a line
// longer than the bound is answered with an error and skipped, the session going on. The SDK's
// own stdio transport drops the first three without a word and closes on the fourth.
import type { Readable, Writable } from 'node:stream';
import type { Transport as SdkTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** A line longer than this is refused (a start's arguments are bounded far below it). */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

type Id = string | number | null;

export class JsonLinesTransport implements SdkTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Skipping the rest of a line that passed the bound, up to its newline. */
  private skipping = false;
  private closed = false;
  /** While stdout is backed up: one wait for its drain, shared by every send, and stdin paused. */
  private drained: Promise<void> | undefined;

  constructor(private readonly input: Readable, private readonly output: Writable, private readonly maxLineBytes = MAX_LINE_BYTES) {}

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onInputError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const line = `${JSON.stringify(message)}\n`;
    if (this.output.write(line)) return this.drained;
    // Backpressure: a client that writes faster than it reads (a flood of bad lines, each
    // answered) is not read from until stdout drains, so replies never pile up in memory.
    this.drained ??= new Promise<void>((resolve) => {
      this.input.pause();
      this.output.once('drain', () => {
        this.drained = undefined;
        if (!this.closed) this.input.resume();
        resolve();
      });
    });
    return this.drained;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onInputError);
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.chunks = [];
    this.onclose?.();
  }

  private readonly onInputError = (err: Error) => this.onerror?.(err);

  /** Input not yet looked at because stdout was backed up: taken up again once it drains. */
  private held: Buffer | undefined;

  private readonly onData = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.feed(this.held ? Buffer.concat([this.held, data]) : data);
  };

  private feed(input: Buffer): void {
    this.held = undefined;
    let data = input;
    while (data.length > 0) {
      if (this.drained) {
        // Replies are backed up: the rest of this chunk waits for the drain (stdin is paused).
        this.held = data;
        void this.drained.then(() => {
          const rest = this.held;
          if (rest && !this.closed) this.feed(rest);
        });
        return;
      }
      const newline = data.indexOf(0x0a);
      const part = newline === -1 ? data : data.subarray(0, newline);
      if (!this.skipping) {
        this.size += part.length;
        if (this.size > this.maxLineBytes) {
          this.chunks = [];
          this.size = 0;
          this.skipping = true;
          this.reply(null, ErrorCode.InvalidRequest, `Invalid Request: a message longer than ${this.maxLineBytes} bytes; it was skipped`);
        } else this.chunks.push(part);
      }
      if (newline === -1) return;
      data = data.subarray(newline + 1);
      if (this.skipping) this.skipping = false;
      else this.line(Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, ''));
      this.chunks = [];
      this.size = 0;
    }
  }

  private line(text: string): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.reply(null, ErrorCode.ParseError, 'Parse error: the line is not JSON');
    }
    if (Array.isArray(value)) return this.reply(null, ErrorCode.InvalidRequest, 'Invalid Request: batches are not part of MCP 2025-11-25; send one message a line');
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) return this.reply(idOf(value), ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
    this.onmessage?.(parsed.data);
  }

  private reply(id: Id, code: number, message: string): void {
    this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage).catch((err: unknown) => this.onerror?.(err as Error));
  }
}

/** The id of something that tried to be a request, when it has a usable one. */
function idOf(value: unknown): Id {
  const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}
