// The cursor of pm2_tail_logs: where the last tail stopped in each log file, handed to the client
// as an opaque string and handed back by it to continue.
//
// The cursor is client input. It never names a file to read: a position is looked up by the
// digest of a path the request resolved itself (the process's stored log files), so a cursor
// made for another file, or forged, positions nothing it was not made for; its identity (dev,
// ino) only picks, among the rotated copies the server found next to that file, the one the
// position is in. An offset is just a number: past the end it reads as a truncation, before it
// a re-read of a file the policy lets the client tail anyway, bounded per call like any tail.
// `before` (a digest of the bytes just before the offset) tells a file emptied and written again
// past the offset from the same file grown.
import { createHash } from 'node:crypto';
import * as z from 'zod';

export interface FilePosition {
  /** The file the offset is in: the log file itself, or its rotated copy while the tail is still inside it. */
  dev: number;
  ino: number;
  /** Bytes of that file already returned (or skipped as not matching a grep). */
  offset: number;
  /** Digest of the BEFORE_BYTES bytes just before `offset` ("" at 0). */
  before: string;
  /** The line at `offset` was cut at the byte bound and shown: its rest is skipped, not shown again. */
  midLine: boolean;
}

export interface TailCursor {
  /** When the cursor was made (ms since the epoch): rotated copies older than it hold nothing new. */
  madeAt: number;
  /** Keyed by pathKey(path). */
  positions: Map<string, FilePosition>;
}

/** How many bytes before an offset its digest covers. */
export const BEFORE_BYTES = 64;
export const CURSOR_MAX_LENGTH = 8192;
const MAX_FILES = 128;
const VERSION = 1;

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

/** A short digest of a path: the cursor carries no path in clear, and stays small. */
export function pathKey(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 16);
}

export function digestBefore(bytes: Buffer): string {
  return bytes.length === 0 ? '' : createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const wire = z.strictObject({
  v: z.literal(VERSION),
  t: count,
  f: z.array(z.tuple([z.string().regex(/^[A-Za-z0-9_-]{16}$/), count, count, count, z.string().regex(/^(?:[A-Za-z0-9_-]{16})?$/), z.union([z.literal(0), z.literal(1)])])).max(MAX_FILES),
});

export function encodeCursor(cursor: TailCursor): string {
  const f = [...cursor.positions].slice(0, MAX_FILES).map(([key, p]) => [key, p.dev, p.ino, p.offset, p.before, p.midLine ? 1 : 0]);
  return Buffer.from(JSON.stringify({ v: VERSION, t: cursor.madeAt, f })).toString('base64url');
}

export function decodeCursor(text: string): TailCursor {
  const refuse = (why: string) => new CursorError(`cursor: not a cursor pm2_tail_logs made (${why}); call without one to start again`);
  if (text.length > CURSOR_MAX_LENGTH) throw refuse(`over ${CURSOR_MAX_LENGTH} characters`);
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw refuse('not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not JSON');
  }
  const parsed = wire.safeParse(json);
  if (!parsed.success) throw refuse('malformed');
  const positions = new Map<string, FilePosition>();
  for (const [key, dev, ino, offset, before, midLine] of parsed.data.f) {
    if ((offset === 0) !== (before === '')) throw refuse('malformed');
    positions.set(key, { dev, ino, offset, before, midLine: midLine === 1 });
  }
  return { madeAt: parsed.data.t, positions };
}
