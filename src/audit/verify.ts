// Walks the whole chain, across rotated files, oldest first: every line must be a JSON record
// whose `prev` is the hash of the record before it and whose `hash` is its own.
import { readFile } from 'node:fs/promises';
import { GENESIS, hashOf } from './chain.js';
import { chainFiles } from './files.js';

export type VerifyResult =
  | { status: 'intact'; files: string[]; records: number }
  | { status: 'broken'; files: string[]; records: number; file: string; line: number; why: string }
  | { status: 'unreadable'; file: string; why: string };

export async function verifyChain(file: string): Promise<VerifyResult> {
  const files = await chainFiles(file);
  let prev = GENESIS;
  let records = 0;
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      return { status: 'unreadable', file: f, why: (err as Error).message };
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    else if (lines.length > 0) return { status: 'broken', files, records, file: f, line: lines.length, why: 'the last line is not terminated: a torn or truncated write' };
    for (const [i, line] of lines.entries()) {
      const broken = (why: string): VerifyResult => ({ status: 'broken', files, records, file: f, line: i + 1, why });
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return broken('not a JSON record');
      }
      if (typeof record.hash !== 'string' || typeof record.prev !== 'string') return broken('no hash or prev field');
      if (record.prev !== prev) {
        return broken(prev === GENESIS && records === 0
          ? 'the chain does not start at its beginning: records or an older rotated file were removed'
          : 'prev is not the hash of the record before it: a record was removed, inserted or moved');
      }
      if (hashOf(record) !== record.hash) return broken('the record was edited: its content does not match its hash');
      prev = record.hash;
      records++;
    }
  }
  return { status: 'intact', files, records };
}
