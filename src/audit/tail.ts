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

/**
 * What a terminal must not receive from a record: control characters (C0, DEL, C1: ESC and CSI
 * sequences), invisible and bidirectional formatting characters (\p{Cf}: U+202E, U+200B,
 * U+2066–2069, U+FEFF, the tag characters …), line and paragraph separators, and lone surrogates.
 * Each UTF-16 unit of one is shown as \uXXXX, the spelling JSON uses.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escapeUnits(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** For plain text: a backslash is doubled too, so that a name cannot spell a fake escape. */
export function safe(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNSAFE, escapeUnits);
}

/**
 * For JSON text: JSON.stringify leaves DEL, C1 controls, U+2028/2029 and the \p{Cf} characters
 * as they are. Outside strings JSON text holds only ASCII punctuation, digits and words, so every
 * such character is inside a string, where \uXXXX is its valid escape: the text stays the same JSON.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE, escapeUnits);
}

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
