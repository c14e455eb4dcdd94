// Command-line flags and their PM2_MCP_* twins, read into the options of one command: each
// command gets its own (src/commands/*), and serve its transport's. A flag wins over its env twin.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { booleanFlag, parseBooleanEnv, type Env, type FlagDoc, type FlagValues, type OptionGroup } from './env-flags.js';
import { UsageError } from './errors.js';
import { PRESET_NAMES, type PresetName } from './model/tools.js';
import { FROM_A_CLONE, NPX_COMMAND, shellLine, type LaunchCommand } from './launch-command.js';
import type { AuditOptions } from './commands/audit.js';
import type { DoctorOptions } from './commands/doctor.js';
import type { ExplainOptions } from './commands/explain.js';
import type { InitOptions } from './commands/init.js';
import type { ServeOptions } from './commands/serve.js';
import type { TestOptions } from './commands/test.js';
import { UNDER_PM2_OPTIONS, type ServeUnderPm2Options } from './commands/serve-under-pm2.js';
import { isTransportName, readTransport, TRANSPORTS, TRANSPORT_NAMES, type TransportChoice, type TransportName } from './commands/transports.js';

export interface CheckOptions {
  command: 'check';
  configFile?: string;
  policy?: string;
}

export type CliOptions = { command: 'help' } | { command: 'version' } | ServeOptions | ServeUnderPm2Options | CheckOptions | ExplainOptions | AuditOptions | DoctorOptions | TestOptions | InitOptions;

/** Flags every command reads (and checks), though each uses only its own. */
const COMMON_DOCS: readonly FlagDoc[] = [
  { flag: '--config FILE', env: 'PM2_MCP_CONFIG', text: 'the config file (default: pm2-mcp.config.* searched upward from the working folder)' },
  { flag: '--policy NAME', env: 'PM2_MCP_POLICY', text: 'a preset (readonly, strict, standard, permissive); replaces the config\'s extends' },
  { flag: '--readonly', env: 'PM2_MCP_READONLY', text: 'same as --policy readonly' },
  { flag: '--audit-file FILE', env: 'PM2_MCP_AUDIT_FILE', text: 'the audit log (default $PM2_HOME/pm2-mcp/audit.jsonl)' },
  { flag: '--pm2-home DIR', env: 'PM2_MCP_HOME', text: 'PM2_HOME to attach to (then PM2_HOME, then ~/.pm2)' },
  { flag: '--no-daemon', env: 'PM2_MCP_NO_DAEMON', text: 'run pm2 inside this process instead of attaching to a daemon' },
];

/** Groups of flags that go with one transport: its own, and --pm2's (HTTP only). */
const TRANSPORT_GROUPS: readonly { transport: TransportName; group: OptionGroup<unknown> }[] = [
  ...TRANSPORT_NAMES.map((transport) => ({ transport, group: TRANSPORTS[transport].options as OptionGroup<unknown> })),
  { transport: 'http', group: UNDER_PM2_OPTIONS },
];

/** Every flag with its env twin, for --help and the README. */
export const FLAGS: readonly FlagDoc[] = [
  ...COMMON_DOCS,
  { flag: `--transport ${TRANSPORT_NAMES.join('|')}`, env: 'PM2_MCP_TRANSPORT', text: oneOf(TRANSPORT_NAMES.map((t) => TRANSPORTS[t].summary)) },
  ...TRANSPORT_GROUPS.flatMap((g) => g.group.docs),
  { flag: '--help, -h', env: '', text: 'show this help' },
  { flag: '--version, -v', env: '', text: 'print the version' },
];

const COMMANDS = new Set(['serve', 'check', 'explain', 'audit', 'doctor', 'test', 'init']);

/** What parseArgs accepts: the common flags, the transports', and audit tail's. */
const ARGS: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  'pm2-home': { type: 'string' },
  'no-daemon': { type: 'boolean' },
  transport: { type: 'string' },
  config: { type: 'string' },
  policy: { type: 'string' },
  readonly: { type: 'boolean' },
  'audit-file': { type: 'string' },
  ...Object.fromEntries(TRANSPORT_GROUPS.flatMap((g) => Object.entries(g.group.args))),
  lines: { type: 'string', short: 'n' },
  denied: { type: 'boolean' },
  json: { type: 'boolean' },
  preset: { type: 'string' },
};

export function parseCli(argv: string[], env: Env): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: ARGS,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\.$/, '')}. See pm2-mcp --help.`);
  }
  // No flag is `multiple`: every value is one string or boolean.
  const values = parsed.values as FlagValues;
  const { positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [first, ...rest] = positionals;
  const command = first ?? 'serve';
  if (!COMMANDS.has(command)) throw new UsageError(`Unknown command "${first}". See pm2-mcp --help.`);
  const own = commandArguments(command, rest, values);
  const auditFile = (values['audit-file'] as string | undefined) ?? (env.PM2_MCP_AUDIT_FILE || undefined);
  if (auditFile !== undefined && auditFile.trim() === '') throw new UsageError('--audit-file needs a file.');

  const transportName = (values.transport as string | undefined) ?? (env.PM2_MCP_TRANSPORT || 'stdio');
  if (!isTransportName(transportName)) throw new UsageError(`--transport must be ${oneOf(TRANSPORT_NAMES)} (got "${transportName}").`);
  const { transport, underPm2 } = transportOptions(values, env, transportName);

  const home = values['pm2-home'] as string | undefined;
  if (home !== undefined && home.trim() === '') throw new UsageError('--pm2-home needs a folder.');
  const configFile = (values.config as string | undefined) ?? (env.PM2_MCP_CONFIG || undefined);
  if (configFile !== undefined && configFile.trim() === '') throw new UsageError('--config needs a file.');
  const policy = choosePolicy(values.readonly as boolean | undefined, values.policy as string | undefined, env);
  const noDaemon = booleanFlag(values, env, 'no-daemon', 'PM2_MCP_NO_DAEMON');

  const policyChoice = { ...(configFile !== undefined ? { configFile } : {}), ...(policy !== undefined ? { policy } : {}) };
  const homeChoice = home !== undefined ? { pm2Home: home } : {};
  const auditFileChoice = auditFile !== undefined ? { auditFile } : {};
  switch (own.command) {
    case 'check':
      return { ...own, ...policyChoice };
    case 'explain':
      return { ...own, ...homeChoice, ...policyChoice };
    case 'audit':
      return { ...own, ...homeChoice, ...policyChoice, ...auditFileChoice };
    case 'doctor':
      return { ...own, noDaemon, ...homeChoice, ...policyChoice, ...auditFileChoice };
    case 'test':
      return { ...own, ...homeChoice, ...policyChoice, ...auditFileChoice };
    case 'init':
      return own;
    case 'serve':
      if (underPm2.pm2 && transport.name === 'http') {
        return { command: 'serve-under-pm2', http: transport.options, processName: underPm2.processName, ...homeChoice, ...policyChoice };
      }
      return { command: 'serve', noDaemon, transport, ...homeChoice, ...policyChoice, ...auditFileChoice };
  }
}

type CommandArguments =
  | { command: 'serve' }
  | { command: 'check' }
  | { command: 'doctor' }
  | Pick<TestOptions, 'command' | 'file'>
  | InitOptions
  | Pick<ExplainOptions, 'command' | 'tool' | 'toolArgs'>
  | Pick<AuditOptions, 'command' | 'action' | 'file' | 'lines' | 'denied' | 'json'>;

/** The arguments after the command, and the flags only one command takes (-n, --denied, --json). */
function commandArguments(command: string, rest: string[], values: FlagValues): CommandArguments {
  if (command === 'audit') {
    const [action, file, extra] = rest;
    if (action !== 'verify' && action !== 'tail') throw new UsageError('audit needs verify or tail: pm2-mcp audit verify [FILE], pm2-mcp audit tail [-n N] [--denied] [--json] [FILE].');
    if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}". See pm2-mcp --help.`);
    const lines = values.lines === undefined ? 20 : Number(values.lines);
    if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) throw new UsageError(`-n must be a whole number from 1 to 100000 (got "${values.lines}").`);
    return { command, action, lines, denied: values.denied === true, json: values.json === true, ...(file !== undefined ? { file } : {}) };
  }
  if (values.lines !== undefined || values.denied !== undefined || values.json !== undefined) throw new UsageError('-n, --denied and --json go with pm2-mcp audit tail.');
  if (command === 'init') return initArguments(rest, values.preset as string | undefined);
  if (values.preset !== undefined) throw new UsageError('--preset goes with pm2-mcp init.');
  if (command === 'test') {
    const [file, extra] = rest;
    if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}": pm2-mcp test takes one tests file.`);
    return { command, ...(file !== undefined ? { file } : {}) };
  }
  if (command === 'explain') {
    const [tool, toolArgs] = rest;
    if (!tool) throw new UsageError('explain needs a tool name: pm2-mcp explain <tool> \'<json arguments>\'.');
    if (rest.length > 2) throw new UsageError(`Unexpected argument "${rest[2]}": quote the JSON arguments as one argument.`);
    return { command, tool, ...(toolArgs !== undefined ? { toolArgs } : {}) };
  }
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}". See pm2-mcp --help.`);
  if (command === 'doctor') return { command };
  return { command: command === 'check' ? 'check' : 'serve' };
}

function initArguments(rest: string[], preset: string | undefined): InitOptions {
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}": pm2-mcp init writes into the working folder.`);
  if (preset === undefined) return { command: 'init' };
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) throw new UsageError(`--preset must be ${oneOf(PRESET_NAMES)} (got "${preset}").`);
  return { command: 'init', preset: preset as PresetName };
}

/**
 * Every transport's flags are read and checked, the chosen one's as chosen; then a flag of
 * another transport is refused, naming the transport it goes with.
 */
function transportOptions(values: FlagValues, env: Env, chosen: TransportName): { transport: TransportChoice; underPm2: { pm2: boolean; processName: string } } {
  let transport: TransportChoice | undefined;
  for (const name of TRANSPORT_NAMES) {
    const read = readTransport(name, values, env, name === chosen);
    if (name === chosen) transport = read;
  }
  const underPm2 = UNDER_PM2_OPTIONS.read(values, env, chosen === 'http');
  for (const { transport: owner, group } of TRANSPORT_GROUPS) {
    if (owner === chosen) continue;
    const given = Object.keys(group.args).find((flag) => values[flag] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given} goes with --transport ${owner}${group.elsewhere ? ` ${group.elsewhere}` : ''}.`);
  }
  // Unreachable: every name, the chosen one too, was read above.
  if (transport === undefined) throw new Error(`no options were read for the transport ${chosen}`);
  return { transport, underPm2 };
}

/** --readonly and --policy: a flag wins over either env twin; two flags (or two env vars) must agree. */
function choosePolicy(readonlyFlag: boolean | undefined, policyFlag: string | undefined, env: Env): string | undefined {
  if (readonlyFlag && policyFlag !== undefined && policyFlag !== 'readonly') throw new UsageError(`--readonly and --policy ${policyFlag} contradict each other.`);
  if (readonlyFlag) return 'readonly';
  if (policyFlag !== undefined) return policyFlag;
  const readonlyEnv = parseBooleanEnv('PM2_MCP_READONLY', env.PM2_MCP_READONLY) ?? false;
  const policyEnv = env.PM2_MCP_POLICY || undefined;
  if (readonlyEnv && policyEnv !== undefined && policyEnv !== 'readonly') throw new UsageError(`PM2_MCP_READONLY and PM2_MCP_POLICY=${policyEnv} contradict each other.`);
  return readonlyEnv ? 'readonly' : policyEnv;
}

/** "a or b", "a, b or c". */
function oneOf(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' or ') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** `launch`: how a client starts this server (src/launch-command.ts), for the example. */
export function helpText(version: string, launch: LaunchCommand = NPX_COMMAND): string {
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
    '  pm2-mcp doctor                                check the setup: ✓ fine, ! a warning, ✗ broken (exit 1)',
    '  pm2-mcp test [FILE]                           decide the cases of pm2-mcp.tests.json, no daemon (exit 0 all hold, 1 one fails, 2 invalid)',
    '  pm2-mcp init [--preset P]                     write a starter pm2-mcp.config.json and pm2-mcp.tests.json (never overwrites)',
    '',
    'Register it with a client, for example:',
    `  claude mcp add pm2 -- ${shellLine(launch)}`,
    ...(launch === NPX_COMMAND ? [] : [`  ${FROM_A_CLONE}`]),
    '',
    'Options (env twin in brackets):',
    ...lines,
    '',
  ].join('\n');
}
