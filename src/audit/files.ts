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

/** The last complete line of a file (reading backward in chunks), or undefined when it has none. */
export function lastLineSync(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let end = fstatSync(fd).size;
    let tail = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - 65536);
      const chunk = Buffer.alloc(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      tail = Buffer.concat([chunk, tail]);
      end = start;
      const text = tail.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl !== -1 || end === 0) return text.slice(nl + 1) || undefined;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
