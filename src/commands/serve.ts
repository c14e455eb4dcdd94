// `pm2-mcp serve`: load the policy, choose PM2_HOME, open the audit log, connect the gate to
// pm2, and serve MCP over the chosen transport until it ends (the client leaves) or a signal
// stops it.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog, policyRecord, serverRecord } from '../audit/audit-log.js';
import { LOCK_WAIT_MS } from '../file-lock.js';
import { NO_AUDIT, type Auditor } from '../audit/auditor.js';
import { auditFile } from '../audit/location.js';
import { choosePm2Home, describeFallback } from '../home.js';
import type { Io } from '../io.js';
import { CONFIG_DEFAULTS } from '../model/config.js';
import { TOOL_CATALOG } from '../model/tools.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { ProcessHistory } from '../pm2/process-history.js';
import { registerServer, serverRegistryDir, useServerRegistry } from '../pm2/self.js';
import { shareReads } from '../pm2/shared-reads.js';
import { hiddenFor, type CompiledPolicy } from '../policy/compile.js';
import { scrubEnvironment } from '../scrub-env.js';
import { CallsInFlight } from '../server/calls-in-flight.js';
import { CallLimiter } from '../server/limits.js';
import { createMcpServer, policyChanged } from '../server/create-server.js';
import type { SessionFactory } from '../transport/types.js';
import { NAME, VERSION } from '../version.js';
import { gateFactory, realFile, serverFacts } from './gate.js';
import { loadPolicy } from './load-policy.js';
import { LivePolicy } from './live-policy.js';
import { tokenNarrowings } from './tokens.js';
import { openTransport, type TransportChoice } from './transports.js';

export interface ServeOptions {
  command: 'serve';
  pm2Home?: string;
  noDaemon: boolean;
  configFile?: string;
  policy?: string;
  auditFile?: string;
  transport: TransportChoice;
}

/** How long the pm2 connection may take to close once the clients left. */
const CLOSE_BOUND_MS = 5_000;
/** How long shutdown waits for the calls in flight before it answers them as abandoned. */
const DRAIN_MS = 10_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function serve(options: ServeOptions, io: Io): Promise<number> {
  // A config error stops the server before it serves anything (the CLI prints it, exit 2).
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });

  const notices: string[] = [];
  // A working folder that is no project gives readonly: say why, or the agent only sees tools missing.
  const refused = policy.rootRefused;
  if (refused) notices.push(refused);
  const fallback = describeFallback(home);
  if (fallback) notices.push(fallback);
  if (home.exposure) notices.push(`PM2_HOME is not private: ${home.exposure}. Any process that can reach its rpc.sock controls pm2.`);
  for (const n of notices) io.stderr(`pm2-mcp: ${n}`);
  io.stderr(`pm2-mcp: policy ${policy.preset}${policy.configFile ? ` from ${policy.configFile}` : ''} (${policy.mode}), PM2_HOME=${home.home}`);
  const auditor = createAuditor(options, policy, home.home);
  io.stderr(`pm2-mcp: audit log ${auditor instanceof AuditLog ? auditor.file : 'off (audit.enabled is false)'}`);

  // Under pm2 (directly, or as a child of npm or a shell), pm2 gave this process its app's pm_id:
  // recorded, so that no client of any server on this home can stop this one (src/pm2/self.ts).
  const unregister = registerUnderPm2(process.env, home.home);
  useServerRegistry(serverRegistryDir(home.home));
  scrubEnvironment(process.env, policy.start.env.passThrough);
  const live = liveSessions();
  // The policy in force now (a live change replaces it): whether a daemon may be spawned follows it.
  let current = policy;
  const connection = createPm2Adapter({
    home: home.home,
    noDaemon: options.noDaemon,
    spawnDaemon: () => mayChangeProcesses(current),
    // What the bus says while the server runs: pm2_diagnose_process and combined tails read it.
    history: new ProcessHistory(),
    // Otherwise the next list just shows nothing, and the agent never learns its processes died.
    onDaemonReplaced: ({ oldPid, newPid, processes }) => {
      const managed = processes === undefined ? '' : ` (the new one manages ${processes})`;
      const said = `the pm2 daemon of PM2_HOME=${home.home} was replaced (pid ${oldPid} → pid ${newPid}): the processes it ran are gone unless pm2 resurrected them${managed}`;
      io.stderr(`pm2-mcp: ${said}`);
      live.warn(said);
    },
  });
  // One adapter for every session: their concurrent reads share one pm2 call (src/pm2/shared-reads.ts).
  const pm2 = shareReads(connection, { maxAgeMs: policy.config.reads?.maxAgeMs ?? CONFIG_DEFAULTS.reads.maxAgeMs });
  // The policy learns where pm2 keeps its files and which files are pm2-mcp's own, so it can
  // refuse them as log files (docs/threat-model.md §T9); a token's preset learns the same.
  const calls = new CallsInFlight();
  const drain = () => calls.drain(DRAIN_MS);
  const parts = {
    pm2,
    facts: serverFacts(home.home, auditor instanceof AuditLog ? [auditor.file] : []),
    auditor,
    onAuditFailure: (message: string) => io.stderr(`pm2-mcp: ${message}`),
    calls,
    // One for the server's whole life: the gates of a new policy keep counting where the old ones
    // were (a reload must not reset a limit), with the new policy's numbers.
    limiter: new CallLimiter(),
  };
  // The policy can change while the server runs (src/commands/live-policy.ts): each call takes
  // the gate of the policy current when it begins.
  let gate = gateFactory({ ...parts, policy });
  let narrowings = new Map<string, CompiledPolicy | undefined>();
  const livePolicy = new LivePolicy(policy, { cwd: process.cwd(), configFile: options.configFile, policy: options.policy }, {
    changed: async ({ before, after }) => {
      // The tokens the server accepts stay (http.* is read at start); their presets follow.
      const tokens = options.transport.name === 'http' ? await tokenNarrowings(after).catch(() => narrowings) : narrowings;
      gate = gateFactory({ ...parts, policy: after });
      current = after;
      narrowings = tokens;
      const said = `the policy changed (${describePolicy(after)}): calls from now on are decided by it`;
      io.stderr(`pm2-mcp: ${said}`);
      live.say('info', said);
      live.policyChanged();
      await policyRecorded(auditor, before, after, io);
    },
    invalid: (message) => {
      const said = `the config changed but does not load, so the last good policy stays: ${message}`;
      io.stderr(`pm2-mcp: ${said}`);
      live.say('warning', said);
    },
  }, (a, b) => policyRecord(a).sha256 === policyRecord(b).sha256 && a.mode === b.mode && a.preset === b.preset);
  const sessions: SessionFactory = ({ principal, narrowing }) => {
    // A token's preset as the policy now gives it (reloaded), else as the transport began with it.
    const narrowed = () => (narrowings.has(principal) ? narrowings.get(principal) : narrowing);
    return live.add(createMcpServer({ name: NAME, version: VERSION, transport: options.transport.name, principal, notices, hidden: () => hiddenFor(livePolicy.policy, narrowed()), gate: () => gate(narrowed()) }));
  };

  const transport = await openTransport(options.transport, { policy, home: home.home, io });
  const listening = new AbortController();
  try {
    const signalled = Promise.race(STOP_SIGNALS.map((name) => once(process, name, { signal: listening.signal }).then(() => name)));
    // Rejected when the listeners are removed below, once nothing waits for it.
    signalled.catch(() => undefined);
    await transport.start(sessions);
    const why = await Promise.race([transport.ended, signalled]);
    await transport.stop(why, drain);
  } finally {
    listening.abort();
    livePolicy.close();
  }
  // Calls answered at shutdown may still be writing their decision and outcome (behind the audit
  // lock): the log is flushed after them, within the lock's own bound.
  const { abandoned, notRun } = await calls.settled(LOCK_WAIT_MS + 1_000);
  const calls_ = (n: number) => `${n} call${n === 1 ? '' : 's'}`;
  if (notRun) io.stderr(`pm2-mcp: ${calls_(notRun)} not yet run when the server began to stop: answered SHUTTING_DOWN, never run`);
  if (abandoned) io.stderr(`pm2-mcp: ${calls_(abandoned)} still running after ${DRAIN_MS / 1000} s: answered ABANDONED and recorded so`);
  // Never let a wedged daemon connection keep the server alive after its clients left.
  await Promise.race([pm2.close().catch(() => undefined), sleep(CLOSE_BOUND_MS, undefined, { ref: false })]);
  await auditor.flush();
  if (auditor instanceof AuditLog && auditor.unwrittenOutcomes > 0) {
    io.stderr(`pm2-mcp: ${auditor.unwrittenOutcomes} outcome record(s) could not be written to ${auditor.file} before exit (see the errors above): their decisions stand without an outcome`);
  }
  unregister();
  return 0;
}

/** The sessions connected now, so that news of the daemon reaches every client at once. */
function liveSessions() {
  const servers = new Set<ReturnType<SessionFactory>>();
  return {
    add(server: ReturnType<SessionFactory>) {
      servers.add(server);
      server.onclose = () => servers.delete(server);
      return server;
    },
    /** A logging notification to each initialized session; a session that cannot take it misses it. */
    warn(data: string) {
      this.say('warning', data);
    },
    say(level: 'info' | 'warning', data: string) {
      for (const server of servers) {
        if (server.getClientCapabilities() === undefined) continue;
        void server.sendLoggingMessage({ level, logger: 'pm2-mcp', data }).catch(() => undefined);
      }
    },
    /** Each session whose visible tools changed is told. */
    policyChanged() {
      for (const server of servers) policyChanged(server);
    },
  };
}

/** Registers this server when pm2 manages it (or its ancestor) in the home it serves. */
function registerUnderPm2(env: NodeJS.ProcessEnv, home: string): () => void {
  const pmId = env.pm_id !== undefined && /^\d{1,9}$/.test(env.pm_id) ? Number(env.pm_id) : undefined;
  if (pmId === undefined) return () => undefined;
  // pm2 hands its apps PM2_HOME; a server managed by another home's daemon is not in this list.
  if (env.PM2_HOME !== undefined && realFile(env.PM2_HOME) !== realFile(home)) return () => undefined;
  try {
    return registerServer(serverRegistryDir(home), pmId);
  } catch {
    return () => undefined;
  }
}

function createAuditor(options: ServeOptions, policy: CompiledPolicy, home: string): Auditor {
  const settings = policy.config.audit ?? {};
  if (!(settings.enabled ?? CONFIG_DEFAULTS.audit.enabled)) return NO_AUDIT;
  const fsync = settings.fsync ?? CONFIG_DEFAULTS.audit.fsync;
  return new AuditLog({
    file: auditFile({ flag: options.auditFile, env: process.env, policy, home, cwd: process.cwd() }),
    fsync: fsync === 'always' ? true : fsync === false ? false : 'actions',
    maxBytes: settings.maxBytes ?? CONFIG_DEFAULTS.audit.maxBytes,
    policy: policyRecord(policy),
    server: serverRecord(VERSION),
  });
}

function describePolicy(policy: CompiledPolicy): string {
  return `${policy.preset}${policy.configFile ? ` from ${policy.configFile}` : ''}, ${policy.mode}`;
}

/** The audit log says when the policy its later records name came in, and from which files. */
async function policyRecorded(auditor: Auditor, before: CompiledPolicy, after: CompiledPolicy, io: Io): Promise<void> {
  if (!(auditor instanceof AuditLog)) return;
  try {
    await auditor.policyChanged(policyRecord(before), policyRecord(after));
  } catch (err) {
    io.stderr(`pm2-mcp: the policy change could not be recorded in the audit log: ${(err as Error).message}`);
  }
}

/**
 * A policy that can only read never spawns a pm2 daemon as a side effect (doctor says which).
 * A tool that asks may run once approved: it counts as one that changes.
 */
export function mayChangeProcesses(policy: CompiledPolicy): boolean {
  return policy.mode === 'audit' || TOOL_CATALOG.some((t) => !t.readOnly && policy.tools[t.name] !== 'deny');
}
