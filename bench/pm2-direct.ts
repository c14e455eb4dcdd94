// pm2's own programmatic API, connected to one temp PM2_HOME: the baseline the server is
// compared with, and the quick way to start the apps a benchmark needs.
import { setTimeout as sleep } from 'node:timers/promises';

type Callback<T> = (err: unknown, result?: T) => void;

export interface RawProcess {
  name?: string;
  pm_id?: number;
  pid?: number;
  pm2_env?: { status?: string; pm_out_log_path?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface Pm2Instance {
  connect(cb: Callback<unknown>): void;
  start(options: Record<string, unknown>, cb: Callback<unknown>): void;
  list(cb: Callback<RawProcess[]>): void;
  disconnect(cb?: Callback<unknown>): void;
}

// pm2's bundled typings do not declare `custom`, the constructor that takes a pm2_home.
interface Pm2Module {
  custom: new (opts: { pm2_home: string; daemon_mode: boolean }) => Pm2Instance;
}

let loaded: Promise<Pm2Module> | undefined;

function loadPm2(home: string): Promise<Pm2Module> {
  // pm2 reads these when its modules load; PM2_PROGRAMMATIC keeps it from printing to stdout.
  process.env.PM2_HOME = home;
  process.env.PM2_PROGRAMMATIC = 'true';
  process.env.PM2_NO_INTERACTION = 'true';
  process.env.PM2_DISCRETE_MODE = 'true';
  loaded ??= import('pm2').then((m) => (m as unknown as { default: Pm2Module }).default);
  return loaded;
}

function promised<T>(run: (cb: Callback<T>) => void, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pm2 ${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    run((err, result) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(`pm2 ${what}: ${JSON.stringify(err)}`));
      else resolve(result as T);
    });
  });
}

export interface DirectPm2 {
  list(): Promise<RawProcess[]>;
  start(options: Record<string, unknown>): Promise<void>;
  waitOnline(names: string[], timeoutMs?: number): Promise<RawProcess[]>;
  disconnect(): Promise<void>;
}

/**
 * Connects to (and if needed spawns) the daemon of `home`. One pm2 instance per home; the
 * benchmarks use one home at a time, since pm2's path constants are shared module state.
 */
export async function connectDirect(home: string): Promise<DirectPm2> {
  const pm2 = await loadPm2(home);
  const api = new pm2.custom({ pm2_home: home, daemon_mode: true });
  await promised((cb) => api.connect(cb), 'connect');
  const list = async () => (await promised<RawProcess[]>((cb) => api.list(cb), 'list')) ?? [];
  return {
    list,
    start: async (options) => {
      await promised((cb) => api.start(options, cb), `start ${String(options.name)}`);
    },
    waitOnline: async (names, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const procs = await list();
        const online = procs.filter((p) => names.includes(p.name ?? '') && p.pm2_env?.status === 'online');
        if (online.length >= names.length) return online;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${names.length - online.length} of ${names.length} processes to be online`);
        await sleep(200);
      }
    },
    disconnect: async () => {
      await promised((cb) => api.disconnect(cb), 'disconnect', 10_000).catch(() => undefined);
    },
  };
}
