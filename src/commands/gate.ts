// The gate of a session, built in one place for serve and explain: the server's policy (with
// the facts only the running server knows), a token's narrowing policy if any, the pm2
// connection, the audit log, and the counts of calls the limits keep (one for every session).
import { join } from 'node:path';
import type { Auditor } from '../audit/auditor.js';
import { auditFile } from '../audit/location.js';
import { CONFIG_DEFAULTS } from '../model/config.js';
import type { ServerFacts } from '../model/requests.js';
import type { Pm2Adapter } from '../pm2/adapter.js';
import { withServerFacts, type CompiledPolicy } from '../policy/compile.js';
import { realOrUndefined, withRealFolder } from '../real-path.js';
import type { CallsInFlight } from '../server/calls-in-flight.js';
import type { Gate } from '../server/dispatch.js';
import { CallLimiter } from '../server/limits.js';

export interface GateParts {
  pm2: Pm2Adapter;
  /** The server's own policy. */
  policy: CompiledPolicy;
  /** Where pm2 keeps its files and which files are pm2-mcp's own: refused as log files. */
  facts?: ServerFacts | undefined;
  auditor: Auditor;
  /** Told when the audit stage cannot write: the call is refused and the operator must know. */
  onAuditFailure: (message: string) => void;
  /** The server's calls in flight, shared by every session: shutdown waits for them. */
  calls?: CallsInFlight | undefined;
  /** The counts of calls for `limits`; one is made if not given. Whoever swaps the policy keeps it, or a reload would reset every count. */
  limiter?: CallLimiter | undefined;
}

/** Makes the gate of one session; `narrowing` is the second policy its calls must also pass. */
export type GateFactory = (narrowing?: CompiledPolicy) => Gate;

export function gateFactory(parts: GateParts): GateFactory {
  const { facts } = parts;
  const withFacts = (policy: CompiledPolicy) => (facts ? withServerFacts(policy, facts) : policy);
  const policy = withFacts(parts.policy);
  // Made once per server, not per session: a limit counts the calls of every session.
  const limiter = parts.limiter ?? new CallLimiter();
  return (narrowing) => ({
    ctx: { pm2: parts.pm2, root: policy.root, redactEnv: policy.output.redactEnv || (narrowing?.output.redactEnv ?? false), policy },
    policy,
    narrowing: narrowing ? withFacts(narrowing) : undefined,
    auditor: parts.auditor,
    onAuditFailure: parts.onAuditFailure,
    calls: parts.calls,
    limiter,
  });
}

/**
 * The facts of a server on `home` whose own files are `ownFiles` (its audit log). Paths reach
 * the policy with their folders' real paths: each own file is given both ways.
 */
export function serverFacts(home: string, ownFiles: readonly string[]): ServerFacts {
  const realHome = realFile(home);
  return { pm2Home: realHome, pm2LogDir: join(realHome, 'logs'), ownFiles: [...new Set(ownFiles.flatMap((f) => [f, realFile(f)]))] };
}

/**
 * The facts `serve` gives its policy, for the commands that decide as it would without serving
 * (explain, test): the home, and the audit log it would write when the policy keeps one.
 */
export function servedFacts(opts: { policy: CompiledPolicy; home: string; auditFlag?: string | undefined; env: Record<string, string | undefined>; cwd: string }): ServerFacts {
  const enabled = opts.policy.config.audit?.enabled ?? CONFIG_DEFAULTS.audit.enabled;
  return serverFacts(opts.home, enabled ? [auditFile({ flag: opts.auditFlag, env: opts.env, policy: opts.policy, home: opts.home, cwd: opts.cwd })] : []);
}

/** The real path of a file, or, while it does not exist yet, its folder's. */
export function realFile(path: string): string {
  return realOrUndefined(path) ?? withRealFolder(path);
}
