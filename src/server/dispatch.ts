// The gate: every tool call and every resource read passes here, and only here reaches pm2.
//   parse → resolve → evaluate → audit (decision) → execute → audit (outcome)
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ToolError, errorMessage } from '../errors.js';
import type { Auditor, CallerInfo } from '../audit/auditor.js';
import { evaluate, type Policy } from '../policy/evaluate.js';
import type { CanonicalRequest, Decision } from '../policy/types.js';
import type { AnyOperation, ExecuteResult, ServerContext } from './operation.js';

export interface Gate {
  ctx: ServerContext;
  policy: Policy;
  auditor: Auditor;
  /** Told when the audit stage cannot write: the call is refused and the operator must know. */
  onAuditFailure: (message: string) => void;
}

export type DispatchResult =
  | { ok: true; result: ExecuteResult<unknown> }
  | { ok: false; error: ToolError };

export async function dispatch(gate: Gate, op: AnyOperation, rawArgs: unknown, caller: CallerInfo): Promise<DispatchResult> {
  // 1. parse
  const parsed = op.input.safeParse(rawArgs ?? {});
  if (!parsed.success) return fail(new ToolError('INVALID_ARGUMENTS', formatZodError(op.name, parsed.error)));

  // 2. resolve
  let request: CanonicalRequest;
  try {
    request = await op.resolve(parsed.data, gate.ctx);
  } catch (err) {
    return fail(asToolError(err));
  }

  // 3. evaluate (pure)
  const decision: Decision = evaluate(request, gate.policy);

  // 4. audit the decision before anything runs
  const decisionId = randomUUID();
  try {
    await gate.auditor.decision({ decisionId, operation: op.name, request, decision, caller });
  } catch (err) {
    const message = `The audit log could not be written, so nothing was run: ${errorMessage(err)}`;
    gate.onAuditFailure(message);
    return fail(new ToolError('AUDIT_UNAVAILABLE', message));
  }
  if (decision.effect === 'deny') {
    return fail(new ToolError('POLICY_DENIED', `Denied by ${decision.ruleId}: ${decision.reason}`, { rule: decision.ruleId, hint: decision.hint }));
  }

  // 5. execute, 6. audit the outcome
  const started = performance.now();
  let outcome: DispatchResult;
  try {
    outcome = { ok: true, result: await op.execute(request, gate.ctx) };
  } catch (err) {
    outcome = fail(asToolError(err));
  }
  const affected = outcome.ok ? (outcome.result.affected ?? []) : [];
  await gate.auditor
    .outcome({ decisionId, ok: outcome.ok, durationMs: performance.now() - started, affected, ...(outcome.ok ? {} : { error: outcome.error.message }) })
    .catch((err) => gate.onAuditFailure(`The outcome of ${op.name} (${decisionId}) could not be recorded: ${errorMessage(err)}`));
  return outcome;
}

function fail(error: ToolError): DispatchResult {
  return { ok: false, error };
}

function asToolError(err: unknown): ToolError {
  if (err instanceof ToolError) return err;
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
