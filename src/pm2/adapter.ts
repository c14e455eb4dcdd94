// The one place that talks to pm2. Promise-based, one connection shared by concurrent callers,
// reconnects after the daemon died, and a shutdown that cannot hang (docs/threat-model.md §T12).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError, errorMessage } from '../errors.js';
import { withFileLock } from '../file-lock.js';
import { Pm2Bus, type BusListener } from './bus.js';
import { DaemonIdentity, readDaemonPid, type DaemonReplacement } from './daemon-identity.js';
import { loadPm2, type AxonSocket, type Pm2Api } from './load.js';
import type { ProcessHistory } from './process-history.js';
import { startAgain } from './start-again.js';
import type { Pm2RawProcess, Pm2StartConfig } from './types.js';
import { pmIdOf } from './views.js';

export interface Pm2AdapterOptions {
  home: string;
  /** Run the daemon inside this process (pm2's no-daemon mode). */
  noDaemon: boolean;
  /**
   * Start a daemon when none runs, as the pm2 CLI does. False for read-only use. Asked at each
   * connect when a function: a live policy that widens readonly to standard spawns one then.
   */
  spawnDaemon: boolean | (() => boolean);
  /** Bound on any one daemon call, so a wedged daemon cannot hang a tool call forever. */
  callTimeoutMs?: number;
  /**
   * A reconnect reached another daemon than the one last talked to (it died and a new, empty one
   * was spawned, or someone restarted it): called once per replacement, before the call that
   * reconnected goes on. `processes` is how many the new daemon manages, left out when the list
   * failed.
   */
  onDaemonReplaced?: (facts: DaemonReplacement & { processes?: number }) => void;
  /**
   * Fed with everything the daemon's bus says from each connection on, for as long as the
   * connection lasts: the server's own record of exits and output times (diagnose, combined tail).
   */
  history?: ProcessHistory;
}

/** How a restart or reload waits for its turn (the action lock), and says when pm2 is asked. */
export interface ActionOptions {
  /** When to give up waiting for the action lock (epoch ms): the call's wait ends then. */
  deadline?: number;
  /** Called once the lock is held and pm2 is about to be asked. */
  onAsked?: () => void;
}

export interface Pm2Adapter {
  readonly home: string;
  readonly noDaemon: boolean;
  isDaemonRunning(): Promise<boolean>;
  list(): Promise<Pm2RawProcess[]>;
  start(config: Pm2StartConfig): Promise<number[]>;
  restart(id: number, env: Record<string, string>, options?: ActionOptions): Promise<void>;
  reload(id: number, env: Record<string, string>, options?: ActionOptions): Promise<void>;
  stop(id: number): Promise<void>;
  delete(id: number): Promise<void>;
  reloadLogs(): Promise<void>;
  dump(): Promise<void>;
  killDaemon(): Promise<void>;
  /**
   * Hears what pm2's event bus says (process events, output lines, process.send messages) from
   * the moment this resolves until the returned function is called. `onLost`: the bus closed (the
   * daemon went away, or the adapter was closed); nothing more will come.
   */
  subscribe(onEvent: BusListener, onLost: () => void): Promise<() => void>;
  /** What the bus said while this server ran, when the server keeps it. */
  readonly history?: ProcessHistory | undefined;
  close(): Promise<void>;
}

interface Session {
  api: Pm2Api;
  sock: AxonSocket | undefined;
  /** The daemon's event bus, opened by the first wait and shared by the next ones. */
  bus?: Promise<Pm2Bus>;
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** In PM2_HOME, beside pm2's own files: held while a server checks for the daemon and spawns it. */
const SPAWN_LOCK = 'pm2-mcp-daemon.lock';
/**
 * Restarts, reloads, stops and deletes, one at a time for every pm2-mcp server on this PM2_HOME.
 * pm2 does not serialize them per process: ten concurrent restarts of one app, asked again after
 * pm2's "Process with pid N already exists" (start-again.ts), left five copies of it running under
 * one pm_id (the second attack on the restart fix), and a restart racing a delete left an app
 * running that pm2 no longer listed (docs/threat-model.md §T23). A wait is not held up: only pm2's calls.
 */
const ACTION_LOCK = 'pm2-mcp-action.lock';
/** Spawning a daemon takes a second or two: another server's spawn is waited for this long at most. */
const SPAWN_WAIT_MS = 15_000;

export function createPm2Adapter(options: Pm2AdapterOptions): Pm2Adapter {
  return new Pm2Connection(options);
}

class Pm2Connection implements Pm2Adapter {
  readonly home: string;
  readonly noDaemon: boolean;
  private readonly maySpawn: () => boolean;
  private readonly callTimeoutMs: number;
  private readonly onDaemonReplaced: Pm2AdapterOptions['onDaemonReplaced'];
  readonly history: ProcessHistory | undefined;
  private readonly daemon = new DaemonIdentity();
  private session: Session | undefined;
  private connecting: Promise<Session> | undefined;
  private readonly inFlight = new Set<(err: Error) => void>();
  /** pm2's answer to a failed "prepare", by app name: pm2's API drops it (see listenToPrepare). */
  private readonly startErrors = new Map<string, string>();
  private closed = false;

  constructor(options: Pm2AdapterOptions) {
    this.home = options.home;
    this.noDaemon = options.noDaemon;
    const spawn = options.spawnDaemon;
    this.maySpawn = typeof spawn === 'function' ? spawn : () => spawn;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.onDaemonReplaced = options.onDaemonReplaced;
    this.history = options.history;
  }

  async isDaemonRunning(): Promise<boolean> {
    if (this.session) return true;
    const pm2 = await loadPm2(this.home);
    const probe = new pm2.custom({ pm2_home: this.home, daemon_mode: true });
    return ping(probe);
  }

  async list(): Promise<Pm2RawProcess[]> {
    const list = await this.call<Pm2RawProcess[]>('getMonitorData', {});
    return Array.isArray(list) ? list : [];
  }

  /**
   * The pm_ids pm2 started. A start pm2 rejected (spawn E2BIG for a huge env, a missing
   * interpreter …) throws with pm2's own reason: pm2's API answers such a start with no error and
   * no process.
   */
  async start(config: Pm2StartConfig): Promise<number[]> {
    const { api } = await this.connection();
    this.startErrors.delete(config.name);
    const procs = await this.track<Pm2RawProcess[]>((cb) => api.start(config, cb), `start ${config.name}`);
    const reason = this.startErrors.get(config.name);
    this.startErrors.delete(config.name);
    if (reason !== undefined) throw new ToolError('PM2_ERROR', `pm2 could not start ${config.name}: ${reason}`);
    return (procs ?? []).map((p) => p.pm2_env?.pm_id ?? p.pm_id).filter((id): id is number => typeof id === 'number');
  }

  // restart and reload carry only `env`, never options: pm2 merges options into the stored
  // process config (docs/threat-model.md §T7).
  async restart(id: number, env: Record<string, string>, options: ActionOptions = {}): Promise<void> {
    await this.oneAtATime(() => this.startAgain('restartProcessId', id, env), options);
  }

  async reload(id: number, env: Record<string, string>, options: ActionOptions = {}): Promise<void> {
    await this.oneAtATime(() => this.startAgain('reloadProcessId', id, env), options);
  }

  /** Both go through pm2's startProcessId, which refuses an app that has just crashed: see start-again.ts. */
  private startAgain(method: 'restartProcessId' | 'reloadProcessId', id: number, env: Record<string, string>): Promise<void> {
    return startAgain({
      run: async () => void (await this.call(method, { id, env })),
      stop: async () => void (await this.call('stopProcessId', id)),
      current: async () => (await this.list()).find((p) => pmIdOf(p) === id),
    });
  }

  async stop(id: number): Promise<void> {
    await this.oneAtATime(() => this.call('stopProcessId', id));
  }

  async delete(id: number): Promise<void> {
    await this.oneAtATime(() => this.call('deleteProcessId', id));
  }

  private oneAtATime<T>(run: () => Promise<T>, options: ActionOptions = {}): Promise<T> {
    const asked = () => {
      options.onAsked?.();
      return run();
    };
    return withFileLock(join(this.home, ACTION_LOCK), asked, { what: 'the process action lock', ...(options.deadline !== undefined && { deadline: options.deadline }) });
  }

  async reloadLogs(): Promise<void> {
    await this.call('reloadLogs', {});
  }

  async dump(): Promise<void> {
    const { api } = await this.connection();
    await this.track((cb) => api.dump(false, cb), 'dump');
  }

  async killDaemon(): Promise<void> {
    if (this.noDaemon) {
      throw new ToolError('NOT_SUPPORTED', 'In --no-daemon mode the pm2 daemon is this server itself; stop the server instead of killing the daemon.');
    }
    const session = await this.connection();
    // The daemon going away is the point here, not a lost connection: stop watching first.
    this.session = undefined;
    // The caller asked for it and was answered: the daemon spawned next is no surprise.
    this.daemon.forget();
    try {
      await this.track((cb) => session.api.killDaemon(cb), 'kill daemon');
    } finally {
      // pm2.killDaemon marks the whole process as "stopping"; later calls are not stopping.
      delete process.env.PM2_STATUS;
      this.drop(session);
    }
  }

  async subscribe(onEvent: BusListener, onLost: () => void): Promise<() => void> {
    const session = await this.connection();
    let bus = session.bus ? await session.bus.catch(() => undefined) : undefined;
    if (!bus?.isOpen) {
      const opening = Pm2Bus.open(session.api, this.callTimeoutMs);
      session.bus = opening;
      opening.catch(() => {
        if (session.bus === opening) delete session.bus;
      });
      bus = await opening;
      // The connection may have been dropped while the bus opened: it must not outlive it.
      if (this.session !== session) bus.close();
    }
    return bus.subscribe(onEvent, onLost);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.connecting) await this.connecting.catch(() => undefined);
    const session = this.session;
    if (!session) return;
    if (this.noDaemon) {
      // Apps started in no-daemon mode are children of this process: stop them with it.
      const list = await this.list().catch(() => []);
      await Promise.allSettled(list.map((p) => (typeof p.pm_id === 'number' ? this.delete(p.pm_id) : undefined)));
    }
    this.drop(session);
  }

  private async connection(): Promise<Session> {
    if (this.closed) throw new ToolError('DAEMON_UNREACHABLE', 'The server is shutting down.');
    if (this.session) return this.session;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<Session> {
    let pm2;
    try {
      pm2 = await loadPm2(this.home);
    } catch (err) {
      throw new ToolError('DAEMON_UNREACHABLE', `Could not load pm2: ${errorMessage(err)}`);
    }
    const api = new pm2.custom({ pm2_home: this.home, daemon_mode: !this.noDaemon });
    const spawns = this.maySpawn();
    if (!this.noDaemon && !spawns && !(await ping(api))) {
      throw new ToolError('DAEMON_NOT_RUNNING', `No pm2 daemon runs for PM2_HOME=${this.home}, and this server does not start one.`, { home: this.home });
    }
    try {
      const connect = () => withTimeout(new Promise<void>((resolve, reject) => api.connect((err) => (err ? reject(err) : resolve()))), this.callTimeoutMs, 'connect');
      // pm2's connect pings the daemon and spawns one when none answers: two servers doing that at
      // once on a fresh home spawn two daemons. Across processes, one checks and spawns at a time.
      if (this.noDaemon || !spawns) await connect();
      else {
        mkdirSync(this.home, { recursive: true, mode: 0o700 });
        await withFileLock(join(this.home, SPAWN_LOCK), connect, { what: 'the pm2 daemon start lock', deadline: Date.now() + Math.min(this.callTimeoutMs, SPAWN_WAIT_MS) });
      }
    } catch (err) {
      throw new ToolError('DAEMON_UNREACHABLE', `Cannot reach the pm2 daemon of PM2_HOME=${this.home}: ${errorMessage(err)}`, { home: this.home });
    }
    const session: Session = { api, sock: api.Client.client_sock };
    this.listenToPrepare(api);
    this.watch(session);
    this.session = session;
    // In no-daemon mode the daemon is this process: it cannot be replaced under us.
    if (!this.noDaemon) await this.noticeReplacement();
    this.keepHistory(session);
    return session;
  }

  /**
   * Hears the bus for the history as long as this connection lasts; a lost bus is a gap the
   * history knows of, closed by the next connection. Never delays or fails the call that connected.
   */
  private keepHistory(session: Session): void {
    const history = this.history;
    if (!history) return;
    void this.subscribe((e) => history.record(e), () => history.lost()).then(
      (unsubscribe) => {
        if (this.session === session) history.began();
        else unsubscribe();
      },
      () => history.lost(),
    );
  }

  /** Says, once, that the daemon just reached is not the one last talked to. */
  private async noticeReplacement(): Promise<void> {
    const replaced = this.daemon.reached(readDaemonPid(this.home));
    if (!replaced || !this.onDaemonReplaced) return;
    const processes = await this.list().then((list) => list.length, () => undefined);
    try {
      this.onDaemonReplaced(processes === undefined ? replaced : { ...replaced, processes });
    } catch {
      // Telling about the replacement must not fail the call that reconnected.
    }
  }

  /**
   * pm2's API starts an app through the daemon's "prepare" and, when that fails, only prints the
   * error (silenced by PM2_PROGRAMMATIC) and answers the start with no process (lib/API.js
   * startApps). The reason is kept here, from the daemon's answer on our own client.
   */
  private listenToPrepare(api: Pm2Api): void {
    const client = api.Client;
    const send = client.executeRemote.bind(client);
    client.executeRemote = (method, arg, cb) =>
      send(method, arg, (err, result) => {
        const name = (arg as { name?: unknown } | null)?.name;
        if (method === 'prepare' && err && typeof name === 'string') this.startErrors.set(name, errorMessage(err));
        cb(err, result);
      });
  }

  /** Notice at once when the daemon goes away, instead of letting axon queue calls forever. */
  private watch(session: Session): void {
    const lost = () => this.lost(session);
    for (const s of session.sock?.socks ?? []) s.once('close', lost);
    session.sock?.once('reconnect attempt', lost);
  }

  private lost(session: Session): void {
    if (this.session !== session) return;
    this.drop(session);
    const err = new ToolError('DAEMON_UNREACHABLE', `The connection to the pm2 daemon (PM2_HOME=${this.home}) was lost; the next call reconnects.`, { home: this.home });
    for (const fail of [...this.inFlight]) fail(err);
  }

  /** Closing the client socket ourselves is what stops axon's reconnect loop (upstream #2149, #4825). */
  private drop(session: Session): void {
    if (this.session === session) this.session = undefined;
    void session.bus?.then((bus) => bus.close(), () => undefined);
    try {
      session.sock?.close();
    } catch {
      // Already closed.
    }
  }

  private async call<T>(method: string, arg: unknown): Promise<T> {
    const { api } = await this.connection();
    return this.track<T>((cb) => api.Client.executeRemote(method, arg, cb as (err: unknown, r?: unknown) => void), method);
  }

  /** Runs one pm2 callback call with a time bound; a lost daemon fails it at once. */
  private track<T>(run: (cb: (err: unknown, result?: T) => void) => void, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, result?: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inFlight.delete(fail);
        if (err) reject(err);
        else resolve(result as T);
      };
      const fail = (err: Error) => finish(err);
      const timer = setTimeout(() => fail(new ToolError('DAEMON_UNREACHABLE', `pm2 did not answer "${what}" within ${this.callTimeoutMs} ms (PM2_HOME=${this.home}).`)), this.callTimeoutMs);
      this.inFlight.add(fail);
      try {
        run((err, result) => finish(err ? toPm2Error(err, what) : undefined, result));
      } catch (err) {
        finish(toPm2Error(err, what));
      }
    });
  }
}

function toPm2Error(err: unknown, what: string): ToolError {
  if (err instanceof ToolError) return err;
  return new ToolError('PM2_ERROR', `pm2 failed to ${what}: ${errorMessage(err)}`);
}

function ping(api: Pm2Api): Promise<boolean> {
  return new Promise((resolve) => api.Client.pingDaemon((alive) => resolve(alive === true)));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
