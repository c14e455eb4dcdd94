// Command-line flags and their PM2_MCP_* twins. A flag wins over its env twin.
import { parseArgs } from 'node:util';
import { parseBooleanEnv } from './env-flags.js';
import { UsageError } from './errors.js';
import { isLoopbackHost } from './transport/http-guard.js';

export type Transport = 'stdio' | 'http';

export type Command = 'serve' | 'check' | 'explain' | 'audit' | 'help' | 'version';

export interface CliOptions {
  command: Command;
  pm2Home?: string;
  noDaemon: boolean;
  transport: Transport;
  configFile?: string;
  /** A preset that replaces the config's `extends` (--policy, --readonly). */
  policy?: string;
  /** explain: the tool and its JSON arguments. */
  tool?: string;
  toolArgs?: string;
  auditFile?: string;
  http: { host: string; port: number; path: string; noAuth: boolean; pm2: boolean; pm2Name: string };
  /** audit: verify or tail, and their arguments. */
  audit?: { action: 'verify' | 'tail'; file?: string; lines: number; denied: boolean; json: boolean };
}

/** Every flag with its env twin, for --help and the README. */
export const FLAGS = [
  { flag: '--config FILE', env: 'PM2_MCP_CONFIG', text: 'the config file (default: pm2-mcp.config.* searched upward from the working folder)' },
  { flag: '--policy NAME', env: 'PM2_MCP_POLICY', text: 'a preset (readonly, strict, standard, permissive); replaces the config\'s extends' },
  { flag: '--readonly', env: 'PM2_MCP_READONLY', text: 'same as --policy readonly' },
  { flag: '--audit-file FILE', env: 'PM2_MCP_AUDIT_FILE', text: 'the audit log (default $PM2_HOME/pm2-mcp/audit.jsonl)' },
  { flag: '--pm2-home DIR', env: 'PM2_MCP_HOME', text: 'PM2_HOME to attach to (then PM2_HOME, then ~/.pm2)' },
  { flag: '--no-daemon', env: 'PM2_MCP_NO_DAEMON', text: 'run pm2 inside this process instead of attaching to a daemon' },
  { flag: '--transport stdio|http', env: 'PM2_MCP_TRANSPORT', text: 'stdio (default) or Streamable HTTP' },
  { flag: '--host HOST', env: 'PM2_MCP_HOST', text: 'HTTP: the address to bind (default 127.0.0.1)' },
  { flag: '--port PORT', env: 'PM2_MCP_PORT', text: 'HTTP: the port (default 8849)' },
  { flag: '--path PATH', env: 'PM2_MCP_PATH', text: 'HTTP: the MCP endpoint (default /mcp)' },
  { flag: '--no-auth', env: 'PM2_MCP_NO_AUTH', text: 'HTTP: no bearer token (loopback hosts only)' },
  { flag: '--pm2', env: 'PM2_MCP_PM2', text: 'HTTP: run this server itself as a pm2 process, then exit' },
  { flag: '--pm2-name NAME', env: 'PM2_MCP_PM2_NAME', text: 'HTTP: the pm2 process name for --pm2 (default pm2-mcp)' },
  { flag: '--help, -h', env: '', text: 'show this help' },
  { flag: '--version, -v', env: '', text: 'print the version' },
] as const;

const COMMANDS = new Set(['serve', 'check', 'explain', 'audit']);

export function parseCli(argv: string[], env: Record<string, string | undefined>): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'pm2-home': { type: 'string' },
        'no-daemon': { type: 'boolean' },
        transport: { type: 'string' },
        config: { type: 'string' },
        policy: { type: 'string' },
        readonly: { type: 'boolean' },
        'audit-file': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        path: { type: 'string' },
        'no-auth': { type: 'boolean' },
        pm2: { type: 'boolean' },
        'pm2-name': { type: 'string' },
        lines: { type: 'string', short: 'n' },
        denied: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\.$/, '')}. See pm2-mcp --help.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help', noDaemon: false, transport: 'stdio', http: DEFAULT_HTTP };
  if (values.version) return { command: 'version', noDaemon: false, transport: 'stdio', http: DEFAULT_HTTP };
  const [first, ...rest] = positionals;
  const command = (first ?? 'serve') as Command;
  if (!COMMANDS.has(command)) throw new UsageError(`Unknown command "${first}". See pm2-mcp --help.`);
  let tool: string | undefined;
  let toolArgs: string | undefined;
  let audit: CliOptions['audit'];
  if (command === 'audit') {
    const [action, file, extra] = rest;
    if (action !== 'verify' && action !== 'tail') throw new UsageError('audit needs verify or tail: pm2-mcp audit verify [FILE], pm2-mcp audit tail [-n N] [--denied] [--json] [FILE].');
    if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}". See pm2-mcp --help.`);
    const lines = values.lines === undefined ? 20 : Number(values.lines);
    if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) throw new UsageError(`-n must be a whole number from 1 to 100000 (got "${values.lines}").`);
    audit = { action, lines, denied: values.denied ?? false, json: values.json ?? false, ...(file !== undefined ? { file } : {}) };
  } else if (values.lines !== undefined || values.denied !== undefined || values.json !== undefined) {
    throw new UsageError('-n, --denied and --json go with pm2-mcp audit tail.');
  } else if (command === 'explain') {
    [tool, toolArgs] = rest;
    if (!tool) throw new UsageError('explain needs a tool name: pm2-mcp explain <tool> \'<json arguments>\'.');
    if (rest.length > 2) throw new UsageError(`Unexpected argument "${rest[2]}": quote the JSON arguments as one argument.`);
  } else if (rest.length) {
    throw new UsageError(`Unexpected argument "${rest[0]}". See pm2-mcp --help.`);
  }
  const auditFile = values['audit-file'] ?? (env.PM2_MCP_AUDIT_FILE || undefined);
  if (auditFile !== undefined && auditFile.trim() === '') throw new UsageError('--audit-file needs a file.');

  const transport = values.transport ?? (env.PM2_MCP_TRANSPORT || 'stdio');
  if (transport !== 'stdio' && transport !== 'http') throw new UsageError(`--transport must be stdio or http (got "${transport}").`);
  const http = httpOptions(values, env, transport);

  const home = values['pm2-home'];
  if (home !== undefined && home.trim() === '') throw new UsageError('--pm2-home needs a folder.');
  const configFile = values.config ?? (env.PM2_MCP_CONFIG || undefined);
  if (configFile !== undefined && configFile.trim() === '') throw new UsageError('--config needs a file.');
  const policy = choosePolicy(values.readonly, values.policy, env);
  const noDaemon = values['no-daemon'] ?? parseBooleanEnv('PM2_MCP_NO_DAEMON', env.PM2_MCP_NO_DAEMON) ?? false;
  return {
    command,
    noDaemon,
    transport,
    http,
    ...(home !== undefined ? { pm2Home: home } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(tool !== undefined ? { tool } : {}),
    ...(toolArgs !== undefined ? { toolArgs } : {}),
    ...(auditFile !== undefined ? { auditFile } : {}),
    ...(audit !== undefined ? { audit } : {}),
  };
}

export const DEFAULT_HTTP: CliOptions['http'] = { host: '127.0.0.1', port: 8849, path: '/mcp', noAuth: false, pm2: false, pm2Name: 'pm2-mcp' };

function httpOptions(values: Record<string, string | boolean | undefined>, env: Record<string, string | undefined>, transport: Transport): CliOptions['http'] {
  const str = (flag: string, twin: string) => (values[flag] as string | undefined) ?? (env[twin] || undefined);
  const bool = (flag: string, twin: string) => (values[flag] as boolean | undefined) ?? parseBooleanEnv(twin, env[twin]) ?? false;
  const host = str('host', 'PM2_MCP_HOST') ?? DEFAULT_HTTP.host;
  const portText = str('port', 'PM2_MCP_PORT');
  const port = portText === undefined ? DEFAULT_HTTP.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}").`);
  const path = str('path', 'PM2_MCP_PATH') ?? DEFAULT_HTTP.path;
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw new UsageError(`--path must start with / and hold only URL path characters (got "${path}").`);
  const noAuth = bool('no-auth', 'PM2_MCP_NO_AUTH');
  if (transport === 'http' && noAuth && !isLoopbackHost(host)) {
    throw new UsageError(`--no-auth is refused with --host ${host}: without a token, anyone who reaches the port runs programs. Use a loopback host, or tokens.`);
  }
  const pm2 = bool('pm2', 'PM2_MCP_PM2');
  const pm2Name = str('pm2-name', 'PM2_MCP_PM2_NAME') ?? DEFAULT_HTTP.pm2Name;
  if (!/^[^\s/]{1,128}$/.test(pm2Name)) throw new UsageError(`--pm2-name must be a process name without spaces or slashes (got "${pm2Name}").`);
  if (transport === 'stdio') {
    const given = ['host', 'port', 'path', 'no-auth', 'pm2', 'pm2-name'].filter((f) => values[f] !== undefined);
    if (given.length) throw new UsageError(`--${given[0]} goes with --transport http${given[0] === 'pm2' || given[0] === 'pm2-name' ? ' (a stdio server belongs to the client that spawns it)' : ''}.`);
  }
  return { host, port, path, noAuth, pm2, pm2Name };
}

/** --readonly and --policy: a flag wins over either env twin; two flags (or two env vars) must agree. */
function choosePolicy(readonlyFlag: boolean | undefined, policyFlag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (readonlyFlag && policyFlag !== undefined && policyFlag !== 'readonly') throw new UsageError(`--readonly and --policy ${policyFlag} contradict each other.`);
  if (readonlyFlag) return 'readonly';
  if (policyFlag !== undefined) return policyFlag;
  const readonlyEnv = parseBooleanEnv('PM2_MCP_READONLY', env.PM2_MCP_READONLY) ?? false;
  const policyEnv = env.PM2_MCP_POLICY || undefined;
  if (readonlyEnv && policyEnv !== undefined && policyEnv !== 'readonly') throw new UsageError(`PM2_MCP_READONLY and PM2_MCP_POLICY=${policyEnv} contradict each other.`);
  return readonlyEnv ? 'readonly' : policyEnv;
}

export function helpText(version: string): string {
  const width = Math.max(...FLAGS.map((f) => f.flag.length));
  const lines = FLAGS.map((f) => `  ${f.flag.padEnd(width)}  ${f.text}${f.env ? ` [${f.env}]` : ''}`);
  return [
    `pm2-mcp ${version}: PM2 over the Model Context Protocol, behind a policy gate.`,
    '',
    'Usage:',
    '  pm2-mcp [serve] [options]                     serve MCP on stdin/stdout',
    '  pm2-mcp check [--config F] [--policy P]       validate the config, print the effective policy',
    '  pm2-mcp explain <tool> \'<json arguments>\'     the decision the server would make for that call',
    '  pm2-mcp audit verify [FILE]                   check the audit log\'s hash chain (exit 0 intact, 1 broken, 2 unreadable)',
    '  pm2-mcp audit tail [-n N] [--denied] [--json] [FILE]   the recent decisions',
    '',
    'Register it with a client, for example:',
    '  claude mcp add pm2 -- npx pm2-mcp',
    '',
    'Options (env twin in brackets):',
    ...lines,
    '',
  ].join('\n');
}
