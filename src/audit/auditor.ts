// Where the audit stage writes: the audit log (audit-log.ts), or nothing when it is turned off.
// dispatch calls it before and after every action, and a failure to record refuses the call.
import type { CanonicalRequest, Decision } from '../model/requests.js';

/** What happened to the call: would_deny is a denial that ran because the policy is in audit mode. */
export type AuditEffect = 'allow' | 'deny' | 'would_deny' | 'ask';

export interface DecisionEntry {
  decisionId: string;
  operation: string;
  /** The canonical request; null when the call was refused before one could be built. */
  request: CanonicalRequest | null;
  /** The arguments as sent, for a call refused before resolving (env values are redacted when written). */
  args?: unknown;
  decision: Decision;
  effect: AuditEffect;
  caller: CallerInfo;
}

export interface OutcomeEntry {
  decisionId: string;
  ok: boolean;
  error?: string;
  durationMs: number;
  affected: number[];
  /** The action did not end by itself: the client cancelled it before it ran, or shutdown gave up on it. */
  ended?: 'cancelled' | 'abandoned';
  /** For an "ask" decision: what the person (or the client) answered. */
  asked?: { action: string; approved: boolean };
}

export interface CallerInfo {
  transport: 'stdio' | 'http';
  sessionId?: string;
  client?: { name: string; version: string };
  principal: string;
}

export interface Auditor {
  decision(entry: DecisionEntry): Promise<void>;
  outcome(entry: OutcomeEntry): Promise<void>;
  /** Resolves once every record handed over so far is written (called at shutdown). */
  flush(): Promise<void>;
}

export const NO_AUDIT: Auditor = {
  decision: async () => undefined,
  outcome: async () => undefined,
  flush: async () => undefined,
};
