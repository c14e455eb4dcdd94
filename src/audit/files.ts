// The files of one log: the current file and its rotated predecessors FILE.1, FILE.2 … (oldest
// first), and reading the last record of a file without reading the whole file.
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** FILE.1, FILE.2 …, oldest first, then FILE itself. */
export async function chainFiles(file: string): Promise<string[]> {
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  return [...rotatedAmong(file, names), file];
}

export async function rotatedFiles(file: string): Promise<string[]> {
  return (await chainFiles(file)).slice(0, -1);
}

export function rotatedFilesSync(file: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    names = [];
  }
  return rotatedAmong(file, names);
}

function rotatedAmong(file: string, names: string[]): string[] {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ n, i: Number(n.slice(prefix.length)) }))
    .sort((a, b) => a.i - b.i)
    .map((x) => join(dir, x.n));
}

/**
 * The last line of a file that is not empty (trailing newlines skipped), or undefined when it has
 * none. Chunks are read backward until the newline byte before that line, then the line is read
 * and decoded once: O(line) however long it is (a multi-megabyte record costs a few reads, not a
 * re-decode of the whole tail per chunk). A newline byte never occurs inside a UTF-8 sequence, so
 * searching bytes is exact.
 */
export function lastLineSync(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const end = lastNonNewline(fd, size);
    if (end === 0) return undefined;
    const start = newlineBefore(fd, end) + 1;
    const line = Buffer.alloc(end - start);
    readFully(fd, line, start);
    return line.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 65536;
const NEWLINE = 0x0a;

/** The offset just past the last byte that is not a newline: 0 when there is none. */
function lastNonNewline(fd: number, size: number): number {
  const found = scanBackward(fd, size, (bytes) => {
    let i = bytes.length - 1;
    while (i >= 0 && bytes[i] === NEWLINE) i--;
    return i;
  });
  return found + 1;
}

/** The offset of the newline byte before `end`, -1 when the line starts the file. */
function newlineBefore(fd: number, end: number): number {
  // Buffer#lastIndexOf searches natively: the long line is scanned at memchr speed.
  return scanBackward(fd, end, (bytes) => bytes.lastIndexOf(NEWLINE));
}

/**
 * Reads chunks backward from `end` until `find` reports an index in one (or -1 for none in it);
 * returns that byte's offset in the file, -1 when no chunk has one. Each byte is read once.
 */
function scanBackward(fd: number, end: number, find: (bytes: Buffer) => number): number {
  const chunk = Buffer.alloc(Math.min(CHUNK, end));
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const bytes = chunk.subarray(0, end - start);
    readFully(fd, bytes, start);
    const i = find(bytes);
    if (i !== -1) return start + i;
    end = start;
  }
  return -1;
}

/** readSync may return fewer bytes than asked; a file that shrank meanwhile leaves zeros. */
function readFully(fd: number, into: Buffer, position: number): void {
  let off = 0;
  while (off < into.length) {
    const n = readSync(fd, into, off, into.length - off, position + off);
    if (n === 0) break;
    off += n;
  }
}
