// The hash chain: each record carries the hash of the record before it (`prev`) and its own
// (`hash`), a sha256 over the canonical JSON of everything in it but `hash`. Editing, removing,
// inserting or reordering a record breaks the chain at that record.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const GENESIS = '0'.repeat(64);

export interface Chained {
  prev: string;
  hash: string;
}

export function hashOf(record: Record<string, unknown>): string {
  const { hash: _hash, ...body } = record;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function seal<T extends Record<string, unknown>>(body: T, prev: string): T & Chained {
  const withPrev = { ...body, prev };
  return { ...withPrev, hash: hashOf(withPrev) };
}
