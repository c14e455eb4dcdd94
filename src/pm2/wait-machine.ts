// When a wait for started (restarted, reloaded) instances ends, decided from the events pm2's bus
// sends, a port that opened, and the clock. Pure: no I/O, no timers; the driver (wait.ts) feeds it
// events and ticks at nextDeadline(), and reads outcomes() once done().
import type { BusEvent } from './bus.js';

export type ReadyKind = 'port' | 'pattern' | 'message';

export interface WaitPlan {
  until: 'online' | 'ready';
  /** With until "ready": what says the app is ready. */
  ready?: ReadyKind | undefined;
  /** The instances waited for: known pm_ids (restart, reload) … */
  ids?: ReadonlySet<number> | undefined;
  /** … or the names of the apps a start is about to create (their pm_ids come with its answer). */
  names?: ReadonlySet<string> | undefined;
  /** When the action was sent (epoch ms): a run of a process launched before it is not ours. */
  startedAt: number;
  /** When the wait gives up (epoch ms). */
  deadline: number;
  /** With ready "pattern": does an output line say the app is ready? */
  matches?: ((line: string) => boolean) | undefined;
  /** How many of the last output lines each instance keeps (stderr first). */
  lastLines: number;
}

/** The input besides the bus: a port that accepted a connection, or time passing. */
export type WaitInput = BusEvent | { kind: 'port-open'; at: number } | { kind: 'tick'; at: number } | { kind: 'lost'; at: number };

/**
 * `gone`: deleted during the wait (another client, a shell, pm2 itself): pm2 manages it no more.
 * `stopped`: pm2 stopped it at a request (another call's restart, stop or delete, a shell's), and
 * nothing started it again within RESTART_GRACE_MS.
 */
export type WaitResult = 'online' | 'ready' | 'exited' | 'timeout' | 'lost' | 'gone' | 'stopped';

export interface InstanceOutcome {
  pmId: number;
  name: string;
  result: WaitResult;
  /** When the run we waited for was launched, if it came online. */
  onlineSince: number | undefined;
  /** How long after the action the app said it was ready. */
  readyAfterMs: number | undefined;
  readyBy: ReadyKind | undefined;
  /** result "exited": pm2's exit code, how long it had run, and what pm2 does next. */
  exitCode: number | undefined;
  upMs: number | undefined;
  /** pm2 restarts it (autorestart on, not errored). */
  willRestart: boolean;
  /** pm2 marked it errored: too many unstable restarts. */
  errored: boolean;
  minUptimeMs: number;
  /** pm2's restart count when the run we waited for came online (restarts during the wait are counted from it). */
  restartsAtOnline: number | undefined;
  /** The last lines it wrote, stderr's if any, else stdout's. */
  lastLines: string[];
}

/** After an exit, output still on its way: pm2 reports the exit before the pipes are drained. */
export const EXIT_DRAIN_MS = 150;
/**
 * After pm2 stopped the run at a request, how long a start of the next run may take to follow:
 * a restart by another call starts it again some 100 ms after the stop's first exit event.
 */
export const RESTART_GRACE_MS = 1000;
const MAX_LINE = 500;
const MAX_PARTIAL = 4096;

/**
 * `said-ready`: the app said it is ready before it had been up for its min_uptime. It is ready
 * once it has been (an app that says ready and dies 5 ms later is no ready app): until then an
 * exit makes it an exit, as for "online".
 */
/** `interrupted`: pm2 stopped the run at a request; a next run that comes online is followed. */
export type Phase = 'launching' | 'online' | 'stable' | 'said-ready' | 'ready' | 'draining' | 'interrupted' | 'exited' | 'timeout' | 'lost' | 'gone' | 'stopped';
const FINAL: ReadonlySet<Phase> = new Set(['stable', 'ready', 'exited', 'timeout', 'lost', 'gone', 'stopped']);

interface Instance {
  pmId: number;
  name: string;
  phase: Phase;
  onlineSince?: number;
  minUptimeMs: number;
  readyAt?: number;
  readyBy?: ReadyKind;
  exitAt?: number;
  exitCode?: number;
  autorestart: boolean;
  errored: boolean;
  restartsAtOnline?: number;
  /** pm2 launched the next run while this one's output drained: what follows is the next run's. */
  nextRun?: true;
  lines: { out: string[]; err: string[] };
  partial: { out: string; err: string };
}

export class WaitMachine {
  private readonly instances = new Map<number, Instance>();
  private expected: ReadonlySet<number> | undefined;
  private lostAt: number | undefined;
  private timedOut = false;

  constructor(private readonly plan: WaitPlan) {
    this.expected = plan.ids;
  }

  /** A start's answer: the pm_ids of the instances it created. */
  expect(ids: readonly number[]): void {
    this.expected = new Set(ids);
  }

  feed(input: WaitInput): void {
    switch (input.kind) {
      case 'process':
        return this.onProcess(input);
      case 'log':
        return this.onLog(input);
      case 'message':
        return this.onMessage(input);
      case 'port-open':
        for (const i of this.instances.values()) if (i.phase === 'online') this.ready(i, input.at, 'port');
        return this.tick(input.at);
      case 'tick':
        return this.tick(input.at);
      case 'lost':
        for (const i of this.open()) i.phase = 'lost';
        this.lostAt = input.at;
        return;
    }
  }

  /** Every instance awaited has its answer (its pm_ids known), or the bus is gone, or time is up. */
  done(): boolean {
    if (this.lostAt !== undefined || this.timedOut) return true;
    if (!this.expected) return false;
    for (const id of this.expected) {
      const i = this.instances.get(id);
      if (!i || !FINAL.has(i.phase)) return false;
    }
    return true;
  }

  /** The next moment a tick may change something: a stability or drain timer, or the deadline. */
  nextDeadline(): number {
    let next = this.plan.deadline;
    for (const i of this.open()) {
      if (((i.phase === 'online' && this.plan.until === 'online') || i.phase === 'said-ready') && i.onlineSince !== undefined) next = Math.min(next, i.onlineSince + i.minUptimeMs);
      if (i.phase === 'draining' && i.exitAt !== undefined) next = Math.min(next, i.exitAt + EXIT_DRAIN_MS);
      if (i.phase === 'interrupted' && i.exitAt !== undefined) next = Math.min(next, i.exitAt + RESTART_GRACE_MS);
    }
    return next;
  }

  /** Instances that are online and not yet ready: the ones a port probe is for. */
  awaitingPort(): boolean {
    return this.plan.ready === 'port' && [...this.instances.values()].some((i) => i.phase === 'online');
  }

  /** Where each instance heard of stands, for progress: "launching", "online", "ready", "exited" … */
  phases(): Array<{ pmId: number; name: string; phase: Phase }> {
    return [...this.instances.values()].map((i) => ({ pmId: i.pmId, name: i.name, phase: i.phase }));
  }

  outcomes(): InstanceOutcome[] {
    const ids = this.expected ?? new Set(this.instances.keys());
    return [...ids].map((id) => this.outcome(this.instances.get(id), id));
  }

  private outcome(i: Instance | undefined, pmId: number): InstanceOutcome {
    if (!i) {
      const lost = this.lostAt !== undefined;
      return { pmId, name: '', result: lost ? 'lost' : 'timeout', onlineSince: undefined, readyAfterMs: undefined, readyBy: undefined, exitCode: undefined, upMs: undefined, willRestart: false, errored: false, minUptimeMs: 0, restartsAtOnline: undefined, lastLines: [] };
    }
    const result: WaitResult = i.phase === 'stable' ? 'online' : i.phase === 'ready' ? 'ready' : i.phase === 'exited' || i.phase === 'draining' ? 'exited' : i.phase === 'lost' ? 'lost' : i.phase === 'gone' ? 'gone' : i.phase === 'stopped' || i.phase === 'interrupted' ? 'stopped' : 'timeout';
    const lines = [...i.lines.err, ...(i.partial.err ? [cut(i.partial.err)] : [])];
    const out = [...i.lines.out, ...(i.partial.out ? [cut(i.partial.out)] : [])];
    return {
      pmId,
      name: i.name,
      result,
      onlineSince: i.onlineSince,
      readyAfterMs: i.readyAt !== undefined ? Math.max(0, i.readyAt - this.plan.startedAt) : undefined,
      readyBy: i.readyBy,
      exitCode: result === 'exited' ? i.exitCode : undefined,
      upMs: (result === 'exited' || result === 'stopped') && i.exitAt !== undefined && i.onlineSince !== undefined ? Math.max(0, i.exitAt - i.onlineSince) : undefined,
      willRestart: result === 'exited' && i.autorestart && !i.errored,
      errored: i.errored,
      minUptimeMs: i.minUptimeMs,
      restartsAtOnline: i.restartsAtOnline,
      lastLines: (lines.length ? lines : out).slice(-this.plan.lastLines),
    };
  }

  private accepts(pmId: number, name: string): boolean {
    return this.plan.ids ? this.plan.ids.has(pmId) : (this.plan.names?.has(name) ?? false);
  }

  private open(): Instance[] {
    return [...this.instances.values()].filter((i) => !FINAL.has(i.phase));
  }

  private onProcess(e: Extract<BusEvent, { kind: 'process' }>): void {
    if (!this.accepts(e.pmId, e.name)) return;
    // Deleted, whichever run it was on: nothing we wait for can come of it any more (a delete
    // racing a restart stops the old run, and pm2 may report the new one online before that).
    if (e.event === 'delete') return this.deleted(e);
    // A run launched before the action (the one a restart stops, say) is not the one waited for.
    if (e.launchedAt !== undefined && e.launchedAt < this.plan.startedAt) return;
    let i = this.instances.get(e.pmId);
    if (i?.phase === 'draining' && e.event === 'online') i.nextRun = true;
    if (!i) {
      i = { pmId: e.pmId, name: e.name, phase: 'launching', minUptimeMs: e.minUptimeMs, autorestart: e.autorestart, errored: false, lines: { out: [], err: [] }, partial: { out: '', err: '' } };
      this.instances.set(e.pmId, i);
    }
    if (FINAL.has(i.phase)) return;
    i.autorestart = e.autorestart;
    i.minUptimeMs = e.minUptimeMs;
    if (e.event === 'restart overlimit' || e.status === 'errored') i.errored = true;
    if (e.event === 'online' && i.phase === 'interrupted') {
      // Another call's restart started it again: the run to wait for is this one now.
      i.phase = 'launching';
      i.readyAt = undefined;
      i.readyBy = undefined;
      i.exitAt = undefined;
      i.exitCode = undefined;
    }
    if (e.event === 'online' && i.phase === 'launching') {
      i.phase = 'online';
      i.onlineSince = e.launchedAt ?? e.at;
      i.restartsAtOnline = e.restarts;
      // The ready message may come first: pm2 says "online" after it when the app has wait_ready.
      if (i.readyBy === 'message' && i.readyAt !== undefined) this.ready(i, i.readyAt, 'message');
    } else if (e.event === 'exit' && e.status === 'stopping' && (i.phase === 'launching' || i.phase === 'online' || i.phase === 'said-ready')) {
      // pm2 says "stopping" in the exit of a run it stopped at a request (God.stopProcessId), and
      // "stopped", "waiting restart" or "errored" in the exit of a run that ended by itself: this
      // is no crash, and no restart loop.
      i.phase = 'interrupted';
      i.exitAt = e.at;
      i.exitCode = e.exitCode;
    } else if (e.event === 'exit' && (i.phase === 'launching' || i.phase === 'online' || i.phase === 'said-ready')) {
      i.phase = 'draining';
      i.exitAt = e.at;
      i.exitCode = e.exitCode;
    }
    this.tick(e.at);
  }

  private deleted(e: Extract<BusEvent, { kind: 'process' }>): void {
    const i = this.instances.get(e.pmId);
    if (!i) {
      // A start's own apps are known by name until pm2 answers: a delete of another app of the
      // same name that ran before the start is not theirs.
      if (!this.plan.ids && e.launchedAt !== undefined && e.launchedAt < this.plan.startedAt) return;
      this.instances.set(e.pmId, { pmId: e.pmId, name: e.name, phase: 'gone', minUptimeMs: e.minUptimeMs, autorestart: e.autorestart, errored: false, lines: { out: [], err: [] }, partial: { out: '', err: '' } });
    } else if (!FINAL.has(i.phase) || i.phase === 'stable' || i.phase === 'ready') i.phase = 'gone';
    this.tick(e.at);
  }

  private onLog(e: Extract<BusEvent, { kind: 'log' }>): void {
    const i = this.instances.get(e.pmId);
    if (!i || (i.phase !== 'online' && i.phase !== 'said-ready' && i.phase !== 'draining') || i.nextRun) return;
    const text = i.partial[e.stream] + e.data;
    const parts = text.split('\n');
    const rest = parts.pop() ?? '';
    i.partial[e.stream] = rest.length > MAX_PARTIAL ? rest.slice(-MAX_PARTIAL) : rest;
    for (const raw of parts) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const kept = i.lines[e.stream];
      kept.push(cut(line));
      if (kept.length > this.plan.lastLines) kept.shift();
      if (i.phase === 'online' && this.plan.until === 'ready' && this.plan.ready === 'pattern' && this.plan.matches?.(line.slice(0, MAX_PARTIAL))) this.ready(i, e.at, 'pattern');
    }
  }

  private onMessage(e: Extract<BusEvent, { kind: 'message' }>): void {
    if (this.plan.until !== 'ready' || this.plan.ready !== 'message' || e.raw !== 'ready') return;
    const i = this.instances.get(e.pmId);
    if (!i || FINAL.has(i.phase) || i.phase === 'draining' || i.phase === 'said-ready') return;
    if (i.phase === 'online') this.ready(i, e.at, 'message');
    else {
      // Seen before "online" (pm2's own wait_ready): kept until the online event.
      i.readyAt = e.at;
      i.readyBy = 'message';
    }
  }

  private ready(i: Instance, at: number, by: ReadyKind): void {
    if (this.plan.until !== 'ready' || this.plan.ready !== by) return;
    i.phase = i.onlineSince !== undefined && at < i.onlineSince + i.minUptimeMs ? 'said-ready' : 'ready';
    i.readyAt = at;
    i.readyBy = by;
  }

  private tick(at: number): void {
    for (const i of this.open()) {
      if (i.phase === 'online' && this.plan.until === 'online' && i.onlineSince !== undefined && at >= i.onlineSince + i.minUptimeMs) i.phase = 'stable';
      else if (i.phase === 'said-ready' && i.onlineSince !== undefined && at >= i.onlineSince + i.minUptimeMs) i.phase = 'ready';
      else if (i.phase === 'draining' && i.exitAt !== undefined && at >= i.exitAt + EXIT_DRAIN_MS) i.phase = 'exited';
      else if (i.phase === 'interrupted' && i.exitAt !== undefined && at >= i.exitAt + RESTART_GRACE_MS) i.phase = 'stopped';
    }
    if (at >= this.plan.deadline) {
      for (const i of this.open()) i.phase = i.phase === 'draining' ? 'exited' : i.phase === 'interrupted' ? 'stopped' : 'timeout';
      // Instances that never said anything are timeouts too (outcome() reports them so).
      this.timedOut = true;
    }
  }

}

function cut(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
}
