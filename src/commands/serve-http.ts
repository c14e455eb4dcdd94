// The Streamable HTTP half of `pm2-mcp serve`: its flags (--host, --port, --path, --no-auth),
// the tokens and the config's http settings it serves with, and what it tells the operator
// (where it listens, a token made for this run). node:http and the SDK's HTTP transport load only
// when it opens: a stdio server answers initialize without them.
import { UsageError } from '../errors.js';
import { stringFlag, booleanFlag, type OptionGroup } from '../env-flags.js';
import type { Io } from '../io.js';
import { CONFIG_DEFAULTS } from '../model/config.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { defaultAllowedHosts, isLoopbackHost } from '../transport/http-guard.js';
import type { Transport } from '../transport/types.js';
import { accessTokens, authenticator } from './tokens.js';
import { readFileSync } from 'node:fs';

export interface HttpOptions {
  host: string;
  port: number;
  path: string;
  noAuth: boolean;
}

export const HTTP_DEFAULTS: HttpOptions = { host: '127.0.0.1', port: 8849, path: '/mcp', noAuth: false };

export const HTTP_OPTIONS: OptionGroup<HttpOptions> = {
  docs: [
    { flag: '--host HOST', env: 'PM2_MCP_HOST', text: 'HTTP: the address to bind (default 127.0.0.1)' },
    { flag: '--port PORT', env: 'PM2_MCP_PORT', text: 'HTTP: the port (default 8849)' },
    { flag: '--path PATH', env: 'PM2_MCP_PATH', text: 'HTTP: the MCP endpoint (default /mcp)' },
    { flag: '--no-auth', env: 'PM2_MCP_NO_AUTH', text: 'HTTP: no bearer token (loopback hosts only)' },
  ],
  args: { host: { type: 'string' }, port: { type: 'string' }, path: { type: 'string' }, 'no-auth': { type: 'boolean' } },
  read(values, env, chosen) {
    const host = stringFlag(values, env, 'host', 'PM2_MCP_HOST') ?? HTTP_DEFAULTS.host;
    const portText = stringFlag(values, env, 'port', 'PM2_MCP_PORT');
    const port = portText === undefined ? HTTP_DEFAULTS.port : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}").`);
    const path = stringFlag(values, env, 'path', 'PM2_MCP_PATH') ?? HTTP_DEFAULTS.path;
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw new UsageError(`--path must start with / and hold only URL path characters (got "${path}").`);
    const noAuth = booleanFlag(values, env, 'no-auth', 'PM2_MCP_NO_AUTH');
    // The one place a server without tokens is refused beyond loopback.
    if (chosen && noAuth && !isLoopbackHost(host)) {
      throw new UsageError(`--no-auth is refused with --host ${host}: without a token, anyone who reaches the port runs programs. Use a loopback host, or tokens.`);
    }
    return { host, port, path, noAuth };
  },
};

const DEFAULTS = CONFIG_DEFAULTS.http;

export async function openHttp(options: HttpOptions, { policy, io }: { policy: CompiledPolicy; io: Io }): Promise<Transport> {
  const { host, port, path, noAuth } = options;
  const http = policy.config.http ?? {};
  const access = noAuth ? undefined : await accessTokens(policy, process.env);
  const { HttpTransport } = await import('../transport/http.js');
  const transport = new HttpTransport(
    {
      host,
      port,
      path,
      auth: access ? authenticator(access.tokens) : 'none',
      allowedHosts: http.allowedHosts ?? defaultAllowedHosts(host),
      allowedOrigins: http.allowedOrigins ?? DEFAULTS.allowedOrigins,
      maxBodyBytes: http.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      sessionIdleMs: (http.sessionIdleSeconds ?? DEFAULTS.sessionIdleSeconds) * 1000,
      maxSessions: http.maxSessions ?? DEFAULTS.maxSessions,
      sessionReclaimMs: (http.sessionReclaimSeconds ?? DEFAULTS.sessionReclaimSeconds) * 1000,
      maxConnections: http.maxConnections ?? DEFAULTS.maxConnections,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      drainMs: 2_000,
    },
    (line) => io.stderr(`pm2-mcp: ${line}`),
  );
  return {
    ended: transport.ended,
    stop: (why, drain) => transport.stop(why, drain),
    async start(sessions) {
      await transport.start(sessions);
      const address = transport.address;
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${path}`;
      io.stderr(`pm2-mcp: serving MCP over Streamable HTTP at ${url}`);
      const maxConnections = http.maxConnections ?? DEFAULTS.maxConnections;
      const files = openFilesLimit();
      // The cap only protects token holders while it fits the descriptors the process may open.
      if (files !== undefined && files < maxConnections + FD_HEADROOM) {
        io.stderr(`pm2-mcp: WARNING: this process may open ${files} files (ulimit -n) but http.maxConnections is ${maxConnections}: with pm2's sockets and the log files, a flood of connections can leave none for a client. Raise ulimit -n to ${maxConnections + FD_HEADROOM} or more, or lower http.maxConnections.`);
      }
      if (noAuth) io.stderr('pm2-mcp: WARNING: --no-auth: any local process or user that reaches this port can run programs through pm2.');
      if (!isLoopbackHost(host)) {
        io.stderr(`pm2-mcp: WARNING: bound to ${host}, beyond loopback. Put a reverse proxy with TLS in front; tokens travel in clear over plain HTTP.`);
        if (!http.allowedHosts) io.stderr('pm2-mcp: only loopback Host names are accepted: list the names clients use in http.allowedHosts, or every remote request gets 403.');
      }
      if (access?.generated) io.stderr(connectionHelp(url, access.generated));
    },
  };
}

/** A token made for this run, and how to connect a client with it. */
export function connectionHelp(url: string, token: string): string {
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

/** Descriptors beyond the connections: pm2's sockets, the audit log, log files being read, Node's own. */
const FD_HEADROOM = 64;

/** The soft limit on open files (Linux /proc), or undefined where it cannot be read or is unlimited. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.replace('Max open files', '').trim().split(/\s+/)[0];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
