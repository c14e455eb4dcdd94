// Which ecosystem files may be read, decided once: resolve asks before it reads a file (one the
// policy does not allow is not even opened: its content would reach the agent through parse
// errors), and evaluate asks again for every app that came from a file.
import type { CompiledPolicy } from './compile.js';
import { configName, relativeTo } from './decision.js';
import type { Refusal } from './rule.js';

/** A JSON or YAML file by the globs of start.ecosystemFiles; a JavaScript file only when named exactly (reading it runs it). */
export function ecosystemFileRefusal(policy: CompiledPolicy, file: string): Refusal | undefined {
  const s = policy.start;
  if (s.jsEcosystemFiles.has(file) || s.ecosystemFiles.test(file)) return undefined;
  return { reason: `the ecosystem file ${file} is not one the policy allows`, hint: `add "${relativeTo(policy.root, file)}" to start.ecosystemFiles in ${configName(policy)}` };
}
