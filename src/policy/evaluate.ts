// The decision as a pure function of a canonical request and a policy. Until the policy gate
// lands (its own issue), the only policy is "allow everything", but every call already passes
// through here, so the gate has one place to live.
import type { CanonicalRequest, Decision } from './types.js';

export interface Policy {
  name: string;
}

export const ALLOW_ALL: Policy = { name: 'allow-all' };

export function evaluate(request: CanonicalRequest, policy: Policy): Decision {
  try {
    return { effect: 'allow', ruleId: `${policy.name}.default`, reason: `${request.operation} is allowed: no policy restricts it yet` };
  } catch (err) {
    // An error while deciding is a deny, never an allow.
    return { effect: 'deny', ruleId: 'engine.error', reason: `the policy could not decide: ${(err as Error).message}` };
  }
}
