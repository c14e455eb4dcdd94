// The files of one log: the current file and its rotated predecessors FILE.1, FILE.2 … (oldest
// first), and reading the last record of a file without reading the whole file.
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** FILE.1, FILE.2 …, oldest first, then FILE itself. */
export async function chainFiles(file: string): Promise<string[]> {
  return [...(await rotatedFiles(file)), file];
}

export async function rotatedFiles(file: string): Promise<string[]> {
  const dir = dirname(file);
  const base = basename(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((n) => ({ n, m: new RegExp(`^${escapeRe(base)}\\.(\\d+)$`).exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => join(dir, x.n));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The last complete line of a file (reading backward in chunks), or undefined when it has none. */
export async function lastLine(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    let end = size;
    let tail = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - 65536);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      tail = Buffer.concat([chunk, tail]);
      end = start;
      const text = tail.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl !== -1 || end === 0) return text.slice(nl + 1) || undefined;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}
