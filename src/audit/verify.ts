// Walks the whole chain, across rotated files, oldest first: every line must be a JSON record
// whose `prev` is the hash of the record before it and whose `hash` is its own.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { GENESIS, hashOf } from './chain.js';
import { chainFiles } from './files.js';

export type VerifyResult =
  | { status: 'intact'; files: string[]; records: number; /** Fragments of appends cut short by a crash, which the next record was chained over. */ torn?: Array<{ file: string; line: number }> }
  | { status: 'broken'; files: string[]; records: number; file: string; line: number; why: string }
  | { status: 'unreadable'; file: string; why: string };

const ATTEMPTS = 5;

/**
 * A live log may rotate while it is read. The files are listed, read, and listed again: when the
 * set changed, everything is read afresh, so a rotation is never mistaken for tampering.
 */
export async function verifyChain(file: string): Promise<VerifyResult> {
  let result: VerifyResult | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const files = await chainFiles(file);
    const texts: string[] = [];
    let unreadable: VerifyResult | undefined;
    for (const f of files) {
      try {
        texts.push(await readFile(f, 'utf8'));
      } catch (err) {
        unreadable = { status: 'unreadable', file: f, why: (err as Error).message };
        break;
      }
    }
    const again = await chainFiles(file);
    const rotated = again.length !== files.length || again.some((f, i) => f !== files[i]);
    result = unreadable ?? walk(files, texts);
    if (!rotated) return result;
  }
  return result!;
}

function walk(files: string[], texts: string[]): VerifyResult {
  let prev = GENESIS;
  let records = 0;
  const torn: Array<{ file: string; line: number }> = [];
  for (const [n, f] of files.entries()) {
    const lines = texts[n]!.split('\n');
    const terminated = lines[lines.length - 1] === '';
    if (terminated) lines.pop();
    for (const [i, line] of lines.entries()) {
      const broken = (why: string): VerifyResult => ({ status: 'broken', files, records, file: f, line: i + 1, why });
      if (!terminated && i === lines.length - 1) {
        return broken('the last line is not terminated: a torn or truncated write (a server stopped in the middle of an append, or the end of the file was cut off); the records before it are intact');
      }
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        // A writer that finds the file ending mid-line (a crash mid-append) starts on a line of its
        // own and chains its record to that fragment as it found it (src/audit/audit-log.ts). A line
        // edited later would no longer match the hash the next record holds.
        if (tornAndChainedOver(line, lines[i + 1])) {
          torn.push({ file: f, line: i + 1 });
          prev = sha256(line);
          continue;
        }
        return broken('not a JSON record: a line was edited or inserted (a crash mid-append leaves its fragment last, or chained over by the next record)');
      }
      const r = (record && typeof record === 'object' ? record : {}) as Record<string, unknown>;
      if (typeof r.hash !== 'string' || typeof r.prev !== 'string') return broken('no hash or prev field');
      if (r.prev !== prev) {
        return broken(prev === GENESIS && records === 0
          ? 'the chain does not start at its beginning: records or an older rotated file were removed'
          : 'prev is not the hash of the record before it: a record was removed, inserted or moved');
      }
      if (hashOf(r) !== r.hash) return broken('the record was edited: its content does not match its hash');
      prev = r.hash;
      records++;
    }
  }
  return torn.length ? { status: 'intact', files, records, torn } : { status: 'intact', files, records };
}

/** The start of a record, cut short, whose next line is a record chained to it as it stands. */
function tornAndChainedOver(line: string, next: string | undefined): boolean {
  if (!line.startsWith('{') || next === undefined) return false;
  try {
    const r = JSON.parse(next) as { prev?: unknown };
    return r.prev === sha256(line);
  } catch {
    return false;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
