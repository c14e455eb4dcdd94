// A pm2 that is a table (the process table of a tests file): list() answers with its processes,
// shaped as pm2's daemon lists them, so that targets, scope and stored configs resolve as they
// would against a real daemon. It changes nothing: every other call is refused. No daemon is
// needed, or reached.
import { join, resolve } from 'node:path';
import { ToolError } from '../errors.js';
import type { Pm2Adapter } from './adapter.js';
import type { BusListener } from './bus.js';
import type { Pm2RawProcess, Pm2StartConfig } from './types.js';

/** One process of the table; relative paths are resolved against `root` (the policy's). */
export interface TableEntry {
  name: string;
  namespace: string;
  cwd: string;
  pm_id: number;
  script?: string;
  interpreter?: string;
}

/**
 * The entries as pm2 lists them: online, with their cwd, script and interpreter, and the log
 * files pm2 gives an app that names none ($PM2_HOME/logs/<name>-out.log, -error.log).
 */
export function tableProcesses(entries: readonly TableEntry[], root: string, home: string): Pm2RawProcess[] {
  return entries.map((e) => {
    const cwd = resolve(root, e.cwd);
    // pm2 maps every character outside [A-Za-z0-9.-] to "-" in the log file names it derives.
    const logName = e.name.replace(/[^A-Za-z0-9.-]/g, '-');
    return {
      name: e.name,
      pm_id: e.pm_id,
      pm2_env: {
        name: e.name,
        namespace: e.namespace,
        pm_id: e.pm_id,
        status: 'online',
        pm_cwd: cwd,
        ...(e.script !== undefined ? { pm_exec_path: resolve(cwd, e.script) } : {}),
        exec_interpreter: e.interpreter ?? 'node',
        exec_mode: 'fork_mode',
        instances: 1,
        node_args: [],
        args: [],
        watch: false,
        autorestart: true,
        pm_out_log_path: join(home, 'logs', `${logName}-out.log`),
        pm_err_log_path: join(home, 'logs', `${logName}-error.log`),
        env: {},
      },
    };
  });
}

export class TableAdapter implements Pm2Adapter {
  readonly noDaemon = false;
  readonly history = undefined;

  constructor(
    readonly home: string,
    private readonly processes: readonly Pm2RawProcess[],
  ) {}

  isDaemonRunning = async (): Promise<boolean> => true;
  // A copy each time: nothing a caller does to the list changes the table.
  list = async (): Promise<Pm2RawProcess[]> => structuredClone([...this.processes]);
  start = async (_config: Pm2StartConfig): Promise<number[]> => refuse('start');
  restart = async (_id: number, _env: Record<string, string>): Promise<void> => refuse('restart');
  reload = async (_id: number, _env: Record<string, string>): Promise<void> => refuse('reload');
  stop = async (_id: number): Promise<void> => refuse('stop');
  delete = async (_id: number): Promise<void> => refuse('delete');
  reloadLogs = async (): Promise<void> => refuse('reloadLogs');
  dump = async (): Promise<void> => refuse('dump');
  killDaemon = async (): Promise<void> => refuse('killDaemon');
  subscribe = async (_onEvent: BusListener, _onLost: () => void): Promise<() => void> => refuse('subscribe');
  close = async (): Promise<void> => undefined;
}

function refuse(what: string): never {
  throw new ToolError('NOT_SUPPORTED', `The process table of a tests file stands in for pm2 to decide calls, never to run them (${what}).`);
}
