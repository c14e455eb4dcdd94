// A pm2-mcp server on Streamable HTTP, spawned from the built binary on port 0 in a private
// PM2_HOME, and SDK clients for it. Servers are stopped by the PID spawned here, never by name.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, waitFor } from './harness.js';

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

export const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

export interface Served {
  url: string;
  port: number;
  pid: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 5 s; by the PID spawned here, never by name. */
  stop: () => Promise<void>;
}

/** Every server started and not yet stopped: stopAll() in an after hook. */
export const running = new Set<Served>();

/** `pm2-mcp --transport http --port 0 …`, resolved once the bound URL is on stderr. */
/** `fdLimit` runs the server under `ulimit -n` (a shell that execs it: the pid is the server's). */
export async function serve(opts: { home: string; cwd: string; args?: string[]; env?: Record<string, string>; fdLimit?: number }): Promise<Served> {
  const argv = [CLI, '--transport', 'http', '--port', '0', ...(opts.args ?? [])];
  const [command, args] = opts.fdLimit ? ['/bin/sh', ['-c', `ulimit -n ${opts.fdLimit} && exec "$0" "$@"`, process.execPath, ...argv]] : [process.execPath, argv];
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd,
    env: cleanEnv({ PM2_MCP_HOME: opts.home, ...(opts.env ?? {}) }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const pid = child.pid!;
  const stop = async () => {
    if (!gone) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(served);
  };
  const served: Served = { url: '', port: 0, pid, stderr: () => stderr, exited, stop };
  running.add(served);
  const url = await waitFor(() => {
    if (gone) throw new Error(`the server exited before serving:\n${stderr}`);
    return /serving MCP over Streamable HTTP at (http:\/\/\S+)/.exec(stderr)?.[1];
  }, 'the server to print its URL').catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  served.url = url;
  served.port = Number(new URL(url).port);
  return served;
}

export interface Mcp {
  client: Client;
  transport: StreamableHTTPClientTransport;
  sessionId: string;
  close: () => Promise<void>;
}

export async function mcp(url: string, token?: string, name = 'pm2-mcp-http-tests'): Promise<Mcp> {
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {});
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  const sessionId = transport.sessionId;
  assert.ok(sessionId, 'the server gave no session id');
  return {
    client,
    transport,
    sessionId,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
