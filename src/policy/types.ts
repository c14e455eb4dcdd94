// The canonical requests the policy decides over: built by the resolve stage from real paths and
// concrete pm_ids, never from what the client typed. Pure data, no fs, no pm2.

export interface ProcessRef {
  pm_id: number;
  name: string;
  namespace: string;
  cwd: string | null;
}

export interface StartApp {
  name: string;
  /** Real path of the script (symlinks resolved, relative parts gone). */
  script: string;
  /** Real path of the working folder. */
  cwd: string;
  interpreter: { name: string; path: string };
  interpreterArgs: string[];
  args: string[];
  /** Variables the request sets (values are never logged). */
  env: Record<string, string>;
  instances: number;
  execMode: 'fork' | 'cluster';
  watch: boolean;
  namespace: string;
  logFiles: { out?: string; err?: string; combined?: string };
  options: StartOptions;
  origin: { kind: 'arguments' } | { kind: 'ecosystem'; file: string; index: number };
}

export interface StartOptions {
  autorestart?: boolean;
  max_memory_restart?: string;
  max_restarts?: number;
  min_uptime?: number;
  restart_delay?: number;
  kill_timeout?: number;
  time?: boolean;
  merge_logs?: boolean;
}

export interface TargetRef {
  asked: string | number;
  kind: 'id' | 'name' | 'namespace' | 'all' | 'regex';
  processes: ProcessRef[];
}

export type CanonicalRequest =
  | { kind: 'read'; operation: string; targets: ProcessRef[]; lines?: number }
  | { kind: 'start'; operation: string; apps: StartApp[]; /** Set when the file was not read because no rule allows it. */ ecosystemFile?: string }
  | { kind: 'operate'; operation: string; target: TargetRef | null; updateEnv: boolean }
  | { kind: 'daemon'; operation: string };

export type Effect = 'allow' | 'deny';

export interface Decision {
  effect: Effect;
  /** Stable id of the rule that decided: "tools.pm2_kill_daemon", "start.scripts", "processes.scope" … */
  ruleId: string;
  /** Plain words: what was asked and why it is (not) allowed. */
  reason: string;
  /** For a denial: the config key that would allow it, and how. */
  hint?: string;
  /** A denial that holds even in audit mode: letting it run would corrupt pm2 itself. */
  hard?: true;
}
