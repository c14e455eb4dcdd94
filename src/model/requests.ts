// The canonical requests the policy decides over: built by the resolve stage from real paths and
// concrete pm_ids, never from what the client typed. Pure data, no fs, no pm2.

export interface ProcessRef {
  pm_id: number;
  name: string;
  namespace: string;
  cwd: string | null;
  /** Set when the process is a pm2-mcp server (this one, or one pm2 manages): never a target. */
  server?: true;
}

/**
 * What the running server knows about itself and its machine, handed to the policy at start-up so
 * that evaluate() stays pure: where pm2 keeps its files, which files are pm2-mcp's own, and how
 * to recognise a pm2-mcp server among pm2's processes.
 */
export interface ServerFacts {
  /** PM2_HOME of this server ("" when unknown, as in `pm2-mcp check`). */
  pm2Home: string;
  /** pm2's default log folder, $PM2_HOME/logs: where an app's logs go when it names none. */
  pm2LogDir: string;
  /**
   * Files pm2-mcp owns (real or lexical absolute paths): the audit log, every config file of the
   * chain. Derived names (FILE.1 … rotations, FILE.lock) are covered by whoever checks.
   */
  ownFiles: readonly string[];
}

/** A log file an app writes or a tool reads or truncates, with what resolve saw of it. */
export interface LogFileRef {
  stream: 'out' | 'err' | 'combined';
  /** Absolute path with its folder's real path (the file itself may not exist yet). */
  path: string;
  /** Identity of the file when it existed at resolve time: use-time checks compare it. */
  dev?: number;
  ino?: number;
}

export interface StartApp {
  name: string;
  /** Real path of the script (symlinks resolved, relative parts gone). */
  script: string;
  /** The script is a pm2-mcp entry (decided in resolve): starting a server is never the agent's to do. */
  serverEntry?: true;
  /** Real path of the working folder. */
  cwd: string;
  /** stripsTypes: the node that would run reads TypeScript itself (decided in resolve, where the version is known). */
  interpreter: { name: string; path: string; stripsTypes?: boolean };
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

/**
 * The pm2 options a start may carry beyond its paths, env and scope, each with the kind of value
 * it takes: the one list that the ecosystem reader checks, resolve copies and the pm2 config
 * carries (a new option is one row here).
 */
export const START_OPTIONS = {
  autorestart: 'flag',
  max_memory_restart: 'size',
  max_restarts: 'count',
  min_uptime: 'count',
  restart_delay: 'count',
  kill_timeout: 'count',
  time: 'flag',
  merge_logs: 'flag',
} as const;

export type StartOptionName = keyof typeof START_OPTIONS;
export const START_OPTION_NAMES = Object.keys(START_OPTIONS) as StartOptionName[];

interface OptionValue {
  flag: boolean;
  /** A whole number of milliseconds or restarts. */
  count: number;
  /** A size such as "200M". */
  size: string;
}

export type StartOptions = { [K in StartOptionName]?: OptionValue[(typeof START_OPTIONS)[K]] };

/** Does the value have the type its option takes? (Bounds are the ecosystem reader's.) */
export function isOptionValue(name: StartOptionName, value: unknown): boolean {
  const kind = START_OPTIONS[name];
  return kind === 'flag' ? typeof value === 'boolean' : kind === 'count' ? typeof value === 'number' : typeof value === 'string';
}

/** What says a started app is ready, when a wait is for "ready". */
export type ReadyCheck =
  /** A TCP port that accepts a connection; only these loopback addresses are tried. */
  | { kind: 'port'; port: number; hosts: readonly string[] }
  /** A line of the app's output: a literal substring, or /regex/ (run in linear time). */
  | { kind: 'pattern'; pattern: string }
  /** The app calls process.send('ready'), as for pm2's wait_ready. */
  | { kind: 'message' };

/** How long a start, restart or reload waits for its app, and for what (the policy bounds timeoutMs). */
export interface WaitRequest {
  until: 'online' | 'ready' | 'none';
  timeoutMs: number;
  ready?: ReadyCheck;
}

export interface TargetRef {
  asked: string | number;
  kind: 'id' | 'name' | 'namespace' | 'all' | 'regex';
  processes: ProcessRef[];
}

export type CanonicalRequest =
  | { kind: 'read'; operation: string; targets: ProcessRef[]; lines?: number; /** tail: the log files it would read. */ files?: LogFileRef[] }
  | {
      kind: 'start';
      operation: string;
      apps: StartApp[];
      /** Set when the file was not read because no rule allows it. */
      ecosystemFile?: string;
      /** Processes the agent's starts created earlier that pm2 still manages (processes.max counts them). */
      managed?: number;
      wait?: WaitRequest;
    }
  | {
      kind: 'operate';
      operation: string;
      target: TargetRef | null;
      updateEnv: boolean;
      /** restart/reload: what pm2 would start again, from its stored config (a restart is a start). */
      stored?: StartApp[];
      /** flush: the log files it would truncate. */
      files?: LogFileRef[];
      /** restart/reload: how long the reply waits for the app, and for what. */
      wait?: WaitRequest;
    }
  | {
      kind: 'daemon';
      operation: string;
      /** Every process the operation would stop (kill_daemon): none may be a pm2-mcp server. */
      affects?: ProcessRef[];
      /** Set for an operation no dry run may perform: it stops every process of the daemon. */
      destructive?: true;
      /** reload_logs: the log files pm2 would reopen by name, following links. */
      files?: LogFileRef[];
    };

/** ask: a person must approve this exact call before it runs (src/server/ask.ts). */
export type Effect = 'allow' | 'deny' | 'ask';

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
