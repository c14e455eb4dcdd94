// Curated views of pm2's process data. pm2's raw entry carries the whole environment twice
// (pm2_env.env, and flattened into pm2_env itself: docs/threat-model.md §T10), so a view copies only
// the fields named here and never spreads pm2_env. A field pm2 has no value for is left out, never
// null: the output schemas give each field one JSON type (test/unit/schema-portability.test.ts).
import { REDACTED } from '../safe-text.js';
import { STARTED_MARKER } from './agent-started.js';
import type { Pm2RawEnv, Pm2RawProcess } from './types.js';

export interface ProcessSummary {
  name: string;
  pm_id: number;
  namespace: string;
  status: string;
  pid?: number;
  uptime_ms?: number;
  restarts: number;
  cpu: number;
  memory: number;
  exec_mode: string;
  instances: number;
  script?: string;
  cwd?: string;
  interpreter?: string;
}

export interface ProcessDetail extends ProcessSummary {
  args: string[];
  interpreter_args: string[];
  watch: boolean | string[];
  autorestart: boolean;
  created_at?: string;
  started_at?: string;
  unstable_restarts: number;
  exit_code?: number;
  logs: { out?: string; err?: string; combined?: string };
  /** Names of the app's own variables; values only when the policy lets them show. */
  env: Record<string, string>;
  env_redacted: boolean;
}

/** Keys pm2 adds to every app's env for its own bookkeeping: not the app's variables. */
const PM2_BOOKKEEPING_ENV = new Set(['unique_id', 'io', 'km_link', 'vizion_running', 'NODE_APP_INSTANCE', 'PM2_USAGE', 'PM2_HOME', 'PM2_JSON_PROCESSING', 'PM2_PROGRAMMATIC', 'PM2_INTERACTOR_PROCESSING', 'PM2_DISCRETE_MODE', 'PM2_NO_INTERACTION', 'pm_id', 'name', 'namespace', STARTED_MARKER]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const iso = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? new Date(v).toISOString() : undefined);

/** `view` without its undefined keys: a missing value is left out, key and all (order kept). */
function present<T extends object>(view: T): T {
  for (const key of Object.keys(view) as Array<keyof T>) if (view[key] === undefined) delete view[key];
  return view;
}

function execMode(env: Pm2RawEnv): string {
  const mode = str(env.exec_mode) ?? 'fork_mode';
  return mode.replace(/_mode$/, '');
}

/** The name pm2 shows for a process: its own field, else its env's ('' when it has none). */
export function processName(proc: Pm2RawProcess): string {
  return str(proc.name) ?? str(proc.pm2_env?.name) ?? '';
}

export function processNamespace(proc: Pm2RawProcess): string {
  return str(proc.pm2_env?.namespace) ?? 'default';
}

export function pmIdOf(proc: Pm2RawProcess): number | undefined {
  const id = proc.pm_id ?? proc.pm2_env?.pm_id;
  return typeof id === 'number' ? id : undefined;
}

export function summarize(proc: Pm2RawProcess, now = Date.now()): ProcessSummary {
  const env = proc.pm2_env ?? {};
  const status = str(env.status) ?? 'unknown';
  const online = status === 'online';
  return present<ProcessSummary>({
    name: processName(proc),
    pm_id: pmIdOf(proc) ?? -1,
    namespace: processNamespace(proc),
    status,
    pid: online && typeof proc.pid === 'number' && proc.pid > 0 ? proc.pid : undefined,
    uptime_ms: online && typeof env.pm_uptime === 'number' ? Math.max(0, now - env.pm_uptime) : undefined,
    restarts: num(env.restart_time),
    cpu: num(proc.monit?.cpu),
    memory: num(proc.monit?.memory),
    exec_mode: execMode(env),
    instances: typeof env.instances === 'number' ? env.instances : Number.parseInt(String(env.instances ?? '1'), 10) || 1,
    script: str(env.pm_exec_path),
    cwd: str(env.pm_cwd),
    interpreter: str(env.exec_interpreter),
  });
}

export function appEnvNames(env: Pm2RawEnv): string[] {
  const own = env.env && typeof env.env === 'object' ? Object.keys(env.env) : [];
  // pm2 also files a copy of the app's whole config under the app's own name: not a variable
  // the app was given, and it holds env values.
  return own.filter((k) => !PM2_BOOKKEEPING_ENV.has(k) && k !== env.name).sort();
}

export function describe(proc: Pm2RawProcess, opts: { redactEnv: boolean }, now = Date.now()): ProcessDetail {
  const env = proc.pm2_env ?? {};
  const appEnv = env.env ?? {};
  const shown: Record<string, string> = {};
  for (const name of appEnvNames(env)) shown[name] = opts.redactEnv ? REDACTED : String(appEnv[name] ?? '');
  const args = Array.isArray(env.args) ? env.args.map(String) : typeof env.args === 'string' && env.args ? [env.args] : [];
  return present<ProcessDetail>({
    ...summarize(proc, now),
    args,
    interpreter_args: Array.isArray(env.node_args) ? env.node_args.map(String) : [],
    watch: Array.isArray(env.watch) ? env.watch.map(String) : env.watch === true,
    autorestart: env.autorestart !== false,
    created_at: iso(env.created_at),
    started_at: iso(env.pm_uptime),
    unstable_restarts: num(env.unstable_restarts),
    exit_code: typeof env.exit_code === 'number' ? env.exit_code : undefined,
    logs: present({ out: str(env.pm_out_log_path), err: str(env.pm_err_log_path), combined: str(env.pm_log_path) }),
    env: shown,
    env_redacted: opts.redactEnv,
  });
}
