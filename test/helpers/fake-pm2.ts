// A pm2 stand-in: answers at once, with no daemon and no socket. In-process benchmarks measure the
// gate's own cost with it (bench/), and in-process tests wire a server to it (test/helpers/in-process.ts).
import { join } from 'node:path';
import type { Pm2Adapter } from '../../src/pm2/adapter.js';
import type { BusListener } from '../../src/pm2/bus.js';
import type { Pm2RawProcess, Pm2StartConfig } from '../../src/pm2/types.js';

/** `count` pm2 entries shaped as the daemon returns them (env twice, as pm2 keeps it). */
export function rawProcesses(root: string, count = 50): Pm2RawProcess[] {
  const names = ['api', 'web', ...Array.from({ length: count - 2 }, (_, i) => `worker-${i}`)];
  const now = Date.now();
  return names.map((name, pm_id) => {
    const cwd = join(root, 'apps', name);
    const env = { NODE_ENV: 'production', PORT: String(3000 + pm_id), LOG_LEVEL: 'info', PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/app' };
    return {
      pid: 10_000 + pm_id,
      name,
      pm_id,
      monit: { memory: 60_000_000 + pm_id * 1_000, cpu: pm_id % 7 },
      pm2_env: {
        ...env,
        name,
        namespace: 'default',
        pm_id,
        status: 'online',
        pm_uptime: now - 60_000,
        created_at: now - 3_600_000,
        restart_time: pm_id % 3,
        unstable_restarts: 0,
        exec_mode: 'fork_mode',
        instances: 1,
        pm_exec_path: join(cwd, 'server.js'),
        pm_cwd: cwd,
        exec_interpreter: 'node',
        node_args: [],
        args: [],
        watch: false,
        pm_out_log_path: `/home/app/.pm2/logs/${name}-out.log`,
        pm_err_log_path: `/home/app/.pm2/logs/${name}-error.log`,
        pm_pid_path: `/home/app/.pm2/pids/${name}-${pm_id}.pid`,
        autorestart: true,
        env: { ...env, unique_id: `00000000-0000-0000-0000-${String(pm_id).padStart(12, '0')}` },
        version: '1.0.0',
        node_version: process.versions.node,
      },
    };
  });
}

/** Answers at once: no daemon, no socket. start() hands back an id that is in the list. */
export class FakePm2 implements Pm2Adapter {
  readonly noDaemon = false;
  /** `home` must exist: a start takes a lock file there. */
  constructor(readonly home: string, private readonly processes: Pm2RawProcess[], private readonly startedId = 0) {}
  isDaemonRunning = async (): Promise<boolean> => true;
  list = async (): Promise<Pm2RawProcess[]> => this.processes;
  start = async (config: Pm2StartConfig): Promise<number[]> => {
    this.online(this.startedId, config.name);
    return [this.startedId];
  };
  restart = async (id: number, _env: Record<string, string>): Promise<void> => this.online(id);
  reload = async (id: number, _env: Record<string, string>): Promise<void> => this.online(id);
  stop = async (id: number): Promise<void> => {
    const env = this.processes.find((p) => p.pm_id === id)?.pm2_env;
    if (env) env.status = 'stopped';
  };
  delete = async (id: number): Promise<void> => {
    const at = this.processes.findIndex((p) => p.pm_id === id);
    if (at >= 0) this.processes.splice(at, 1);
  };
  reloadLogs = async (): Promise<void> => undefined;
  dump = async (): Promise<void> => undefined;
  killDaemon = async (): Promise<void> => undefined;
  close = async (): Promise<void> => undefined;
  private readonly listeners = new Set<BusListener>();
  subscribe = async (onEvent: BusListener): Promise<() => void> => {
    this.listeners.add(onEvent);
    return () => void this.listeners.delete(onEvent);
  };

  /** What pm2's bus says of an instance that came online; with no min_uptime a wait ends at once. */
  private online(pmId: number, name = this.processes.find((p) => p.pm_id === pmId)?.name ?? ''): void {
    const at = Date.now();
    for (const l of this.listeners) l({ kind: 'process', event: 'online', pmId, name, status: 'online', launchedAt: at, restarts: 0, exitCode: undefined, minUptimeMs: 0, autorestart: true, at });
  }
}
