// Which processes the policy lets mutating tools touch: by name, by namespace, or by a cwd inside
// the root. A pm2-mcp server is never in scope (docs/threat-model.md §T21).
import type { ProcessRef } from '../model/requests.js';
import type { CompiledPolicy } from './compile.js';
import { insideRoot } from './globs.js';

export function inScope(p: ProcessRef, policy: CompiledPolicy): boolean {
  if (p.server === true) return false;
  const s = policy.processes;
  if (s.names.test(p.name) || s.namespaces.test(p.namespace)) return true;
  return s.inRoot && p.cwd !== null && insideRoot(p.cwd, policy.root);
}

/** "api (pm_id 3), web (pm_id 4)": how a decision names processes. */
export function named(ps: readonly ProcessRef[]): string {
  return ps.map((p) => `${p.name} (pm_id ${p.pm_id})`).join(', ');
}
