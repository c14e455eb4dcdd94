// Limits of calls per tool (the config's `limits`), counted across every session of one server.
// evaluate() is pure and sees one call; a rate needs the calls before it, so the counting lives
// here, beside the gate rather than in src/policy/: one CallLimiter per server, given to its gates
// (src/commands/gate.ts; serve keeps the one across policy changes), which dispatch consults once
// the policy let a call through (a denied call never counts). The check and the count are one synchronous step, so two sessions
// can never both take the last place in a window.
//
// Sliding windows of timestamps on a monotonic clock, bounded: a counted key keeps at most its
// limit's `calls` of them (at most 1000, by the schema), and the limiter at most MAX_KEYS keys.
// Past that it cannot count a new key, and refuses the call (fail closed), as it does when it
// fails in any other way.
import type { AuditEffect, CallerInfo } from '../audit/auditor.js';
import type { CanonicalRequest, Decision, ProcessRef } from '../model/requests.js';
import type { ToolName } from '../model/tools.js';
import type { CallLimit, CompiledPolicy } from '../policy/compile.js';
import { configName, deny, hard } from '../policy/decision.js';

/**
 * The most keys (a tool, or a tool and a pm_id, of one scope) counted at once. A key lives for
 * its window only; 4096 live at once is far more processes restarted within their windows than
 * one pm2 daemon runs, and bounds the memory at 4096 × 1000 timestamps in the worst case.
 */
export const MAX_KEYS = 4096;

/** Whose calls a limit counts: the server's own policy counts every session's; a token's, its own. */
export interface LimitScope {
  /** "server", or "token:<principal>": part of every key it counts. */
  id: string;
  limit: CallLimit;
}

export type Admission =
  | { ok: true }
  /** Over `limit` of `scope`: for `process` when it counts per process; `retryAfterSeconds` until a place frees. */
  | { ok: false; why: 'limit'; scope: LimitScope; process?: ProcessRef | undefined; retryAfterSeconds: number }
  /** No room for another key (MAX_KEYS): the call cannot be counted. */
  | { ok: false; why: 'full'; scope: LimitScope; retryAfterSeconds: number };

interface Window {
  /** Times of the calls counted, oldest first; never more than the limit's `calls`. */
  stamps: number[];
  windowMs: number;
}

export class CallLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;
  readonly #maxKeys: number;

  /** `now`: milliseconds on a clock that never goes back (tests give their own). */
  constructor(options: { now?: () => number; maxKeys?: number } = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? MAX_KEYS;
  }

  /** Keys counted now (for tests and the bound). */
  get size(): number {
    return this.#windows.size;
  }

  /**
   * Admits a call of `tool` on `targets` under every scope's limit and counts it in each, or
   * counts nothing and says which limit it would pass (the one that frees last).
   */
  admit(tool: string, targets: readonly ProcessRef[], scopes: readonly LimitScope[]): Admission {
    const now = this.#now();
    const counted: Array<{ key: string; limit: CallLimit }> = [];
    let over: Extract<Admission, { why: 'limit' }> | undefined;
    for (const scope of scopes) {
      const windowMs = scope.limit.perSeconds * 1000;
      for (const { key, process } of keysOf(scope, tool, targets)) {
        const window = this.#windows.get(key);
        const stamps = window ? expire(window.stamps, now - windowMs) : [];
        if (stamps.length >= scope.limit.calls) {
          // The place that frees first for this call is the calls-th newest one's.
          const retryAfterSeconds = seconds(stamps[stamps.length - scope.limit.calls]! + windowMs - now);
          if (!over || retryAfterSeconds > over.retryAfterSeconds) over = { ok: false, why: 'limit', scope, process, retryAfterSeconds };
        }
        counted.push({ key, limit: scope.limit });
      }
    }
    if (over) return over;
    const fresh = counted.filter((c) => !this.#windows.has(c.key)).length;
    if (this.#windows.size + fresh > this.#maxKeys) this.#sweep(now);
    if (this.#windows.size + fresh > this.#maxKeys) return { ok: false, why: 'full', scope: scopes[0]!, retryAfterSeconds: this.#firstExpiry(now) };
    for (const { key, limit } of counted) {
      const window = this.#windows.get(key) ?? { stamps: [], windowMs: 0 };
      window.windowMs = limit.perSeconds * 1000;
      window.stamps.push(now);
      // A limit lowered since (a new policy) keeps only as many as it allows.
      if (window.stamps.length > limit.calls) window.stamps.splice(0, window.stamps.length - limit.calls);
      this.#windows.set(key, window);
    }
    return { ok: true };
  }

  /** Forgets every key whose window holds no call any more. */
  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      const newest = window.stamps.at(-1);
      if (newest === undefined || newest <= now - window.windowMs) this.#windows.delete(key);
    }
  }

  /** Seconds until the first key's window empties, and with it a place. */
  #firstExpiry(now: number): number {
    let soonest = Infinity;
    for (const window of this.#windows.values()) soonest = Math.min(soonest, (window.stamps.at(-1) ?? now) + window.windowMs - now);
    return seconds(Number.isFinite(soonest) ? soonest : 1000);
  }
}

/** Drops, in place, the stamps at or before `cutoff`: a call exactly one window old no longer counts. */
function expire(stamps: number[], cutoff: number): number[] {
  let i = 0;
  while (i < stamps.length && stamps[i]! <= cutoff) i++;
  if (i > 0) stamps.splice(0, i);
  return stamps;
}

/** Whole seconds, rounded up, at least one: "retry in 0 s" would be retried at once and refused. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** One key per target pm_id under a per-process limit; else (or with no target) one for the tool. */
function keysOf(scope: LimitScope, tool: string, targets: readonly ProcessRef[]): Array<{ key: string; process?: ProcessRef }> {
  const base = `${scope.id}\0${tool}`;
  if (scope.limit.per !== 'process' || targets.length === 0) return [{ key: base }];
  const byId = new Map(targets.map((p) => [p.pm_id, p]));
  return [...byId.values()].map((process) => ({ key: `${base}\0${process.pm_id}`, process }));
}

/** The processes a request names: a limit per process counts each. */
function targetsOf(request: CanonicalRequest): readonly ProcessRef[] {
  if (request.kind === 'operate') return request.target?.processes ?? [];
  if (request.kind === 'read') return request.targets;
  return [];
}

// --- the gate's side --------------------------------------------------------------------------

/** What dispatch hands over: the decision so far, and the policies and limiter of its gate. */
export interface LimitedCall {
  request: CanonicalRequest;
  decision: Decision;
  effect: AuditEffect;
}

export interface LimitGate {
  policy: CompiledPolicy;
  narrowing?: CompiledPolicy | undefined;
  limiter?: CallLimiter | undefined;
}

/**
 * The decision once the limits of the server's policy and of the caller's token (if any) are
 * applied. Only a call that would run (or be asked of a person) is counted; over a limit it is a
 * denial, `limits.<tool>` (`token.limits.<tool>` for the token's, which binds in audit mode too,
 * as every denial of a token does), recorded like any other.
 */
export function limitCall<T extends LimitedCall>(gate: LimitGate, tool: string, decided: T, caller: CallerInfo): T {
  const { decision } = decided;
  if (!gate.limiter || (decision.effect !== 'allow' && decision.effect !== 'ask')) return decided;
  const own = limitOf(gate.policy, tool);
  const token = gate.narrowing ? limitOf(gate.narrowing, tool) : undefined;
  const scopes: LimitScope[] = [...(own ? [{ id: 'server', limit: own }] : []), ...(token ? [{ id: `token:${caller.principal}`, limit: token }] : [])];
  if (scopes.length === 0) return decided;
  let admission: Admission;
  try {
    admission = gate.limiter.admit(tool, targetsOf(decided.request), scopes);
  } catch (err) {
    // Fail closed: what cannot be counted does not run, not even in audit mode.
    return { ...decided, decision: hard(deny(`limits.${tool}`, `the limit of calls could not be checked: ${(err as Error).message}`)), effect: 'deny' };
  }
  if (admission.ok) return decided;
  const byToken = admission.scope.id !== 'server';
  const refused = byToken ? tokenDenial(gate.narrowing!, tool, admission) : serverDenial(gate.policy, tool, admission);
  const effect: AuditEffect = !byToken && gate.policy.mode === 'audit' ? 'would_deny' : 'deny';
  return { ...decided, decision: refused, effect };
}

function limitOf(policy: CompiledPolicy, tool: string): CallLimit | undefined {
  return Object.hasOwn(policy.limits, tool) ? policy.limits[tool as ToolName] : undefined;
}

/** "3 calls per 60 s per process": a limit in words, for denials, `check` and `explain`. */
export function limitText(limit: CallLimit): string {
  return `${limit.calls} call${limit.calls === 1 ? '' : 's'} per ${limit.perSeconds} s${limit.per === 'process' ? ' per process' : ''}`;
}

function overWhat(tool: string, admission: Exclude<Admission, { ok: true }>): string {
  const { limit } = admission.scope;
  if (admission.why === 'full') return `the server already counts calls for ${MAX_KEYS} processes and tools within their windows, the most it keeps, and cannot count this call of ${tool}`;
  const on = admission.process ? ` on ${admission.process.name} (pm_id ${admission.process.pm_id})` : '';
  return `${tool} has had ${limit.calls} call${limit.calls === 1 ? '' : 's'}${on} within the last ${limit.perSeconds} s, its limit (${limitText(limit)})`;
}

function serverDenial(policy: CompiledPolicy, tool: string, admission: Exclude<Admission, { ok: true }>): Decision {
  const raise = admission.why === 'limit' ? `, or raise limits.${tool}.calls in ${configName(policy)}` : '';
  return deny(`limits.${tool}`, overWhat(tool, admission), `retry in ${admission.retryAfterSeconds} s${raise}`);
}

function tokenDenial(narrowing: CompiledPolicy, tool: string, admission: Exclude<Admission, { ok: true }>): Decision {
  const where = narrowing.configFile ? `raise limits.${tool}.calls in ${narrowing.configFile}, the token's policy` : `the token's preset (${narrowing.preset}) sets this limit: a token whose policy allows more must make the call`;
  return deny(`token.limits.${tool}`, `the caller's token is limited to the ${narrowing.preset} preset: ${overWhat(tool, admission)}`, `retry in ${admission.retryAfterSeconds} s; or ${where}`);
}
