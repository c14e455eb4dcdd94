// The two kinds of audit records (JSON Lines; schemas/audit-record.schema.json describes both).
import type { AuditEffect } from './auditor.js';

export interface CallerRecord {
  transport: 'stdio' | 'http';
  session_id: string | null;
  client: { name: string; version: string } | null;
  /** The token's name over HTTP; "local" on stdio. */
  principal: string;
  os_user: string;
}

export interface PolicyRecord {
  sources: string[];
  /** sha256 of the canonical JSON of the effective policy. */
  sha256: string;
  preset: string;
  mode: 'enforce' | 'audit';
}

export interface ServerRecord {
  version: string;
  pid: number;
  host: string;
}

export interface DecisionRecord {
  kind: 'decision';
  decision_id: string;
  timestamp: string;
  tool: string;
  effect: AuditEffect;
  rule: string;
  reason: string;
  /** The canonical request (env values replaced by a marker), or the arguments when they did not parse. */
  input: unknown;
  caller: CallerRecord;
  policy: PolicyRecord;
  server: ServerRecord;
}

export interface OutcomeRecord {
  kind: 'outcome';
  decision_id: string;
  timestamp: string;
  ok: boolean;
  error: string | null;
  duration_ms: number;
  affected: number[];
  /** Present when the action did not end by itself: cancelled by the client before it ran, or abandoned at shutdown. */
  ended?: 'cancelled' | 'abandoned';
  /** For an "ask" decision: what was answered (accept, decline, cancel, timeout, no_capability, failed) and whether that approved the call. */
  asked?: { action: string; approved: boolean };
}

/** The policy was reloaded while the server ran: later decisions name `after`. */
export interface PolicyChangeRecord {
  kind: 'policy';
  timestamp: string;
  before: PolicyRecord;
  after: PolicyRecord;
  server: ServerRecord;
}

/** A decision or an outcome, as written (a policy change is a line of the chain too: PolicyChangeRecord). */
export type AuditRecord = (DecisionRecord | OutcomeRecord) & { prev: string; hash: string };
