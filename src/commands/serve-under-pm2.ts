// `pm2-mcp serve --transport http --pm2`: run this same server, with the same arguments, as a
// pm2-managed process in the PM2_HOME it serves, say how to reach it, and exit.
import { UsageError } from '../errors.js';
import { booleanFlag, stringFlag, type OptionGroup } from '../env-flags.js';
import { choosePm2Home } from '../home.js';
import type { Io } from '../io.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { SERVER_MARKER } from '../pm2/self.js';
import { loadPolicy } from './load-policy.js';
import { connectionHelp, type HttpOptions } from './serve-http.js';
import { newToken, tokensConfigured } from './tokens.js';
import { processName } from '../pm2/views.js';

export interface ServeUnderPm2Options {
  command: 'serve-under-pm2';
  pm2Home?: string;
  configFile?: string;
  policy?: string;
  /** The options of the HTTP server pm2 will run. */
  http: HttpOptions;
  /** The pm2 process name (--pm2-name). */
  processName: string;
}

export const DEFAULT_PROCESS_NAME = 'pm2-mcp';

/** --pm2 and --pm2-name: they go with --transport http. */
export const UNDER_PM2_OPTIONS: OptionGroup<{ pm2: boolean; processName: string }> = {
  docs: [
    { flag: '--pm2', env: 'PM2_MCP_PM2', text: 'HTTP: run this server itself as a pm2 process, then exit' },
    { flag: '--pm2-name NAME', env: 'PM2_MCP_PM2_NAME', text: 'HTTP: the pm2 process name for --pm2 (default pm2-mcp)' },
  ],
  args: { pm2: { type: 'boolean' }, 'pm2-name': { type: 'string' } },
  read(values, env) {
    const pm2 = booleanFlag(values, env, 'pm2', 'PM2_MCP_PM2');
    const processName = stringFlag(values, env, 'pm2-name', 'PM2_MCP_PM2_NAME') ?? DEFAULT_PROCESS_NAME;
    if (!/^[^\s/]{1,128}$/.test(processName)) throw new UsageError(`--pm2-name must be a process name without spaces or slashes (got "${processName}").`);
    return { pm2, processName };
  },
  elsewhere: '(a stdio server belongs to the client that spawns it)',
};

export async function serveUnderPm2(options: ServeUnderPm2Options, io: Io): Promise<number> {
  // A config error stops it here, as it would stop the managed server (the CLI prints it, exit 2).
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const { home } = choosePm2Home({ flag: options.pm2Home, env: process.env });
  const { host, port, path, noAuth } = options.http;
  if (port === 0) throw new UsageError('--pm2 needs a fixed --port: with port 0 the managed server would listen on a port nobody is told, and another after each restart.');
  const name = options.processName;
  const args = withoutPm2Flags(process.argv.slice(2));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k.startsWith('PM2_MCP_') && k !== 'PM2_MCP_PM2' && k !== 'PM2_MCP_PM2_NAME') env[k] = v;
  }
  for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'TZ']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  env.PM2_MCP_HOME = home;
  // Marks the managed server as one: no client of any pm2-mcp may target it (src/pm2/self.ts).
  env[SERVER_MARKER] = '1';
  let token: string | undefined;
  if (!noAuth && !tokensConfigured(policy, env)) {
    // The managed server's stderr goes to a pm2 log file: make the token here, where it is seen.
    token = newToken();
    env.PM2_MCP_TOKEN = token;
  }
  const pm2 = createPm2Adapter({ home, noDaemon: false, spawnDaemon: true });
  try {
    const existing = (await pm2.list()).find((p) => processName(p) === name);
    if (existing) throw new UsageError(`A pm2 process named ${name} exists already: pm2 restart ${name}, pm2 delete ${name}, or --pm2-name another.`);
    const script = process.argv[1];
    if (script === undefined) throw new Error('pm2-mcp cannot tell its own script: process.argv[1] is missing.');
    const ids = await pm2.start({
      name, script, cwd: process.cwd(), args, interpreter: process.execPath, node_args: [], env, instances: 1,
      exec_mode: 'fork', watch: false, namespace: 'default', autorestart: true, filter_env: [''],
      // pm2 stop waits this long after SIGINT: the server's drain (10 s) and pm2 close (5 s).
      kill_timeout: 16_000,
    });
    io.stderr(`pm2-mcp: started as the pm2 process ${name} (pm_id ${ids.join(', ')}) in PM2_HOME=${home}, serving http://${host}:${port}${path}`);
    io.stderr(`pm2-mcp: its logs: pm2 logs ${name}; stop it: pm2 stop ${name}; keep it across reboots: pm2 save && pm2 startup`);
    if (token) io.stderr(connectionHelp(`http://${host}:${port}${path}`, token));
    return 0;
  } finally {
    await pm2.close();
  }
}

function withoutPm2Flags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pm2') continue;
    if (a === '--pm2-name') {
      i++;
      continue;
    }
    if (a === undefined || a.startsWith('--pm2-name=')) continue;
    out.push(a);
  }
  return out;
}
