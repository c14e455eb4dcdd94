// The HTTP side of `pm2-mcp serve`: tokens (and the per-token presets that narrow them), the
// listener, the ready-to-paste client configuration, graceful shutdown on SIGTERM/SIGINT, and
// --pm2, which hands the server to pm2 itself.
import { randomBytes } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { loadPreset } from '../config/load.js';
import { isPresetName } from '../config/presets.js';
import { UsageError } from '../errors.js';
import type { CliOptions } from '../options.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { SERVER_MARKER } from '../pm2/self.js';
import { defaultAllowedHosts, isLoopbackHost, sha256, type TokenEntry } from '../transport/http-guard.js';
import { HttpMcpServer } from '../transport/http.js';
import type { Io } from './serve.js';
import { loadPolicy, resolveInterpreterPath } from './load-policy.js';

export type HttpSessionFactory = (principal: string, narrowing: CompiledPolicy | undefined) => Server;

const DEFAULTS = { sessionIdleSeconds: 1800, maxSessions: 100, maxBodyBytes: 1024 * 1024 };

export async function serveHttp(options: CliOptions, policy: CompiledPolicy, io: Io, makeServer: HttpSessionFactory): Promise<void> {
  const { host, port, path, noAuth } = options.http;
  const http = policy.config.http ?? {};
  if (noAuth && !isLoopbackHost(host)) throw new UsageError(`--no-auth is refused with --host ${host}: without a token, anyone who reaches the port runs programs. Use a loopback host, or tokens.`);
  const tokens = noAuth ? [] : configuredTokens(policy);
  let generated: string | undefined;
  if (!noAuth && tokens.length === 0) {
    generated = randomBytes(32).toString('base64url');
    tokens.push({ name: 'default', digest: sha256(generated) });
  }
  const narrowing = await narrowingPolicies(tokens, policy);

  const server = new HttpMcpServer(
    {
      host,
      port,
      path,
      auth: noAuth ? 'none' : tokens,
      allowedHosts: http.allowedHosts ?? defaultAllowedHosts(host),
      allowedOrigins: http.allowedOrigins ?? [],
      maxBodyBytes: http.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      sessionIdleMs: (http.sessionIdleSeconds ?? DEFAULTS.sessionIdleSeconds) * 1000,
      maxSessions: http.maxSessions ?? DEFAULTS.maxSessions,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      drainMs: 10_000,
    },
    (token) => makeServer(token?.name ?? 'anonymous', token ? narrowing.get(token.name) : undefined),
    (line) => io.stderr(`pm2-mcp: ${line}`),
  );
  const address = await server.listen();
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${path}`;
  io.stderr(`pm2-mcp: serving MCP over Streamable HTTP at ${url}`);
  if (noAuth) io.stderr('pm2-mcp: WARNING: --no-auth: any local process or user that reaches this port can run programs through pm2.');
  if (!isLoopbackHost(host)) {
    io.stderr(`pm2-mcp: WARNING: bound to ${host}, beyond loopback. Put a reverse proxy with TLS in front; tokens travel in clear over plain HTTP.`);
    if (!http.allowedHosts) io.stderr('pm2-mcp: only loopback Host names are accepted: list the names clients use in http.allowedHosts, or every remote request gets 403.');
  }
  if (generated) io.stderr(connectionHelp(url, generated));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      io.stderr(`pm2-mcp: ${signal}: finishing the calls in flight, closing ${server.sessionCount} session(s)`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await server.shutdown();
}

/** PM2_MCP_TOKEN (principal "default") and the config's http.tokens. */
function configuredTokens(policy: CompiledPolicy): TokenEntry[] {
  const tokens: TokenEntry[] = [];
  const fromEnv = process.env.PM2_MCP_TOKEN;
  // Only its digest is kept: the pm2 daemon this server may spawn inherits the environment, and
  // pm2's cluster mode hands the daemon's environment to every worker.
  delete process.env.PM2_MCP_TOKEN;
  if (fromEnv) tokens.push({ name: 'default', digest: sha256(fromEnv) });
  for (const t of policy.config.http?.tokens ?? []) tokens.push({ name: t.name, digest: Buffer.from(t.sha256, 'hex'), ...(t.extends ? { extends: t.extends } : {}) });
  // Names are principals and key the per-token presets: two tokens may not share one.
  const seen = new Set<string>();
  for (const t of tokens) {
    if (seen.has(t.name)) throw new UsageError(`Two tokens are named "${t.name}"${t.name === 'default' ? ' (PM2_MCP_TOKEN is "default")' : ''}: every token in http.tokens needs a name of its own.`);
    seen.add(t.name);
  }
  return tokens;
}

/**
 * A token's `extends` is a second policy its calls must also pass, so it can only narrow: the
 * preset itself (not the config merged over it, which could re-open what the preset closes).
 */
async function narrowingPolicies(tokens: TokenEntry[], policy: CompiledPolicy): Promise<Map<string, CompiledPolicy>> {
  const out = new Map<string, CompiledPolicy>();
  for (const token of tokens) {
    if (!token.extends) continue;
    if (isPresetName(token.extends)) {
      const preset = await loadPreset(token.extends);
      out.set(token.name, compilePolicy({ config: preset.config, root: policy.root, sources: [preset.label], preset: token.extends }, resolveInterpreterPath));
    } else {
      out.set(token.name, await loadPolicy({ cwd: policy.root, configFile: token.extends }));
    }
  }
  return out;
}

function connectionHelp(url: string, token: string): string {
  const config = { mcpServers: { pm2: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } };
  return [
    'pm2-mcp: no token was configured, so this one was made for this run (it is not stored):',
    `  token: ${token}`,
    'Connect a client with it, for example:',
    `  claude mcp add --transport http pm2 ${url} --header "Authorization: Bearer ${token}"`,
    '  or in an MCP client config (.cursor/mcp.json, .mcp.json):',
    `  ${JSON.stringify(config)}`,
    'To keep a token across restarts, set PM2_MCP_TOKEN, or put its sha256 in http.tokens of the config.',
  ].join('\n');
}

/** --pm2: run this same server, with the same arguments, as a pm2-managed process, then exit. */
export async function startUnderPm2(options: CliOptions, policy: CompiledPolicy, home: string, io: Io): Promise<number> {
  if (options.http.port === 0) throw new UsageError('--pm2 needs a fixed --port: with port 0 the managed server would listen on a port nobody is told, and another after each restart.');
  const name = options.http.pm2Name;
  const args = withoutPm2Flags(process.argv.slice(2));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k.startsWith('PM2_MCP_') && k !== 'PM2_MCP_PM2' && k !== 'PM2_MCP_PM2_NAME') env[k] = v;
  }
  for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'TZ']) if (process.env[k]) env[k] = process.env[k]!;
  env.PM2_MCP_HOME = home;
  // Marks the managed server as one: no client of any pm2-mcp may target it (src/pm2/self.ts).
  env[SERVER_MARKER] = '1';
  let token: string | undefined;
  if (!options.http.noAuth && !env.PM2_MCP_TOKEN && !(policy.config.http?.tokens?.length)) {
    // The managed server's stderr goes to a pm2 log file: make the token here, where it is seen.
    token = randomBytes(32).toString('base64url');
    env.PM2_MCP_TOKEN = token;
  }
  const pm2 = createPm2Adapter({ home, noDaemon: false, spawnDaemon: true });
  try {
    const existing = (await pm2.list()).find((p) => (p.name ?? p.pm2_env?.name) === name);
    if (existing) throw new UsageError(`A pm2 process named ${name} exists already: pm2 restart ${name}, pm2 delete ${name}, or --pm2-name another.`);
    const script = process.argv[1]!;
    const ids = await pm2.start({
      name, script, cwd: process.cwd(), args, interpreter: process.execPath, node_args: [], env, instances: 1,
      exec_mode: 'fork', watch: false, namespace: 'default', autorestart: true, filter_env: [''],
      // pm2 stop waits this long after SIGINT: the server's drain (10 s) and pm2 close (5 s).
      kill_timeout: 16_000,
    });
    const { host, port, path } = options.http;
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
    const a = argv[i]!;
    if (a === '--pm2') continue;
    if (a === '--pm2-name') {
      i++;
      continue;
    }
    if (a.startsWith('--pm2-name=')) continue;
    out.push(a);
  }
  return out;
}
