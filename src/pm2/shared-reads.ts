// Concurrent reads share one pm2 round trip. Nearly all of a list is the daemon sampling every
// pid (getMonitorData), and every caller used to pay for its own sample: with many agents on one
// HTTP server, the daemon did little else. Here a read joins a list already in flight, or takes
// the last answer, when that list was sent at most `maxAgeMs` before the read was asked, and
// nothing has changed since as far as this server can know:
// - a change made through the adapter (start, restart, reload, stop, delete, reload_logs, dump,
//   kill_daemon) moves the generation when it begins and again when it ends, before its caller
//   answers: a read asked after a change never gets data sampled before it ended;
// - a process event on pm2's bus (someone ran `pm2 restart` in a shell, an app crashed) moves it
//   too, so a change made outside the server ends the window as soon as the daemon tells of it;
// - without the bus (not open yet, or lost with the daemon) nothing would say so: no read is
//   shared until it is back. A list that failed is never handed to a later read.
// The window is a bound on staleness, not a cache with a lifetime: cpu and memory figures move
// between samples, and a shared answer says how old it is (ListReading.ageMs).
import type { ActionOptions, Pm2Adapter } from './adapter.js';
import type { BusListener } from './bus.js';
import type { ProcessHistory } from './process-history.js';
import type { Pm2RawProcess, Pm2StartConfig } from './types.js';

export interface SharedReadsOptions {
  /** The oldest data a read may be answered with, in ms (from when pm2 was asked); 0: every read asks pm2. */
  maxAgeMs: number;
  /** A monotonic clock in ms; tests give their own. */
  now?: () => number;
  /** How long after a failed bus subscription the next one is tried (after a list that succeeded). */
  busRetryMs?: number;
}

export interface ListReading {
  /** The caller's own copy of the list; the process objects in it are shared: read them, never change them. */
  processes: Pm2RawProcess[];
  /**
   * Set when the data came from a pm2 call sent before this read was asked (joined in flight or
   * served from the window): ms from that call to this answer. Left out when fresh from pm2.
   */
  ageMs?: number;
}

/** One getMonitorData call: when it was sent, under which generation, and its answer. */
interface ListCall {
  generation: number;
  sentAt: number;
  answer: Promise<Pm2RawProcess[]>;
  failed: boolean;
}

const DEFAULT_BUS_RETRY_MS = 1_000;

/** `adapter` with its reads shared; every other call passes through, a change ending the window. */
export function shareReads(adapter: Pm2Adapter, options: SharedReadsOptions): SharedReads {
  return new SharedReads(adapter, options);
}

/** The list of `pm2`, with its age when it is shared (a plain adapter's list is always fresh). */
export async function readProcesses(pm2: Pm2Adapter): Promise<ListReading> {
  return pm2 instanceof SharedReads ? pm2.read() : { processes: await pm2.list() };
}

type BusState = 'closed' | 'opening' | 'open';

export class SharedReads implements Pm2Adapter {
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly busRetryMs: number;
  /** Moves on every change this server makes or hears of: an answer of an older one is not shared. */
  private generation = 0;
  private last: ListCall | undefined;
  private bus: BusState = 'closed';
  /** Counts subscriptions, so that news of an older one (lost, or handed back late) is ignored. */
  private busAttempt = 0;
  private unsubscribe: (() => void) | undefined;
  private busRetryAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly inner: Pm2Adapter, options: SharedReadsOptions) {
    if (!Number.isFinite(options.maxAgeMs) || options.maxAgeMs < 0) throw new RangeError(`maxAgeMs must be 0 or more (got ${options.maxAgeMs}).`);
    this.maxAgeMs = options.maxAgeMs;
    this.now = options.now ?? (() => performance.now());
    this.busRetryMs = options.busRetryMs ?? DEFAULT_BUS_RETRY_MS;
  }

  get home(): string {
    return this.inner.home;
  }

  get noDaemon(): boolean {
    return this.inner.noDaemon;
  }

  get history(): ProcessHistory | undefined {
    return this.inner.history;
  }

  /** Whether reads are shared now: on, and the bus would tell of a change made elsewhere. */
  get sharing(): boolean {
    return this.maxAgeMs > 0 && this.bus === 'open' && !this.closed;
  }

  async list(): Promise<Pm2RawProcess[]> {
    return (await this.read()).processes;
  }

  async read(): Promise<ListReading> {
    const askedAt = this.now();
    const shared = this.shareable(askedAt);
    if (shared) {
      const processes = await shared.answer;
      return { processes: [...processes], ageMs: Math.max(0, Math.round(this.now() - shared.sentAt)) };
    }
    return { processes: [...(await this.send(askedAt).answer)] };
  }

  isDaemonRunning(): Promise<boolean> {
    return this.inner.isDaemonRunning();
  }

  start(config: Pm2StartConfig): Promise<number[]> {
    return this.changing(() => this.inner.start(config));
  }

  restart(id: number, env: Record<string, string>, options?: ActionOptions): Promise<void> {
    return this.changing(() => this.inner.restart(id, env, options));
  }

  reload(id: number, env: Record<string, string>, options?: ActionOptions): Promise<void> {
    return this.changing(() => this.inner.reload(id, env, options));
  }

  stop(id: number): Promise<void> {
    return this.changing(() => this.inner.stop(id));
  }

  delete(id: number): Promise<void> {
    return this.changing(() => this.inner.delete(id));
  }

  reloadLogs(): Promise<void> {
    return this.changing(() => this.inner.reloadLogs());
  }

  dump(): Promise<void> {
    return this.changing(() => this.inner.dump());
  }

  killDaemon(): Promise<void> {
    return this.changing(() => this.inner.killDaemon());
  }

  subscribe(onEvent: BusListener, onLost: () => void): Promise<() => void> {
    return this.inner.subscribe(onEvent, onLost);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changed();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.inner.close();
  }

  /** The call a read asked at `askedAt` may take its answer from, if any. */
  private shareable(askedAt: number): ListCall | undefined {
    const call = this.last;
    if (!call || !this.sharing || call.failed || call.generation !== this.generation) return undefined;
    return askedAt - call.sentAt <= this.maxAgeMs ? call : undefined;
  }

  private send(sentAt: number): ListCall {
    const call: ListCall = { generation: this.generation, sentAt, answer: this.inner.list(), failed: false };
    this.last = call;
    call.answer.then(
      () => this.openBus(),
      () => {
        call.failed = true;
        if (this.last === call) this.last = undefined;
      },
    );
    return call;
  }

  /** A change begins and ends: no read asked after it ends gets an answer sampled before. */
  private async changing<T>(run: () => Promise<T>): Promise<T> {
    this.changed();
    try {
      return await run();
    } finally {
      this.changed();
    }
  }

  private changed(): void {
    this.generation++;
  }

  /**
   * Hears pm2's process events from now on. Opened after a list succeeded (a daemon answers, so
   * subscribing spawns none), and again after the bus was lost.
   */
  private openBus(): void {
    if (this.closed || this.maxAgeMs === 0 || this.bus !== 'closed' || this.now() < this.busRetryAt) return;
    const attempt = ++this.busAttempt;
    const current = () => attempt === this.busAttempt && !this.closed;
    this.bus = 'opening';
    this.inner
      .subscribe(
        (event) => {
          if (event.kind === 'process') this.changed();
        },
        () => {
          if (current()) this.busLost();
        },
      )
      .then(
        (unsubscribe) => {
          // Lost (or closed) before the subscription was handed back: it is over already.
          if (!current() || this.bus !== 'opening') return unsubscribe();
          this.unsubscribe = unsubscribe;
          this.bus = 'open';
          // What was sampled before the bus listened may have missed an event.
          this.changed();
        },
        () => {
          if (!current()) return;
          this.bus = 'closed';
          this.busRetryAt = this.now() + this.busRetryMs;
        },
      );
  }

  private busLost(): void {
    this.bus = 'closed';
    this.unsubscribe = undefined;
    this.changed();
  }
}
