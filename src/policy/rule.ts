// A rule of the policy as data: an id, a test that returns why it refuses (or nothing), and the
// words of the refusal (reason and hint). The first rule of a table that refuses decides, so a
// new config key is one row of a table and every denial still explains itself.
import type { Decision } from '../model/requests.js';
import type { CompiledPolicy } from './compile.js';
import { deny, hard } from './decision.js';

export interface Refusal {
  reason: string;
  hint?: string | undefined;
  /** A more precise id than the rule's own (a family of env names, a log-file check). */
  id?: string;
}

export interface Rule<S, U = undefined> {
  id: string;
  /** Holds in audit mode too (docs/threat-model.md §T5, §T13, §T21). */
  hard?: true;
  refuses(subject: S, policy: CompiledPolicy, use: U): Refusal | undefined;
}

/** The first refusal of `rules` for `subject`, as a decision; `label` prefixes its reason. */
export function firstRefusal<S, U>(rules: readonly Rule<S, U>[], subject: S, policy: CompiledPolicy, use: U, label?: string): Decision | undefined {
  for (const rule of rules) {
    const refused = rule.refuses(subject, policy, use);
    if (!refused) continue;
    const decision = deny(refused.id ?? rule.id, label ? `${label}: ${refused.reason}` : refused.reason, refused.hint);
    return rule.hard ? hard(decision) : decision;
  }
  return undefined;
}
