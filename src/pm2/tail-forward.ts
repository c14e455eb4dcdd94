// Reading a log file forward from a cursor's position: the lines written since, oldest first.
//
// The cost is bounded per call by the lines asked and a byte budget (the backward tail's, or
// GREP_SCAN_BYTES with a grep), never by how much was written since the cursor: what the budget
// does not reach is left for the next call, and the reply says more is waiting. The file is
// opened as tail.ts opens it (openLogFile: no link, a regular file, the identity resolve saw,
// docs/threat-model.md §T15).
//
// A line is returned once its "\n" is written: a last line still being written is left for the
// next call (unless it is already over the line bound, then it is shown cut and its rest is
// skipped when it arrives, `midLine`). A line longer than the bound keeps its first bytes and
// ends with "…".
import type { FileHandle } from 'node:fs/promises';
import type { LogFileRef } from '../model/requests.js';
import { openLogFile } from './log-path.js';
import { BEFORE_BYTES, digestBefore, type FilePosition } from './tail-cursor.js';
import type { LineFilter } from './line-pattern.js';
import { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES, GREP_SCAN_BYTES, assertCount, positionAt, readBudget } from './tail.js';

export interface ForwardOptions {
  lines: number;
  grep?: LineFilter;
  maxLineBytes?: number;
  chunkBytes?: number;
  /** With a grep, the bytes one call may read (default GREP_SCAN_BYTES). */
  scanBytes?: number;
}

export interface ForwardLine {
  text: string;
  /** The file offset just after this line's "\n" (or its shown part, for a line cut at the bound). */
  end: number;
  /** This line was cut at the bound and its rest is still to come: a cursor after it skips the rest. */
  midLine: boolean;
}

export interface ForwardRead {
  lines: ForwardLine[];
  cutLines: number;
  bytesRead: number;
  /** Where the next call continues when every line here is taken. */
  next: FilePosition;
  /** Bytes of the file after `next.offset` (as its size was when read): 0 when nothing waits. */
  waiting: number;
}

/** A log file opened for following: check where the cursor left it, then read on. */
export interface ForwardFile {
  identity: { dev: number; ino: number };
  size: number;
  /** Why the position does not continue in this file ("shorter": it was emptied; "rewritten": emptied and written past it again), or undefined. */
  discontinuity(position: FilePosition): Promise<'shorter' | 'rewritten' | undefined>;
  read(from: FilePosition | { offset: 0 }, options: ForwardOptions): Promise<ForwardRead>;
  positionAt(offset: number, midLine?: boolean): Promise<FilePosition>;
  close(): Promise<void>;
}

export type OpenedForward = { file: ForwardFile } | { missing: true } | { refused: string };

const NEWLINE = 0x0a;
const CR = 0x0d;
const ELLIPSIS = '…';

export async function openForward(ref: LogFileRef): Promise<OpenedForward> {
  const opened = await openLogFile(ref, 'read');
  if (!('handle' in opened)) return opened;
  const handle = opened.handle;
  const stats = await handle.stat();
  const identity = { dev: stats.dev, ino: stats.ino };
  return {
    file: {
      identity,
      size: stats.size,
      discontinuity: async (position) => {
        if (position.offset > stats.size) return 'shorter';
        if (position.offset === 0) return undefined;
        const start = Math.max(0, position.offset - BEFORE_BYTES);
        const buf = Buffer.alloc(position.offset - start);
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        return digestBefore(buf.subarray(0, bytesRead)) === position.before ? undefined : 'rewritten';
      },
      read: (from, options) => readForward(handle, identity, stats.size, from, options),
      positionAt: (offset, midLine) => positionAt(handle, identity, offset, midLine),
      close: () => handle.close(),
    },
  };
}

async function readForward(handle: FileHandle, identity: { dev: number; ino: number }, size: number, from: FilePosition | { offset: 0 }, options: ForwardOptions): Promise<ForwardRead> {
  const wanted = options.lines;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  assertCount('lines', wanted, 0);
  assertCount('maxLineBytes', maxLineBytes, 1);
  assertCount('chunkBytes', chunkBytes, 1);
  const plain = readBudget(wanted, maxLineBytes, chunkBytes);
  const budget = options.grep ? Math.max(plain, options.scanBytes ?? GREP_SCAN_BYTES) : plain;

  const lines: ForwardLine[] = [];
  let cutLines = 0;
  let bytesRead = 0;
  let pos = from.offset; // everything before pos has been scanned
  let skipping = 'midLine' in from && from.midLine; // the rest of a line already shown cut
  // The kept bytes of the line being gathered (at most maxLineBytes + 1: a "\r" may go) and its length.
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let lineBytes = 0;
  let settled = pos; // the offset the next call starts from when it takes every line here
  let settledMidLine = skipping;
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, size - pos, budget)));

  const keep = (chunk: Buffer, a: number, b: number): void => {
    lineBytes += b - a;
    const room = maxLineBytes + 1 - keptBytes;
    if (room <= 0 || b <= a) return;
    const piece = Buffer.from(chunk.subarray(a, Math.min(b, a + room)));
    kept.push(piece);
    keptBytes += piece.length;
  };
  const finish = (end: number, complete: boolean): void => {
    let bytes = Buffer.concat(kept);
    let length = lineBytes;
    if (complete && length <= maxLineBytes + 1 && bytes[bytes.length - 1] === CR) {
      bytes = bytes.subarray(0, bytes.length - 1);
      length -= 1;
    }
    const cut = length > maxLineBytes || !complete;
    kept.length = 0;
    keptBytes = 0;
    lineBytes = 0;
    let text: string;
    if (cut) {
      bytes = bytes.subarray(0, Math.min(bytes.length, maxLineBytes));
      text = `${utf8Prefix(bytes)}${ELLIPSIS}`;
    } else {
      text = bytes.toString('utf8');
    }
    settled = end;
    settledMidLine = !complete;
    if (options.grep && !options.grep(text)) return;
    lines.push({ text, end, midLine: !complete });
    if (cut) cutLines += 1;
  };

  while (lines.length < wanted && pos < size) {
    const want = Math.min(buf.length, size - pos, budget - bytesRead);
    if (want <= 0) break; // budget spent
    const { bytesRead: n } = await handle.read(buf, 0, want, pos);
    if (n === 0) break; // emptied under us: what was read stands, the next call sees the truncation
    bytesRead += n;
    let at = 0;
    while (at < n && lines.length < wanted) {
      const nl = buf.indexOf(NEWLINE, at);
      const stop = nl < 0 || nl >= n ? n : nl;
      if (skipping) {
        if (stop < n) {
          skipping = false;
          settled = pos + stop + 1;
          settledMidLine = false;
        }
      } else {
        keep(buf, at, stop);
        if (stop < n) finish(pos + stop + 1, true);
      }
      at = stop < n ? stop + 1 : n;
    }
    pos += at;
  }

  // What is left gathered is a line without its "\n" yet (at the end of the file, or of the budget).
  if (!skipping && lineBytes > 0 && lines.length < wanted) {
    if (lineBytes > maxLineBytes) finish(pos, false); // shown cut now; its rest is skipped later
    // else: left for the next call, which reads it whole
  } else if (skipping && lines.length < wanted) {
    settled = pos; // still inside the line shown cut: keep skipping from here
    settledMidLine = true;
  }
  // Reaching the end with fewer lines than asked leaves nothing waiting but a line still being written.
  const reachedEnd = pos >= size && lines.length < wanted;
  const next = await positionAt(handle, identity, settled, settledMidLine);
  return { lines, cutLines, bytesRead, next, waiting: reachedEnd ? 0 : Math.max(0, size - settled) };
}

/** Decodes `bytes` cut at an arbitrary point: an incomplete character at the end is dropped, not turned into U+FFFD. */
function utf8Prefix(bytes: Buffer): string {
  let end = bytes.length;
  // Walk back over continuation bytes to the last lead byte; keep it only if its sequence is whole.
  let back = 0;
  while (back < 3 && end - back - 1 >= 0 && ((bytes[end - back - 1] ?? 0) & 0xc0) === 0x80) back += 1;
  const lead = bytes[end - back - 1];
  if (lead !== undefined && lead >= 0xc0) {
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (back + 1 < need) end -= back + 1;
  }
  return bytes.subarray(0, end).toString('utf8');
}
