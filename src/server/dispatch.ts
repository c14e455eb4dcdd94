// The gate: every tool call and every resource read passes here, and only here reaches pm2.
//   parse → resolve → evaluate → audit (decision) → execute → audit (outcome)
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { ToolError, errorMessage } from '../errors.js';
import type { AuditEffect, Auditor, CallerInfo, DecisionEntry } from '../audit/auditor.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { evaluate, operationEffect } from '../policy/evaluate.js';
import type { CanonicalRequest, Decision } from '../model/requests.js';
import type { AnyOperation, CallHooks, ExecuteResult, ServerContext } from './operation.js';
import type { Call, CallsInFlight } from './calls-in-flight.js';
import { valueBoundsProblem } from '../bounded-value.js';
import { LockError } from '../file-lock.js';
import { Approval, ASK_TIMEOUT_MS, requestDigest, type Answer, type AskPerson } from './ask.js';
import { limitCall, type CallLimiter } from './limits.js';

export interface Gate {
  ctx: ServerContext;
  policy: CompiledPolicy;
  /** A second policy a call must also pass: an HTTP token's preset narrows what its client may do. */
  narrowing?: CompiledPolicy | undefined;
  auditor: Auditor;
  /** Told when the audit stage cannot write: the call is refused and the operator must know. */
  onAuditFailure: (message: string) => void;
  /** The server's calls in flight, which shutdown waits for (none for `pm2-mcp explain`). */
  calls?: CallsInFlight | undefined;
  /** The server's counts of calls for the policies' `limits`, shared by every session (none for `pm2-mcp explain`: nothing is counted). */
  limiter?: CallLimiter | undefined;
}


export type DispatchResult =
  | { ok: true; result: ExecuteResult<unknown> }
  | { ok: false; error: ToolError };

export interface Decided {
  ok: true;
  request: CanonicalRequest;
  decision: Decision;
  effect: AuditEffect;
}

/** Stages 1-3 (parse, resolve, evaluate): what the gate would decide. `pm2-mcp explain` uses it too. */
export async function decide(gate: Pick<Gate, 'ctx' | 'policy' | 'narrowing'>, op: AnyOperation, rawArgs: unknown): Promise<Decided | { ok: false; error: ToolError }> {
  // 1. parse, within bounds checked without recursion first (zod, redaction and hashing recurse)
  const outOfBounds = valueBoundsProblem(rawArgs);
  if (outOfBounds !== undefined) return fail(new ToolError('INVALID_ARGUMENTS', `Invalid arguments for ${op.name}: ${outOfBounds}`));
  const parsed = op.input.safeParse(rawArgs ?? {});
  if (!parsed.success) return fail(new ToolError('INVALID_ARGUMENTS', formatZodError(op.name, parsed.error)));

  // A tool the policy turns off outright (or does not name: fail closed) is refused before any
  // I/O. A token's narrowing always enforces; the server's own policy in audit mode must resolve
  // what it would have refused, to record it.
  const named = operationEffect(gate.policy, op.name);
  const unknown = named === undefined;
  // "ask" resolves like "allow": the person must see the call as it would really run.
  const runs = (effect: string | undefined) => effect === 'allow' || effect === 'ask';
  const offByPolicy = !runs(named);
  const offByToken = gate.narrowing !== undefined && !runs(operationEffect(gate.narrowing, op.name));
  let request: CanonicalRequest;
  if (unknown || offByToken || (offByPolicy && gate.policy.mode === 'enforce')) {
    request = { kind: 'daemon', operation: op.name };
  } else {
    // 2. resolve
    try {
      request = await op.resolve(parsed.data, gate.ctx);
    } catch (err) {
      return fail(asToolError(err));
    }
  }

  // 3. evaluate (pure): the server's policy and the token's, if any. A hard refusal and a token's
  // denial are denials in every mode (docs/threat-model.md §T20): audit mode relaxes only the
  // server's own soft rules.
  const own = evaluate(request, gate.policy);
  const narrowed = gate.narrowing ? evaluate(request, gate.narrowing) : undefined;
  let decision = own;
  let binding = own.effect === 'deny' && own.hard === true;
  if (!binding && narrowed?.effect === 'deny') {
    // The config's hint would mislead: editing the config does not lift a token preset's denial.
    decision = { ...narrowed, ruleId: `token.${narrowed.ruleId}`, reason: `the caller's token is limited to the ${gate.narrowing!.preset} preset: ${narrowed.reason}`, hint: `the token's preset (${gate.narrowing!.preset}) decides this; a token whose preset allows it must make the call` };
    binding = true;
  }
  // A question either policy asks is asked (never of a denial: deny beats ask).
  if (decision.effect === 'allow' && narrowed?.effect === 'ask') decision = { ...narrowed, ruleId: `token.${narrowed.ruleId}` };
  const effect: AuditEffect = decision.effect === 'allow' ? 'allow' : decision.effect === 'ask' ? 'ask' : gate.policy.mode === 'audit' && !binding ? 'would_deny' : 'deny';
  return { ok: true, request, decision, effect };
}

/**
 * `signal`: the client's cancellation of this request (notifications/cancelled); `progress`: its
 * progress channel, if it asked for one; `ask`: how to ask its person, if the client can.
 */
export async function dispatch(gate: Gate, op: AnyOperation, rawArgs: unknown, caller: CallerInfo, signal?: AbortSignal, progress?: CallHooks['progress'], ask?: AskPerson): Promise<DispatchResult> {
  const call = gate.calls?.begin();
  try {
    const work = gatedCall(gate, op, rawArgs, caller, { signal, progress, ask }, call);
    if (!call) return await work;
    // Shutdown gives up on a call that is still being decided at once (it has not run and now
    // never will: gatedCall sees `stopping`); one that runs is waited for, and answers itself.
    const gaveUp = call.abandoned.then<DispatchResult | typeof NOT_RUN>(() => (call.executing ? work : NOT_RUN));
    const first = await Promise.race<DispatchResult | typeof NOT_RUN>([work, gaveUp]);
    if (first === NOT_RUN) {
      // Answered now; still counted in flight until its decision (if one is being written) and
      // its outcome are recorded, so that shutdown flushes the log only after them.
      void work.catch(() => undefined).finally(() => call.end());
      call.answered();
      return fail(new ToolError('SHUTTING_DOWN', 'The server is shutting down: the call was not run.'));
    }
    call.answered();
    call.end();
    return first;
  } catch (err) {
    call?.end();
    throw err;
  }
}

const NOT_RUN = Symbol('not run');

async function gatedCall(gate: Gate, op: AnyOperation, rawArgs: unknown, caller: CallerInfo, hooks: CallHooks, call: Call | undefined): Promise<DispatchResult> {
  const signal = hooks.signal;
  const decided = await decide(gate, op, rawArgs);
  const decisionId = randomUUID();
  if (!decided.ok) {
    // Refused before a decision could be made (bad arguments, an unknown process): the owner
    // still sees what was asked.
    const ruleId = decided.error.code === 'INVALID_ARGUMENTS' ? 'arguments.invalid' : `resolve.${decided.error.code}`;
    const decision: Decision = { effect: 'deny', ruleId, reason: decided.error.message };
    const unrecorded = await record(gate, { decisionId, operation: op.name, request: null, args: rawArgs, decision, effect: 'deny', caller });
    return unrecorded ?? decided;
  }
  // 3b. the limits of calls (src/server/limits.ts): a call over one is a denial, recorded as any other.
  const { decision, effect } = limitCall(gate, op.name, decided, caller);
  let request = decided.request;
  // A tool that asks asks in audit mode too: what audit mode lets run is still asked about.
  const asks = effect === 'ask' || (effect === 'would_deny' && (operationEffect(gate.policy, op.name) === 'ask' || (gate.narrowing !== undefined && operationEffect(gate.narrowing, op.name) === 'ask')));

  // 4. audit the decision before anything runs
  call?.recording(true);
  const unrecorded = await record(gate, { decisionId, operation: op.name, request, decision, effect, caller });
  if (unrecorded || effect === 'deny') {
    call?.recording(false);
    return unrecorded ?? fail(denial(decision));
  }

  // 5. execute, 6. audit the outcome
  const started = performance.now();
  let asked: Answer | undefined;
  const recordOutcome = (outcome: DispatchResult, ended?: 'cancelled' | 'abandoned'): DispatchResult => {
    const affected = outcome.ok ? (outcome.result.affected ?? []) : [];
    // Queued behind the decision, in order, and written without holding up the reply: the
    // decision record, which must precede the action, is the one the call waits for. The server
    // flushes the queue before it exits.
    void gate.auditor
      .outcome({ decisionId, ok: outcome.ok, durationMs: performance.now() - started, affected, ...(outcome.ok ? {} : { error: outcome.error.message }), ...(ended ? { ended } : {}), ...(asked ? { asked: { action: asked.action, approved: asked.approved } } : {}) })
      .catch((err: unknown) => gate.onAuditFailure(`The outcome of ${op.name} (${decisionId}) could not be recorded: ${errorMessage(err)}`));
    return outcome;
  };
  // 4b. a person approves this exact call, or it does not run (the decision record says "ask";
  // the outcome record says what was answered). Once approved, the call is resolved and decided
  // again: what would run now must be what the person saw (a folder swapped for a link, a
  // process deleted and started again under its name meanwhile, and the approval is void).
  if (asks) {
    asked = await askPerson(hooks, op.name, request, decision, signal);
    const approval = asked.approved ? new Approval(requestDigest(request), Date.now() + ASK_TIMEOUT_MS) : undefined;
    // The rule that asks: a tool's own "ask" in audit mode, where the decision names the rule that would deny.
    const asking = effect === 'ask' ? decision : { ...decision, ruleId: `tools.${op.name}` };
    if (!approval) return recordOutcome(fail(askRefusal(asking, asked)));
    const again = await decide(gate, op, rawArgs);
    const still = again.ok && (again.decision.effect !== 'deny' || effect === 'would_deny');
    if (!still || !approval.take(again.request)) {
      return recordOutcome(fail(new ToolError('POLICY_DENIED', `Not run: the person approved a call that changed while they were asked (${again.ok ? 'what would run now is not what the question showed' : again.error.message}). Nothing was done; call again to be asked about it as it is now.`, { rule: decision.ruleId, asked: asked.action })));
    }
    request = again.request;
  }
  // A request the client cancelled while it was being decided does not run; nor does one that
  // reaches this point after shutdown began.
  if (signal?.aborted) return recordOutcome(fail(new ToolError('CANCELLED', 'The client cancelled the request before it ran: nothing was done.')), 'cancelled');
  if (call?.stopping) return recordOutcome(fail(new ToolError('SHUTTING_DOWN', 'The server is shutting down: the call was not run.')), 'abandoned');
  let outcome: DispatchResult;
  call?.begunExecuting();
  try {
    const executed = op.execute(request, gate.ctx, hooks).then((result): DispatchResult => ({ ok: true, result }));
    const gaveUp = call ? call.abandoned.then((): 'abandoned' => 'abandoned') : new Promise<never>(() => undefined);
    const first = await Promise.race([executed, gaveUp]);
    if (first === 'abandoned') {
      // pm2 may still finish the action: the record says the server stopped waiting, not that it failed.
      executed.catch(() => undefined);
      return recordOutcome(fail(new ToolError('ABANDONED', 'The server shut down before pm2 answered: the action may or may not have completed. Check with pm2_list_processes.')), 'abandoned');
    }
    outcome = first;
  } catch (err) {
    outcome = fail(asToolError(err));
  }
  return recordOutcome(outcome);
}

async function askPerson(hooks: CallHooks, operation: string, request: CanonicalRequest, decision: Decision, signal: AbortSignal | undefined): Promise<Answer> {
  if (!hooks.ask) return { action: 'no_capability', approved: false, detail: 'this client cannot ask a person (it declared no form elicitation capability)' };
  try {
    return await hooks.ask({ operation, request, ruleId: decision.ruleId, reason: decision.reason, sha256: requestDigest(request) }, signal);
  } catch (err) {
    return { action: 'failed', approved: false, detail: `the question could not be asked: ${errorMessage(err)}` };
  }
}

function askRefusal(decision: Decision, answer: Answer): ToolError {
  return new ToolError('POLICY_DENIED', `Not run: rule ${decision.ruleId} asks a person first, and ${answer.detail}. Nothing was done.`, { rule: decision.ruleId, reason: decision.reason, asked: answer.action });
}

/** Writes the decision record; a failure to write refuses the call, and the operator is told. */
async function record(gate: Gate, entry: DecisionEntry): Promise<{ ok: false; error: ToolError } | undefined> {
  try {
    await gate.auditor.decision(entry);
    return undefined;
  } catch (err) {
    const message = `The audit log could not be written, so nothing was run: ${errorMessage(err)}`;
    gate.onAuditFailure(message);
    return fail(new ToolError('AUDIT_UNAVAILABLE', message));
  }
}

function fail(error: ToolError): { ok: false; error: ToolError } {
  return { ok: false, error };
}

export function denial(decision: Decision): ToolError {
  const hint = decision.hint ? ` To allow it: ${decision.hint}.` : '';
  return new ToolError('POLICY_DENIED', `Denied by rule ${decision.ruleId}: ${decision.reason}.${hint}`, { rule: decision.ruleId, reason: decision.reason, ...(decision.hint ? { hint: decision.hint } : {}) });
}

function asToolError(err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  // A lock another pm2-mcp holds too long (the start lock): the caller may try again later.
  if (err instanceof LockError) return new ToolError('LOCK_UNAVAILABLE', err.message);
  return new ToolError('INTERNAL', errorMessage(err));
}

/** One line per problem, naming the argument: "unknown key foo", "lines: at most 1000". */
export function formatZodError(operation: string, error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown argument${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    const path = issue.path.length ? issue.path.join('.') : 'arguments';
    return `${path}: ${issue.message}`;
  });
  return `Invalid arguments for ${operation}: ${problems.join('; ')}`;
}
