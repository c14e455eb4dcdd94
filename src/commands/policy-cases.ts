// The cases of a tests file, decided as the server decides a call (src/server/dispatch.ts
// `decide`: parse, resolve, evaluate, with the server's policy and facts), against the file's
// process table in place of pm2's list. Nothing runs and nothing is audited. Each case meets a
// server of its own, just started: no case counts towards another's limits.
import { NO_AUDIT } from '../audit/auditor.js';
import type { PolicyCase } from '../config/tests-file.js';
import type { Effect, ServerFacts } from '../model/requests.js';
import { TableAdapter, tableProcesses, type TableEntry } from '../pm2/table-adapter.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { decide } from '../server/dispatch.js';
import { TOOLS } from '../server/tools/index.js';
import { gateFactory } from './gate.js';

export interface CaseVerdict {
  case: PolicyCase;
  held: boolean;
  effect: Effect;
  ruleId: string;
  reason: string;
  hint?: string;
  /** In audit mode, a denial that would run anyway. */
  wouldRun?: boolean;
  /** Why a case did not hold, when "expected X, got Y" does not say it. */
  problem?: string;
}

export interface CaseWorld {
  policy: CompiledPolicy;
  facts: ServerFacts;
  /** PM2_HOME of the server the cases are decided for: where pm2 would keep their log files. */
  home: string;
  processes: readonly TableEntry[];
}

/** The rule a call refused before any decision is recorded under, as dispatch records it. */
const ARGUMENTS_INVALID = 'arguments.invalid';

export async function judgeCase(world: CaseWorld, c: PolicyCase): Promise<CaseVerdict> {
  const tool = TOOLS.find((t) => t.name === c.tool);
  // The tests file names only catalog tools; a catalog row without its tool is a bug of ours.
  if (!tool) throw new Error(`no tool ${c.tool} is served`);
  const pm2 = new TableAdapter(world.home, tableProcesses(world.processes, world.policy.root, world.home));
  const gate = gateFactory({ pm2, policy: world.policy, facts: world.facts, auditor: NO_AUDIT, onAuditFailure: () => undefined })();
  const decided = await decide(gate, tool, c.args);
  if (!decided.ok) {
    // Refused before a decision (bad arguments, an unknown process): a denial, under the rule
    // the server's audit record names (src/server/dispatch.ts).
    const ruleId = decided.error.code === 'INVALID_ARGUMENTS' ? ARGUMENTS_INVALID : `resolve.${decided.error.code}`;
    return verdict(c, { effect: 'deny', ruleId, reason: decided.error.message });
  }
  const { decision } = decided;
  return verdict(c, { effect: decision.effect, ruleId: decision.ruleId, reason: decision.reason, ...(decision.hint ? { hint: decision.hint } : {}), ...(decided.effect === 'would_deny' ? { wouldRun: true } : {}) });
}

function verdict(c: PolicyCase, got: Omit<CaseVerdict, 'case' | 'held'>): CaseVerdict {
  const held = got.effect === c.expect && (c.rule === undefined || c.rule === got.ruleId);
  // Arguments the tool refuses are a denial, but more often a typo in the case than its point:
  // such a case holds only when it says so by naming the rule.
  if (held && got.ruleId === ARGUMENTS_INVALID && c.rule === undefined) {
    return { case: c, ...got, held: false, problem: `the arguments are refused before any decision; give the case "rule": "${ARGUMENTS_INVALID}" if that is what it tests` };
  }
  return { case: c, ...got, held };
}
