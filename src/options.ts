// Command-line flags and their PM2_MCP_* twins. A flag wins over its env twin.
import { parseArgs } from 'node:util';
import { parseBooleanEnv } from './env-flags.js';
import { UsageError } from './errors.js';

export type Transport = 'stdio' | 'http';

export interface CliOptions {
  command: 'serve' | 'help' | 'version';
  pm2Home?: string;
  noDaemon: boolean;
  transport: Transport;
}

/** Every flag with its env twin, for --help and the README. */
export const FLAGS = [
  { flag: '--pm2-home DIR', env: 'PM2_MCP_HOME', text: 'PM2_HOME to attach to (then PM2_HOME, then ~/.pm2)' },
  { flag: '--no-daemon', env: 'PM2_MCP_NO_DAEMON', text: 'run pm2 inside this process instead of attaching to a daemon' },
  { flag: '--transport stdio', env: 'PM2_MCP_TRANSPORT', text: 'transport (stdio; http comes later)' },
  { flag: '--help, -h', env: '', text: 'show this help' },
  { flag: '--version, -v', env: '', text: 'print the version' },
] as const;

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
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}. See pm2-mcp --help.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help', noDaemon: false, transport: 'stdio' };
  if (values.version) return { command: 'version', noDaemon: false, transport: 'stdio' };
  const [command, ...rest] = positionals;
  if (command !== undefined && command !== 'serve') throw new UsageError(`Unknown command "${command}". See pm2-mcp --help.`);
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}". See pm2-mcp --help.`);

  const transport = values.transport ?? env.PM2_MCP_TRANSPORT ?? 'stdio';
  if (transport !== 'stdio' && transport !== 'http') throw new UsageError(`--transport must be stdio or http (got "${transport}").`);
  if (transport === 'http') throw new UsageError('--transport http is not available in this version yet; use --transport stdio.');

  const home = values['pm2-home'];
  if (home !== undefined && home.trim() === '') throw new UsageError('--pm2-home needs a folder.');
  const noDaemon = values['no-daemon'] ?? parseBooleanEnv('PM2_MCP_NO_DAEMON', env.PM2_MCP_NO_DAEMON) ?? false;
  return { command: 'serve', noDaemon, transport, ...(home !== undefined ? { pm2Home: home } : {}) };
}

export function helpText(version: string): string {
  const width = Math.max(...FLAGS.map((f) => f.flag.length));
  const lines = FLAGS.map((f) => `  ${f.flag.padEnd(width)}  ${f.text}${f.env ? ` [${f.env}]` : ''}`);
  return [
    `pm2-mcp ${version}: PM2 over the Model Context Protocol.`,
    '',
    'Usage: pm2-mcp [serve] [options]',
    '',
    'Serves MCP on stdin/stdout. Register it with a client, for example:',
    '  claude mcp add pm2 -- npx pm2-mcp',
    '',
    'Options (env twin in brackets):',
    ...lines,
    '',
  ].join('\n');
}
