// Why a process is in the state it is, in facts: each finding says what was seen and where it
// was read (pm2's stored fields, pm2.log, the server's own bus history, a log file), and the
// next step an operator would take follows from the findings, never from a guess or a score.
// Pure: the tool (src/server/tools/diagnose.ts) gathers the inputs.
import type { DaemonLogRead, LoggedExit } from './daemon-log.js';
import { headline, type ErrorEntry } from './error-groups.js';
import type { HeardEvent, HistoryCoverage } from './process-history.js';
import { PM2_DEFAULT_MIN_UPTIME_MS } from './bus.js';
import type { Pm2RawProcess } from './types.js';
import { pmIdOf, processName } from './views.js';

export const RECENT_MS = 10 * 60_000;
/** Online and writing nothing for this long is said (with its cpu): a stuck loop writes nothing. */
export const SILENT_MS = 5 * 60_000;
/** Exits shown, the newest. */
export const EXITS_SHOWN = 10;

export interface DiagnosisInput {
  proc: Pm2RawProcess;
  now: number;
  heard?: { events: readonly HeardEvent[]; coverage: HistoryCoverage; lastLineAt?: number | undefined } | undefined;
  daemonLog: DaemonLogRead;
  errors: { entries: ErrorEntry[]; file?: string | undefined; unavailable?: string | undefined };
  /** When each log file was last written (its mtime), when it exists. */
  lastWritten: { out?: number | undefined; err?: number | undefined };
}

export interface Exit {
  at: string;
  code?: number;
  signal?: string;
  /** How long that run had been up. */
  up_ms?: number;
  source: 'bus' | 'pm2.log';
}

export interface Finding {
  kind: 'restart_loop' | 'gave_up' | 'memory_restart' | 'memory_near_limit' | 'crashed' | 'stopped' | 'silent' | 'port_in_use' | 'module_missing' | 'stable';
  fact: string;
  source: string;
}

export interface Diagnosis {
  pm_id: number;
  name: string;
  status: string;
  restarts: { total: number; recent: number; unstable: number; recent_window_ms: number };
  exits: Exit[];
  findings: Finding[];
  /** How long the online process has written nothing (newest of its log files and the bus). */
  silent_ms?: number;
  cpu?: number;
  memory?: number;
  errors: ErrorEntry[];
  /** Why the err log was not read (a link, a FIFO, not the file checked …): its entries are then unknown, not none. */
  error_log_unread?: string;
  next_steps: Array<{ step: string; because: string }>;
  /** What the server's own history covers: events before `since` come from pm2.log only. */
  history: { listening: boolean; since?: string };
}

export function diagnose(input: DiagnosisInput): Diagnosis {
  const { proc, now } = input;
  const env = proc.pm2_env ?? {};
  const pmId = pmIdOf(proc) ?? -1;
  const name = processName(proc);
  const status = typeof env.status === 'string' ? env.status : 'unknown';
  const minUptime = typeof env.min_uptime === 'number' ? env.min_uptime : PM2_DEFAULT_MIN_UPTIME_MS;
  // pm2.log names a process by name and pm_id only, and pm2 gives both again after a delete:
  // what it wrote before this process was created is another process's. pm2.log is to the
  // second, so the second it was created in is left out too: a fact missed rather than a false one.
  const createdAt = typeof env.created_at === 'number' ? Math.floor(env.created_at / 1000) * 1000 : undefined;
  const mine = <T extends { at: number }>(list: readonly T[]) => (createdAt === undefined ? [...list] : list.filter((x) => x.at > createdAt));
  const all = 'facts' in input.daemonLog ? input.daemonLog.facts : undefined;
  const logged = all && { exits: mine(all.exits), memoryRestarts: mine(all.memoryRestarts), gaveUp: mine(all.gaveUp) };
  const exits = exitsOf(input, logged?.exits ?? [], all?.exits ?? []);
  const recent = exits.filter((e) => now - Date.parse(e.at) <= RECENT_MS);
  const findings: Finding[] = [];
  const steps: Array<{ step: string; because: string }> = [];
  const errored = status === 'errored';
  const heardGaveUp = input.heard?.events.some((e) => e.event === 'restart overlimit');
  const gaveUp = logged?.gaveUp.at(-1);
  const unstable = typeof env.unstable_restarts === 'number' ? env.unstable_restarts : 0;
  const total = typeof env.restart_time === 'number' ? env.restart_time : 0;
  const shortRuns = recent.filter((e) => e.up_ms !== undefined && e.up_ms < minUptime).length;
  const lastExit = exits.at(-1);
  const exitWords = lastExit ? exitText(lastExit) : typeof env.exit_code === 'number' ? `exit code ${env.exit_code}` : undefined;

  if (errored && (heardGaveUp || gaveUp)) {
    findings.push({ kind: 'gave_up', fact: `pm2 gave up restarting it${gaveUp ? ` after ${gaveUp.restarts} unstable restarts` : ''}: each run ended before its min_uptime (${minUptime} ms); status errored${exitWords ? `, last ${exitWords}` : ''}`, source: heardGaveUp ? 'bus (restart overlimit)' : 'pm2.log' });
  } else if (errored) {
    findings.push({ kind: 'gave_up', fact: `status errored${exitWords ? `, last ${exitWords}` : ''}: pm2 does not restart it any more`, source: 'pm2 (status)' });
  }
  if (!errored && (recent.length >= 3 && shortRuns >= 2 ? true : unstable >= 3)) {
    findings.push({ kind: 'restart_loop', fact: `restart loop: ${recent.length} exits in the last ${RECENT_MS / 60_000} min${shortRuns ? `, ${shortRuns} before its min_uptime (${minUptime} ms)` : ''}; ${unstable} unstable restarts${exitWords ? `; last ${exitWords}` : ''}`, source: sourceOf(recent, 'pm2 (unstable_restarts)') });
  }
  if (errored || findings.some((f) => f.kind === 'restart_loop')) {
    steps.push({ step: `read the error log: pm2_tail_logs {"process": ${pmId}, "type": "err"}`, because: 'the exits above' });
  }
  const memRestarts = (logged?.memoryRestarts ?? []).filter((m) => now - m.at <= RECENT_MS);
  const lastMem = logged?.memoryRestarts.at(-1);
  if (lastMem) {
    const n = memRestarts.length;
    findings.push({ kind: 'memory_restart', fact: `restarted by max_memory_restart: ${mib(lastMem.memory)} used, limit ${mib(lastMem.limit)}${n ? `; ${n} time${n === 1 ? '' : 's'} in the last ${RECENT_MS / 60_000} min` : ''} (last ${new Date(lastMem.at).toISOString()})`, source: 'pm2.log' });
    steps.push({ step: 'raise max_memory_restart, or find what grows (a leak, a cache without a bound)', because: 'pm2 restarted it for its memory' });
  }
  const limit = typeof env.max_memory_restart === 'number' ? env.max_memory_restart : undefined;
  const memory = proc.monit?.memory;
  if (limit !== undefined && memory !== undefined && memory >= 0.9 * limit && status === 'online') {
    findings.push({ kind: 'memory_near_limit', fact: `memory ${mib(memory)} of its max_memory_restart ${mib(limit)}: pm2 restarts it past the limit`, source: 'pm2 (monit, max_memory_restart)' });
  }
  if (status === 'stopped' && !errored) {
    const how = lastExit ? `; it last ${exitText(lastExit)}` : '';
    const auto = env.autorestart === false ? ' (autorestart is off)' : '';
    findings.push({ kind: lastExit && lastExit.code !== undefined && lastExit.code !== 0 ? 'crashed' : 'stopped', fact: `stopped${auto}${how}`, source: lastExit ? lastExit.source : 'pm2 (status)' });
    steps.push({ step: `start it again: pm2_restart_process {"process": ${pmId}, "waitUntil": "online"}`, because: 'it is stopped' });
  }
  for (const entry of input.errors.entries) {
    const text = entry.lines.join('\n');
    const port = /EADDRINUSE[^\n]*?:(\d{1,5})\b/.exec(text)?.[1];
    if (port !== undefined && !findings.some((f) => f.kind === 'port_in_use')) {
      findings.push({ kind: 'port_in_use', fact: `port ${port} was in use when it tried to listen (EADDRINUSE)`, source: errSource(input) });
      steps.push({ step: `check the port: which process listens on ${port} (another instance of this app, or another app); change the app's port or stop that one`, because: 'EADDRINUSE in its error log' });
    }
    const mod = /Cannot find module '([^']{1,200})'/.exec(text)?.[1];
    if (mod !== undefined && !findings.some((f) => f.kind === 'module_missing')) {
      findings.push({ kind: 'module_missing', fact: `a module is missing: ${mod}`, source: errSource(input) });
      steps.push({ step: 'install its dependencies in its cwd (npm ci), or fix the script path', because: `Cannot find module '${mod}'` });
    }
  }
  const lastLine = Math.max(input.heard?.lastLineAt ?? 0, input.lastWritten.out ?? 0, input.lastWritten.err ?? 0);
  const uptime = typeof env.pm_uptime === 'number' ? now - env.pm_uptime : undefined;
  let silent: number | undefined;
  if (status === 'online') {
    // Silent since the later of its last line and its start: a process that just started is not silent.
    const since = Math.max(lastLine, typeof env.pm_uptime === 'number' ? env.pm_uptime : 0);
    if (since > 0) silent = Math.max(0, now - since);
    if (silent !== undefined && silent >= SILENT_MS) {
      const cpu = proc.monit?.cpu;
      findings.push({ kind: 'silent', fact: `silent for ${duration(silent)}${cpu !== undefined ? `, cpu ${cpu} %` : ''}${lastLine > 0 ? ` (last line ${new Date(lastLine).toISOString()})` : ', no line written since it started'}`, source: lastLine > 0 && lastLine === input.heard?.lastLineAt ? 'bus' : 'log file mtime' });
      steps.push({ step: 'check it still works: its port or health endpoint; with cpu 0 % and no output it may wait on something that never comes', because: 'it wrote nothing for a while' });
    }
  }
  if (findings.length === 0 && status === 'online') {
    findings.push({ kind: 'stable', fact: `online${uptime !== undefined ? ` for ${duration(uptime)}` : ''}; ${recent.length} exit${recent.length === 1 ? '' : 's'} in the last ${RECENT_MS / 60_000} min`, source: sourceOf(recent, 'pm2 (status, pm_uptime)') });
  }
  if (input.errors.entries.length > 0 && !steps.some((s) => s.step.startsWith('read the error log'))) {
    steps.push({ step: `read the error log: pm2_tail_logs {"process": ${pmId}, "type": "err"}`, because: `its last error: ${headline(input.errors.entries.at(-1)!)}`.slice(0, 300) });
  }
  const coverage = input.heard?.coverage;
  return {
    pm_id: pmId,
    name,
    status,
    restarts: { total, recent: recent.length, unstable, recent_window_ms: RECENT_MS },
    exits: exits.slice(-EXITS_SHOWN),
    findings,
    ...(silent !== undefined ? { silent_ms: silent } : {}),
    ...(proc.monit?.cpu !== undefined ? { cpu: proc.monit.cpu } : {}),
    ...(memory !== undefined ? { memory } : {}),
    errors: input.errors.entries,
    ...(input.errors.unavailable !== undefined && input.errors.file !== undefined ? { error_log_unread: `${input.errors.file}: ${input.errors.unavailable}` } : {}),
    next_steps: steps,
    history: { listening: coverage?.listening ?? false, ...(coverage?.since !== undefined ? { since: new Date(coverage.since).toISOString() } : {}) },
  };
}

/**
 * The exits, oldest first: pm2.log's for the time before the server heard the bus, the bus's
 * since (with the run's up time), each bus exit given the signal pm2.log wrote for it.
 */
function exitsOf(input: DiagnosisInput, logged: readonly LoggedExit[], anyLogged: readonly LoggedExit[]): Exit[] {
  const since = input.heard?.coverage.since;
  // Heard before a gap in the history: pm2.log has it too, and tells it for the whole time before.
  const heard = (input.heard?.events ?? []).filter((e) => e.event === 'exit' && (since === undefined || e.at >= since));
  // What the history heard is the truth since it began; pm2.log (to the second) tells what came
  // before, and an exit it wrote in the second the history began may be a heard one.
  const before = logged.filter((l) => since === undefined || l.at < Math.floor(since / 1000) * 1000);
  const out: Exit[] = before.map((l) => ({ at: new Date(l.at).toISOString(), ...(l.code !== undefined ? { code: l.code } : {}), ...(l.signal ? { signal: l.signal } : {}), source: 'pm2.log' as const }));
  // A heard exit is this process's (its unique_id): the line pm2.log wrote for it, at that second
  // with that code, gives its signal, whatever second the process was created in.
  const unused = anyLogged.filter((l) => !before.includes(l));
  for (const e of heard) {
    const second = Math.floor(e.at / 1000) * 1000;
    const match = unused.findIndex((l) => l.at >= second - 1000 && l.at <= second + 1000 && l.code === e.exitCode);
    const signal = match >= 0 ? unused.splice(match, 1)[0]!.signal : undefined;
    const up = e.launchedAt !== undefined ? Math.max(0, e.at - e.launchedAt) : undefined;
    out.push({ at: new Date(e.at).toISOString(), ...(e.exitCode !== undefined ? { code: e.exitCode } : {}), ...(signal ? { signal } : {}), ...(up !== undefined ? { up_ms: up } : {}), source: 'bus' });
  }
  return out;
}

function exitText(e: Exit): string {
  const how = e.signal !== undefined ? `was killed by ${e.signal}` : e.code !== undefined ? `exited with code ${e.code}` : 'exited';
  return `${how}${e.up_ms !== undefined ? ` after ${duration(e.up_ms)}` : ''} at ${e.at}`;
}

function sourceOf(exits: readonly Exit[], otherwise: string): string {
  const kinds = [...new Set(exits.map((e) => e.source))];
  return kinds.length ? kinds.join(' and ') : otherwise;
}

function errSource(input: DiagnosisInput): string {
  return input.errors.file ? `err log ${input.errors.file}` : 'err log';
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
