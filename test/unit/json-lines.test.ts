// The stdio line transport: JSON-RPC 2.0 answers for what is not a message, and backpressure, so a
// client that floods bad lines and reads slowly cannot make the server hold its replies in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { JsonLinesTransport } from '../../src/transport/json-lines.js';

/** A stdout that takes writes into its buffer but drains only when told to. */
class SlowReader extends Writable {
  received: string[] = [];
  private pending: Array<() => void> = [];
  constructor() {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received.push(chunk.toString());
    this.pending.push(done);
  }
  release(): void {
    const all = this.pending;
    this.pending = [];
    for (const done of all) done();
  }
}

test('a flood of bad lines while stdout is backed up: stdin is paused and the replies stay bounded', async () => {
  const input = new PassThrough();
  const output = new SlowReader();
  const transport = new JsonLinesTransport(input, output);
  await transport.start();
  input.write('x\n'.repeat(200_000));
  await new Promise((r) => setImmediate(r));
  // Nothing drained yet: only what fits before the output's buffer filled was answered.
  assert.ok(output.writableLength < 64 * 1024, `${output.writableLength} bytes of replies held in memory`);
  assert.equal(input.isPaused(), true, 'stdin is paused while replies are backed up');
  let maxHeld = 0;
  for (let i = 0; i < 400_000; i++) {
    output.release();
    await new Promise((r) => setImmediate(r));
    maxHeld = Math.max(maxHeld, output.writableLength);
    if (!input.isPaused() && output.writableLength === 0 && input.readableLength === 0) break;
  }
  assert.ok(maxHeld < 64 * 1024, `${maxHeld} bytes of replies held at most`);
  const answered = output.received.join('').split('\n').filter(Boolean).length;
  assert.equal(answered, 200_000, 'every line is answered in the end');
  const first = JSON.parse(output.received.join('').split('\n')[0]!) as { id: unknown; error: { code: number } };
  assert.deepEqual([first.id, first.error.code], [null, -32700]);
  await transport.close();
});

test('messages come through whole, across chunks and with CRLF', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new JsonLinesTransport(input, output);
  const got: unknown[] = [];
  transport.onmessage = (m) => got.push(m);
  await transport.start();
  const line = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
  input.write(line.slice(0, 10));
  input.write(`${line.slice(10)}\r\n`);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
  await transport.close();
});
