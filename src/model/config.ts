// The shape of pm2-mcp.config.* — the public contract, written once. Key names here are public:
// extend them, never rename them. The TypeScript type (Pm2McpConfig) is derived from this shape,
// and schemas/pm2-mcp.config.schema.json, which ajv validates every config with
// (src/config/validate.ts) and editors complete from, is generated from it by
// scripts/generate-schema.ts (`npm run generate`; a unit test fails when the file drifts).
//
// Neutral ground: config/ reads files of this shape, policy/ compiles it, and neither imports the
// other for it. What a key means when no layer of the chain sets it is CONFIG_DEFAULTS, below:
// every reader of a default takes it from there.
import * as z from 'zod';
import { TOOL_EFFECTS, TOOL_NAMES, type PresetName, type ToolEffect, type ToolName } from './tools.js';

const MIB = 1024 * 1024;

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

type Section<K extends keyof Pm2McpConfig> = NonNullable<Pm2McpConfig[K]>;

/** Every key that has a value when no layer sets it; the keys left out are computed (see below). */
interface ConfigDefaults {
  /** The preset under a config without `extends`, and with no config file at all. */
  extends: PresetName;
  mode: NonNullable<Pm2McpConfig['mode']>;
  /** A tool no layer names is denied. */
  tools: Record<ToolName, ToolEffect>;
  start: Required<Omit<Section<'start'>, 'env'>> & { env: Required<NonNullable<Section<'start'>['env']>> };
  processes: Required<Section<'processes'>>;
  output: Required<Section<'output'>>;
  logs: Required<Section<'logs'>>;
  /** `file` is left out: by default the log lives in PM2_HOME (src/audit/location.ts). */
  audit: Required<Omit<Section<'audit'>, 'file'>>;
  /** `allowedHosts` is left out: by default the loopback names and the bound host (src/transport/http-guard.ts). */
  http: Required<Omit<Section<'http'>, 'allowedHosts'>>;
  reads: Required<Section<'reads'>>;
  /** No tool is limited until a layer says so; the keys of one limit default by LIMIT_DEFAULTS. */
  limits: Section<'limits'>;
}

/** The empty list of strings: nothing matches it. */
const NONE: readonly string[] = [];

/** Frozen all the way down: a default list handed out by the table can't be changed by its reader. */
function deepFreeze<const T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/**
 * The one table of defaults. Fail closed: with nothing said, lists are empty (nothing matches),
 * switches are off, and no process may be started (processes.max 0). Typed by inference, not by
 * ConfigDefaults, because the shape's descriptions quote it; _DefaultsFitTheShape checks it.
 */
export const CONFIG_DEFAULTS = deepFreeze({
  extends: 'standard',
  mode: 'enforce',
  tools: Object.fromEntries(TOOL_NAMES.map((name) => [name, 'deny'])) as Record<ToolName, 'deny'>,
  start: {
    scripts: NONE,
    scriptsExclude: NONE,
    cwd: NONE,
    interpreters: NONE,
    interpreterArgs: NONE,
    ecosystemFiles: NONE,
    env: { allow: NONE, deny: NONE, passThrough: NONE },
    logFiles: NONE,
    maxInstances: 1,
    // Two minutes: a build-then-listen dev server is ready well within it, and no call hangs longer.
    maxWaitMs: 120_000,
    watch: false,
    ask: false,
    runWith: {} as Record<string, string[]>,
  },
  processes: { names: NONE, namespaces: NONE, inRoot: false, allowAll: false, updateEnv: false, max: 0 },
  output: { redactEnv: true },
  logs: { maxLines: 1000 },
  audit: { enabled: true, maxBytes: 50 * MIB, fsync: true },
  // allowedOrigins empty: loopback origins only (src/transport/http-guard.ts).
  // maxConnections 256: room for maxSessions (100) clients holding two sockets each (an event
  // stream and a request), well below the common fd limit of 1024, which must also hold the pm2
  // daemon's sockets, the audit log, log files being read and Node's own descriptors.
  // sessionReclaimSeconds 60: a client that lost its stream reconnects within seconds (the SDK's
  // client retries after 1 s), so a minute of silence says it is gone.
  http: { tokens: [], allowedOrigins: NONE, sessionIdleSeconds: 1800, maxSessions: 100, maxBodyBytes: 1 * MIB, maxConnections: 256, sessionReclaimSeconds: 60 },
  // maxAgeMs 250: a quarter of a second is as old as an agent's view may be, and at that age
  // 32 agents listing at once cost the daemon a few samples a second instead of one each call.
  reads: { maxAgeMs: 250 },
  limits: {},
});

/** The default of a key inside each tool's limit (`limits.<tool>.per`): the tool's calls counted together. */
export const LIMIT_DEFAULTS = deepFreeze({ per: 'tool' } as const);

// --- the shape ------------------------------------------------------------------------------

/** A size for a description: "1 MiB", "50 MiB". */
const mib = (bytes: number): string => `${bytes / MIB} MiB`;

/** Globs over real paths (src/policy/globs.ts); the "glob" format is checked by validate.ts. */
const pathGlob = z.string().min(1).max(4096).meta({ format: 'glob' });
/** Globs over names, * and ? only; the "name-glob" format is checked by validate.ts. */
const nameGlob = z.string().min(1).max(4096).meta({ format: 'name-glob' });

const pathGlobs = (description: string, maxItems = 500) => z.array(pathGlob).max(maxItems).optional().describe(description);
const nameGlobs = (description: string) => z.array(nameGlob).max(500).optional().describe(description);

/** Built from the tool catalog: a new tool is a new key with no edit here. */
const toolsShape = Object.fromEntries(TOOL_NAMES.map((name) => [name, z.enum(TOOL_EFFECTS).optional()])) as Record<
  ToolName,
  z.ZodOptional<z.ZodEnum<{ [E in ToolEffect]: E }>>
>;

const startShape = z.strictObject({
  scripts: pathGlobs('Globs over the real path of the script (symlinks resolved).'),
  scriptsExclude: pathGlobs('Globs over real script paths that are refused even when start.scripts allows them (deny beats allow; extending a preset adds to its list).'),
  cwd: pathGlobs('Globs over the real path of the working folder; "." is the config\'s folder.'),
  interpreters: pathGlobs('Interpreter names (resolved on the server\'s PATH), absolute paths or globs over them, "none" (the file runs itself), or "*" (any).', 100),
  interpreterArgs: pathGlobs('Globs that every interpreter argument (node_args / interpreter_args) must match.'),
  ecosystemFiles: pathGlobs('Ecosystem files that may be started (globs over real paths). A JavaScript one only when named exactly: it is executed to be read.'),
  env: z
    .strictObject({
      allow: nameGlobs('Globs over the variable names an app may be given.'),
      deny: nameGlobs('Globs over names refused even when allowed (deny beats allow).'),
      passThrough: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(128))
        .max(200)
        .optional()
        .describe('Names of the server\'s own variables handed on to every started app.'),
    })
    .optional()
    .describe('Environment variables of started apps.'),
  logFiles: pathGlobs('Where out_file, error_file and log_file may point (globs over real paths).'),
  maxInstances: z.int().min(1).max(64).optional().describe('The most instances one start may ask for.'),
  maxWaitMs: z
    .int()
    .min(1000)
    .max(3_600_000)
    .optional()
    .describe(`The longest a start, restart or reload may wait for its app to be online or ready (its timeoutMs), in milliseconds (default ${CONFIG_DEFAULTS.start.maxWaitMs}).`),
  watch: z.boolean().optional().describe('May a start turn on watch mode?'),
  ask: z.boolean().optional().describe('A start the rules above would refuse is asked of a person instead (MCP elicitation), unless the refusal is a hard one.'),
  runWith: z
    .record(z.string().min(1).max(4096), z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/)).min(1))
    .optional()
    .describe('Pairs a glob over real script paths with the interpreters that may run those scripts, when the extension does not say (an extensionless file) or says otherwise. The interpreter must still be in start.interpreters.'),
});

const processesShape = z.strictObject({
  names: nameGlobs('Globs over process names in scope.'),
  namespaces: nameGlobs('Globs over namespaces in scope.'),
  inRoot: z.boolean().optional().describe('Is a process whose cwd lies inside the config\'s folder in scope?'),
  allowAll: z.boolean().optional().describe('May a call target "all"?'),
  updateEnv: z.boolean().optional().describe('May restart and reload copy the server\'s environment into an app (updateEnv)?'),
  max: z.int().min(0).max(10000).optional().describe('The most processes the agent\'s starts may have created and not yet deleted (every instance counts).'),
});

const auditShape = z.strictObject({
  enabled: z.boolean().optional().describe(`Write the audit log (default ${String(CONFIG_DEFAULTS.audit.enabled)}).`),
  file: z.string().min(1).optional().describe('Path of the JSONL audit log (default $PM2_HOME/pm2-mcp/audit.jsonl).'),
  maxBytes: z.int().min(1024).optional().describe(`Rotate the log past this size (default ${mib(CONFIG_DEFAULTS.audit.maxBytes)}).`),
  fsync: z
    .literal([true, false, 'always'])
    .optional()
    .describe('true (default): the decision record of a call that changes something is on disk before the call runs; reads, refusals and outcomes follow with the next flush. "always": every record is fsynced. false: the operating system decides.'),
});

const httpShape = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe('The principal written into audit records.'),
        sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('Hex sha256 of the bearer token.'),
        extends: z.string().min(1).optional().describe('A preset or config path narrowing what this token may do.'),
      }),
    )
    .max(100)
    .optional(),
  allowedHosts: z.array(z.string().min(1)).optional().describe('Host header values accepted.'),
  allowedOrigins: z.array(z.string().min(1)).optional().describe('Origin header values accepted.'),
  sessionIdleSeconds: z.int().min(1).max(86400).optional().describe(`An HTTP session idle this long is closed (default ${CONFIG_DEFAULTS.http.sessionIdleSeconds}).`),
  maxSessions: z.int().min(1).max(10000).optional().describe(`The most concurrent HTTP sessions; beyond it, 503 with Retry-After (default ${CONFIG_DEFAULTS.http.maxSessions}).`),
  maxBodyBytes: z.int().min(1024).max(100 * MIB).optional().describe(`The largest request body accepted; larger is 413 (default ${mib(CONFIG_DEFAULTS.http.maxBodyBytes)}).`),
  maxConnections: z
    .int()
    .min(8)
    .max(100_000)
    .optional()
    .describe(`The most open TCP connections. A new one past it closes the oldest idle connection (one that has sent no complete request first), or, with none idle, is answered 503 and closed (default ${CONFIG_DEFAULTS.http.maxConnections}).`),
  sessionReclaimSeconds: z
    .int()
    .min(1)
    .max(86400)
    .optional()
    .describe(`A session with no request or stream open, quiet this long, is closed when its event stream (GET) has ended, or when a new session needs its place at maxSessions, oldest first (default ${CONFIG_DEFAULTS.http.sessionReclaimSeconds}).`),
});

/**
 * One tool's limit: a rate, written whole (a file that sets it replaces the limit it extends,
 * src/config/merge.ts). At most `calls` timestamps are kept per counted key, so the bound on
 * calls bounds the limiter's memory (src/server/limits.ts). Named, so that the schema holds it
 * once and each tool refers to it.
 */
const limitShape = z
  .strictObject({
    calls: z.int().min(1).max(1000).describe('The most calls allowed within perSeconds.'),
    perSeconds: z.int().min(1).max(86_400).describe('The length of the sliding window, in seconds (at most a day).'),
    per: z
      .enum(['tool', 'process'])
      .optional()
      .describe(`"tool": every call of the tool counts together. "process": each target pm_id counts on its own (a restart storm on one app); a call that names no process counts under the tool (default "${LIMIT_DEFAULTS.per}").`),
  })
  .meta({ id: 'limit', description: 'At most `calls` calls of this tool within any `perSeconds` seconds, across every session of the server.' });

/** Built from the tool catalog, as `tools` is: a limit's key is a tool name. */
const limitsShape = Object.fromEntries(TOOL_NAMES.map((name) => [name, limitShape.optional()])) as Record<ToolName, z.ZodOptional<typeof limitShape>>;

export const CONFIG_SHAPE = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint: the path or URL of this schema.'),
    extends: z.string().min(1).optional().describe('A preset (readonly, strict, standard, permissive) or a path, relative to this file, of another config to extend.'),
    mode: z.enum(['enforce', 'audit']).optional().describe('enforce (default): denials are refused. audit: a dry run, what would be denied runs and is logged as would_deny.'),
    tools: z.strictObject(toolsShape).optional().describe('Per-tool effect, over the preset\'s. Destructive tools are opt-in.'),
    start: startShape.optional().describe('What pm2_start_process may start.'),
    processes: processesShape.optional().describe('Which processes the mutating tools may touch.'),
    output: z.strictObject({ redactEnv: z.boolean().optional().describe('Show environment variable names only, values as [redacted].') }).optional(),
    logs: z.strictObject({ maxLines: z.int().min(1).max(1000).optional().describe('The most lines pm2_tail_logs may return per log file.') }).optional(),
    audit: auditShape.optional().describe('The audit log.'),
    http: httpShape.optional().describe('The Streamable HTTP transport.'),
    reads: z
      .strictObject({
        maxAgeMs: z
          .int()
          .min(0)
          .max(10_000)
          .optional()
          .describe(`The oldest pm2 data a list, a describe or a call's view of its targets may be answered with, in milliseconds: concurrent reads share one pm2 call, and its answer serves the next reads until this age, a change made through the server or a process event on pm2's bus (default ${CONFIG_DEFAULTS.reads.maxAgeMs}; 0: every read asks pm2).`),
      })
      .optional()
      .describe('How reads of pm2\'s process list are shared between concurrent calls and sessions.'),
    limits: z
      .strictObject(limitsShape)
      .optional()
      .describe('Limits of calls per tool, counted across every session of the server: over one, a call is denied (rule limits.<tool>) with when to retry.'),
  })
  .meta({
    $id: 'https://github.com/pm2-mcp/pm2-mcp/schemas/pm2-mcp.config.schema.json',
    title: 'pm2-mcp configuration',
    description: 'What an AI agent may do with PM2 through pm2-mcp. Relative paths and globs resolve against the folder of this file.',
  });

/** A config as written: every key optional. */
export type Pm2McpConfig = z.input<typeof CONFIG_SHAPE>;

// Compile time: the table has a default of the shape's type for every key ConfigDefaults names.
type Assert<T extends true> = T;
type _DefaultsFitTheShape = Assert<typeof CONFIG_DEFAULTS extends DeepReadonly<ConfigDefaults> ? true : false>;

/** For typed configs: `export default defineConfig({ extends: 'strict', … })`. */
export function defineConfig(config: Pm2McpConfig): Pm2McpConfig {
  return config;
}
