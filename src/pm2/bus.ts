// pm2's event bus (the daemon's pub socket): what its processes do, as it happens. The packets
// carry a process's whole pm2_env, secrets included: only the few fields a wait reads are kept.
import { ToolError } from '../errors.js';
import type { AxonSocket, Pm2Api } from './load.js';

/** One thing pm2 said about a process, trimmed to what a wait needs. `at`: when we heard it. */
export type BusEvent =
  | {
      kind: 'process';
      /** pm2's event name: "online", "exit", "restart overlimit", "stop", "delete" … */
      event: string;
      pmId: number;
      name: string;
      status: string;
      /** When this run of the process was launched (pm2's pm_uptime, epoch ms). */
      launchedAt: number | undefined;
      /** pm2's unique_id of the process: a pm_id pm2 gives again after a delete is another process. */
      uniqueId?: string | undefined;
      restarts: number;
      exitCode: number | undefined;
      minUptimeMs: number;
      autorestart: boolean;
      at: number;
    }
  | { kind: 'log'; stream: 'out' | 'err'; pmId: number; name: string; data: string; at: number }
  | { kind: 'message'; pmId: number; name: string; raw: unknown; at: number };

/** pm2's default when an app has no min_uptime (lib/God.js handleExit). */
export const PM2_DEFAULT_MIN_UPTIME_MS = 1000;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' ? (v as Rec) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * A bus packet as a BusEvent, or undefined for what a wait does not read. An `_old_` pm_id (the
 * instance a cluster reload replaces) is not a number, and is left out with the rest.
 */
export function toBusEvent(topic: string, packet: unknown, at = Date.now()): BusEvent | undefined {
  const p = rec(packet);
  const proc = rec(p?.process);
  const pmId = proc?.pm_id;
  const name = proc?.name;
  if (typeof pmId !== 'number' || typeof name !== 'string') return undefined;
  if (topic === 'process:event' && typeof p?.event === 'string') {
    return {
      kind: 'process',
      event: p.event,
      pmId,
      name,
      status: typeof proc?.status === 'string' ? proc.status : 'unknown',
      launchedAt: num(proc?.pm_uptime),
      ...(typeof proc?.unique_id === 'string' ? { uniqueId: proc.unique_id } : {}),
      restarts: num(proc?.restart_time) ?? 0,
      exitCode: num(proc?.exit_code),
      minUptimeMs: num(proc?.min_uptime) ?? PM2_DEFAULT_MIN_UPTIME_MS,
      autorestart: proc?.autorestart !== false && proc?.autorestart !== 'false',
      at,
    };
  }
  if ((topic === 'log:out' || topic === 'log:err') && typeof p?.data === 'string') {
    // pm2 stamps a line when it writes it to the file (the daemon's clock, this machine's): the
    // time a combined tail orders by. Ours, when it sent none.
    return { kind: 'log', stream: topic === 'log:out' ? 'out' : 'err', pmId, name, data: p.data, at: num(p.at) ?? at };
  }
  if (topic === 'process:msg') return { kind: 'message', pmId, name, raw: p?.raw, at };
  return undefined;
}

export type BusListener = (event: BusEvent) => void;

/** A bus nobody listened to for this long is closed; the next wait opens another. */
const BUS_IDLE_MS = 30_000;

/**
 * One subscription to the daemon's bus, shared by every wait of a connection. It never keeps the
 * process alive (its socket is unref'd) and never reconnects by itself: when the daemon goes
 * away the bus closes, its listeners hear `onLost`, and the next wait opens a new one.
 */
export class Pm2Bus {
  private readonly listeners = new Set<{ onEvent: BusListener; onLost: () => void }>();
  private closed = false;
  private idle: NodeJS.Timeout | undefined;

  private constructor(private readonly sock: AxonSocket) {}

  /** Connects to the bus of the daemon `api` talks to, within `timeoutMs`. */
  static open(api: Pm2Api, timeoutMs: number): Promise<Pm2Bus> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const refuse = (err: Error) => reject(new ToolError('DAEMON_UNREACHABLE', `Cannot subscribe to the pm2 daemon's event bus: ${err.message}`));
      api.launchBus((err, emitter) => {
        if (settled) return;
        if (err || !emitter) return fail(err instanceof Error ? err : new Error(String(err ?? 'no bus')));
        settled = true;
        clearTimeout(timer);
        for (const s of bus.sock.socks ?? []) s.unref();
        for (const topic of ['process:event', 'log:out', 'log:err', 'process:msg']) emitter.on(topic, (packet: unknown) => bus.emit(topic, packet));
        resolve(bus);
      });
      const sock = api.Client.sub_sock;
      if (!sock) {
        settled = true;
        return refuse(new Error('pm2 opened no bus socket'));
      }
      // axon would retry forever, with timers that keep the process alive: a lost bus is closed.
      sock.set?.('retry timeout', 0);
      const bus = new Pm2Bus(sock);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        bus.close();
        refuse(err);
      };
      const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      sock.once('close', () => {
        fail(new Error('the daemon closed it'));
        bus.lost();
      });
      sock.on('error', () => undefined);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Hears every event from now on, until the returned function is called. */
  subscribe(onEvent: BusListener, onLost: () => void): () => void {
    const entry = { onEvent, onLost };
    if (this.closed) {
      queueMicrotask(onLost);
      return () => undefined;
    }
    this.listeners.add(entry);
    clearTimeout(this.idle);
    return () => {
      this.listeners.delete(entry);
      // Every app's output flows through the bus: with no one waiting a while, stop hearing it.
      if (this.listeners.size === 0) {
        clearTimeout(this.idle);
        this.idle = setTimeout(() => this.close(), BUS_IDLE_MS);
        this.idle.unref();
      }
    };
  }

  close(): void {
    clearTimeout(this.idle);
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      // Already closed.
    }
    this.lost();
  }

  private emit(topic: string, packet: unknown): void {
    const event = toBusEvent(topic, packet);
    if (!event) return;
    for (const l of [...this.listeners]) {
      try {
        l.onEvent(event);
      } catch {
        // One waiter's failure is not another's.
      }
    }
  }

  private lost(): void {
    this.closed = true;
    const all = [...this.listeners];
    this.listeners.clear();
    for (const l of all) l.onLost();
  }
}
