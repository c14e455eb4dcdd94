// Our own types over what pm2's daemon returns. pm2's bundled typings are wrong in places
// (pm_id as string, missing fields), so we type only what we read, everything optional.
import type { StartOptions } from '../model/requests.js';

export interface Pm2RawEnv {
  [key: string]: unknown;
  name?: string;
  namespace?: string;
  pm_id?: number;
  status?: string;
  pm_uptime?: number;
  created_at?: number;
  restart_time?: number;
  unstable_restarts?: number;
  exec_mode?: string;
  instances?: number | string;
  pm_exec_path?: string;
  pm_cwd?: string;
  exec_interpreter?: string;
  node_args?: string[];
  args?: string[] | string;
  watch?: boolean | string[];
  pm_out_log_path?: string;
  pm_err_log_path?: string;
  pm_log_path?: string;
  pm_pid_path?: string;
  exit_code?: number;
  autorestart?: boolean;
  env?: Record<string, unknown>;
  version?: string;
  node_version?: string;
}

export interface Pm2RawProcess {
  pid?: number;
  name?: string;
  pm_id?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: Pm2RawEnv;
}

/** The app object handed to pm2.start: built by us from known keys only (docs/threat-model.md §T4). */
export interface Pm2StartConfig extends Omit<StartOptions, 'autorestart'> {
  name: string;
  script: string;
  cwd: string;
  args: string[];
  interpreter: string;
  node_args: string[];
  env: Record<string, string>;
  instances: number;
  exec_mode: 'fork' | 'cluster';
  watch: boolean;
  namespace: string;
  autorestart: boolean;
  /** Removes every variable of the caller's environment: the app gets `env` and nothing else. */
  filter_env: string[];
  out_file?: string;
  error_file?: string;
  log_file?: string;
}
