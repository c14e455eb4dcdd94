// How a decision is made up and worded: allow, deny and a hard denial; a path relative to the
// root where it lies inside; the config file a hint tells the owner to edit.
import { relative } from 'node:path';
import type { Decision } from '../model/requests.js';
import type { CompiledPolicy } from './compile.js';

export function allow(ruleId: string, reason: string): Decision {
  return { effect: 'allow', ruleId, reason };
}

export function deny(ruleId: string, reason: string, hint?: string): Decision {
  return hint ? { effect: 'deny', ruleId, reason, hint } : { effect: 'deny', ruleId, reason };
}

/** A denial that holds in audit mode too: letting it run would corrupt pm2 or pm2-mcp itself. */
export function hard(decision: Decision): Decision {
  return { ...decision, hard: true };
}

export function relativeTo(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/**
 * The file a hint tells the owner to edit: the top config file of the chain (the one that wins
 * over what it extends). With none, the one to make, and how.
 */
export function configName(policy: CompiledPolicy): string {
  return policy.configFile ?? `a pm2-mcp.config.json (none is found from ${policy.root}: \`pm2-mcp init\` writes one)`;
}
