// Auditors for in-process tests: one that keeps what it is handed, to assert on the records a
// call left, and one that cannot write, to check that the gate refuses rather than run unrecorded.
import type { Auditor, DecisionEntry, OutcomeEntry } from '../../src/audit/auditor.js';

export class MemoryAuditor implements Auditor {
  readonly decisions: DecisionEntry[] = [];
  readonly outcomes: OutcomeEntry[] = [];
  decision = async (entry: DecisionEntry): Promise<void> => void this.decisions.push(entry);
  outcome = async (entry: OutcomeEntry): Promise<void> => void this.outcomes.push(entry);
  flush = async (): Promise<void> => undefined;

  /** The one decision recorded for `operation`; fails when there is none or more than one. */
  decisionFor(operation: string): DecisionEntry {
    const found = this.decisions.filter((d) => d.operation === operation);
    if (found.length !== 1) throw new Error(`expected one decision for ${operation}, found ${found.length}: ${JSON.stringify(this.decisions.map((d) => d.operation))}`);
    return found[0]!;
  }
}

/** Every write rejects with `message`, as a full disk or a removed folder would. */
export function failingAuditor(message: string): Auditor {
  return {
    decision: async () => {
      throw new Error(message);
    },
    outcome: async () => {
      throw new Error(message);
    },
    flush: async () => undefined,
  };
}
