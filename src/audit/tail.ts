// The recent decisions, newest last, each joined with its outcome when there is one.
import { readFile } from 'node:fs/promises';
import { chainFiles } from './files.js';
import type { DecisionRecord, OutcomeRecord } from './records.js';

export interface Decided {
  decision: DecisionRecord;
  outcome?: OutcomeRecord;
}

export async function recentDecisions(file: string, opts: { lines: number; denied: boolean }): Promise<Decided[]> {
  const files = await chainFiles(file);
  const found: Decided[] = [];
  const outcomes = new Map<string, OutcomeRecord>();
  // Newest file first, until enough decisions are found.
  for (const f of files.reverse()) {
    const text = await readFile(f, 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean).reverse();
    for (const line of lines) {
      let record: DecisionRecord | OutcomeRecord;
      try {
        record = JSON.parse(line) as DecisionRecord | OutcomeRecord;
      } catch {
        continue;
      }
      if (record.kind === 'outcome') outcomes.set(record.decision_id, record);
      else if (record.kind === 'decision' && (!opts.denied || record.effect !== 'allow')) {
        const outcome = outcomes.get(record.decision_id);
        found.push(outcome ? { decision: record, outcome } : { decision: record });
        if (found.length >= opts.lines) return found.reverse();
      }
    }
  }
  return found.reverse();
}

/** Control characters shown as \u escapes: a record may not rewrite the owner's terminal. */
function safe(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function plainLine(decided: Decided): string {
  return safe(rawLine(decided));
}

function rawLine({ decision: d, outcome }: Decided): string {
  const who = `${d.caller.principal}${d.caller.client ? ` (${d.caller.client.name} ${d.caller.client.version})` : ''}`;
  const result = outcome ? (outcome.ok ? ` → ok ${outcome.duration_ms} ms` : ` → failed: ${outcome.error}`) : '';
  return `${d.timestamp}  ${who}  ${d.tool}  ${d.effect}  ${d.rule}: ${d.reason}${result}`;
}
