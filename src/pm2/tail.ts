// Read the last N lines of a (possibly huge) log file.
//
// The file is read backward from the end in positioned chunks, so the cost
// depends on the lines asked for, never on the file size. The total number of
// bytes read is capped by a budget (see `readBudget`); a pathological file
// such as a 1 GiB single line therefore still costs a bounded read.
//
// The file is opened without following links and read only if it is a regular
// file, the one resolve checked (openLogFile, docs/threat-model.md §T15): a log file
// swapped for a link to a secret, a FIFO or a device is refused, not read.
//
// Reading forward from a cursor's position (a follow) is in tail-forward.ts; both end with the
// position a cursor continues from (positionAt).

import type { FileHandle } from 'node:fs/promises';
import type { LogFileRef } from '../model/requests.js';
import { openLogFile } from './log-path.js';
import { BEFORE_BYTES, digestBefore, type FilePosition } from './tail-cursor.js';
import type { LineFilter } from './line-pattern.js';

export interface TailOptions {
  /** How many lines from the end (1..1000 in practice; 0 gives []). */
  lines: number;
  /** A longer line is cut to its last this-many bytes, prefixed with "…". Default 4096. */
  maxLineBytes?: number;
  /** Read size per step backward. Default 65536. */
  chunkBytes?: number;
  /** Only lines it accepts count and are returned (they are matched as returned, cut or not). */
  grep?: LineFilter;
  /** With a grep, the bytes a search may read at most (default GREP_SCAN_BYTES). */
  scanBytes?: number;
}

export interface TailResult {
  /** Oldest first, without terminators ("\n" and one trailing "\r" removed). */
  lines: string[];
  /** How many returned lines were cut (prefixed with "…"). */
  cutLines: number;
  /** True when the file does not exist (ENOENT); lines is then []. */
  missing: boolean;
  /** Why the file was not read (not a regular file, not the one checked); lines is then []. */
  refused?: string;
  /** Total bytes read from the file. */
  bytesRead: number;
  /** Where a cursor continues from: the end of the file as it was read (set when it was read). */
  position?: FilePosition;
  /** False when a grep's search stopped at its byte bound before the start of the file. */
  searchedAll?: boolean;
}

/** With a grep, a tail may scan this many bytes of each file for its lines (a follow too, per call). */
export const GREP_SCAN_BYTES = 8 * 1024 * 1024;

export const DEFAULT_MAX_LINE_BYTES = 4096;
export const DEFAULT_CHUNK_BYTES = 65536;
const NEWLINE = 0x0a;
const CR = 0x0d;
const ELLIPSIS = '…';

/**
 * Exact upper bound on `bytesRead`:
 *
 *   lines * (maxLineBytes + 2) + chunkBytes
 *
 * "+ 2" is a line's terminator in the worst case ("\r\n"). So whenever each
 * of the last `lines` lines holds at most maxLineBytes bytes, the budget
 * covers them plus the "\n" that precedes the oldest one (chunkBytes >= 1),
 * and nothing is cut. The chunkBytes term is slack that lets the scan get
 * through a moderately long line among the last ones. Reads are clamped to
 * the remaining budget, so bytesRead never exceeds it (nor the file size).
 */
export function readBudget(lines: number, maxLineBytes: number, chunkBytes: number): number {
  return lines * (maxLineBytes + 2) + chunkBytes;
}

/** The position just after `offset` bytes of the open file: its identity and the digest of the bytes before. */
export async function positionAt(handle: FileHandle, identity: { dev: number; ino: number }, offset: number, midLine = false): Promise<FilePosition> {
  const start = Math.max(0, offset - BEFORE_BYTES);
  const buf = Buffer.alloc(offset - start);
  const { bytesRead } = buf.length > 0 ? await handle.read(buf, 0, buf.length, start) : { bytesRead: 0 };
  return { dev: identity.dev, ino: identity.ino, offset, before: digestBefore(buf.subarray(0, bytesRead)), midLine };
}

export function assertCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`tailFile: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * The bytes of one line, gathered while scanning backward. Only the last
 * maxLineBytes + 1 bytes are kept (the extra byte may be a "\r" we strip);
 * `total` counts every byte so we know whether the line was longer.
 */
class LineCollector {
  private pieces: Buffer[] = []; // newest bytes first, since we go backward
  private kept = 0;
  total = 0;

  constructor(private readonly cap: number) {}

  /** Add buf[from, to), which sits just before everything added so far. */
  prepend(buf: Buffer, from: number, to: number): void {
    this.total += to - from;
    const room = this.cap - this.kept;
    if (room <= 0 || to <= from) return;
    // Copy: the chunk buffer is reused for the next read.
    const piece = Buffer.from(buf.subarray(Math.max(from, to - room), to));
    this.pieces.push(piece);
    this.kept += piece.length;
  }

  /**
   * Decode the line once, as a whole. `complete` is false when the scan
   * stopped before finding the line's start: then it is cut whatever its size.
   */
  finish(maxLineBytes: number, complete: boolean): { text: string; cut: boolean } {
    let bytes = Buffer.concat(this.pieces.reverse());
    let length = this.total;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      bytes = bytes.subarray(0, bytes.length - 1);
      length -= 1;
    }
    const tooLong = length > maxLineBytes;
    if (tooLong) bytes = bytes.subarray(bytes.length - maxLineBytes);
    const cut = tooLong || !complete;
    if (cut) {
      // The cut may start inside a multibyte UTF-8 character: move it forward
      // past continuation bytes (0b10xxxxxx; at most 3 follow a lead byte) so
      // decoding does not produce U+FFFD from our own cutting.
      let start = 0;
      while (start < 3 && start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
      bytes = bytes.subarray(start);
    }
    this.pieces = [];
    this.kept = 0;
    this.total = 0;
    return { text: (cut ? ELLIPSIS : '') + bytes.toString('utf8'), cut };
  }
}

/** A path given as a string is checked as it is: its folder must be its own real path. */
export async function tailFile(file: LogFileRef | string, options: TailOptions): Promise<TailResult> {
  const wanted = options.lines;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const grep = options.grep;
  assertCount('lines', wanted, 0);
  assertCount('maxLineBytes', maxLineBytes, 1);
  assertCount('chunkBytes', chunkBytes, 1);

  const opened = await openLogFile(typeof file === 'string' ? { stream: 'out', path: file } : file, 'read');
  if ('missing' in opened) return { lines: [], cutLines: 0, missing: true, bytesRead: 0 };
  if ('refused' in opened) return { lines: [], cutLines: 0, missing: false, bytesRead: 0, refused: opened.refused };
  const handle = opened.handle;

  try {
    const stats = await handle.stat();
    // A grep may have to pass over lines it does not keep: its own bound, never the file size.
    const plain = readBudget(wanted, maxLineBytes, chunkBytes);
    const budget = grep ? Math.max(plain, options.scanBytes ?? GREP_SCAN_BYTES) : plain;
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, stats.size, budget)));
    const newestFirst: string[] = [];
    let cutLines = 0;
    let bytesRead = 0;
    let pos = stats.size; // everything at and after pos has been scanned
    let truncated = false; // the file shrank while we read it
    // The segment after the last "\n" is a line only if it is non-empty:
    // a final newline does not make an empty last line.
    let atEof = true;
    const line = new LineCollector(maxLineBytes + 1);

    const emit = (complete: boolean): void => {
      const skip = atEof && line.total === 0;
      atEof = false;
      if (skip) return;
      const { text, cut } = line.finish(maxLineBytes, complete);
      if (grep && !grep(text)) return;
      newestFirst.push(text);
      if (cut) cutLines += 1;
    };

    while (newestFirst.length < wanted && pos > 0) {
      const size = Math.min(chunkBytes, pos, budget - bytesRead);
      if (size <= 0) break; // budget spent
      const start = pos - size;
      const { bytesRead: n } = await handle.read(buf, 0, size, start);
      bytesRead += n;
      if (n < size) {
        // Short read: the file was truncated under us (log rotation with
        // copytruncate). What we have no longer lines up; keep finished lines.
        truncated = true;
        break;
      }
      // Scan this chunk backward; `end` is the exclusive end of its unscanned part.
      let end = size;
      while (end > 0 && newestFirst.length < wanted) {
        const nl = buf.lastIndexOf(NEWLINE, end - 1);
        if (nl < 0) break;
        line.prepend(buf, nl + 1, end);
        emit(true);
        end = nl;
      }
      if (newestFirst.length >= wanted) break;
      line.prepend(buf, 0, end);
      pos = start;
    }

    if (newestFirst.length < wanted && !truncated) {
      if (pos === 0) {
        emit(true); // the first line of the file has no "\n" before it
      } else if (line.total > 0) {
        // Budget spent inside a (long) line: return what we have of it as
        // the oldest line, cut, and do not scan further back.
        emit(false);
      }
    }

    const position = truncated ? undefined : await positionAt(handle, stats, stats.size);
    return { lines: newestFirst.reverse(), cutLines, missing: false, bytesRead, ...(position ? { position } : {}), searchedAll: pos === 0 || newestFirst.length >= wanted };
  } finally {
    await handle.close();
  }
}
