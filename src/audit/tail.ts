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

export { safe, safeJson } from '../safe-text.js';
import { safe, safeJson } from '../safe-text.js';

export function plainLine(decided: Decided): string {
  return safe(rawLine(decided));
}

/** One decision (and its outcome) as the JSON line `audit tail --json` prints. */
export function jsonLine({ decision, outcome }: Decided): string {
  return safeJson(JSON.stringify(outcome ? { ...decision, outcome } : decision));
}

/** Every field as text, whatever a tampered record holds in its place: the line is escaped as a whole. */
function rawLine({ decision: d, outcome }: Decided): string {
  const caller = (d.caller ?? {}) as Partial<DecisionRecord['caller']>;
  const client = caller.client ? ` (${text(caller.client.name)} ${text(caller.client.version)})` : '';
  const result = outcome ? (outcome.ok === true ? ` → ok ${text(outcome.duration_ms)} ms` : ` → failed: ${text(outcome.error)}`) : '';
  return `${text(d.timestamp)}  ${text(caller.principal)}${client}  ${text(d.tool)}  ${text(d.effect)}  ${text(d.rule)}: ${text(d.reason)}${result}`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}
