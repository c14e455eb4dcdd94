// Real things for e2e tests: a private PM2_HOME, the built binary driven by the SDK's Client over
// stdio, and a cleanup that stops only the daemon and processes of that home.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** Short paths: the daemon's unix socket lives inside the home, and socket paths are capped near 108 bytes. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface Session {
  client: Client;
  /** The data of every logging notification the server sent. */
  logs: string[];
  stderr: () => string;
  /** Anything on stdout that was not JSON-RPC, and transport errors. */
  protocolErrors: Error[];
  close: () => Promise<void>;
}

/** `elicit`: the client declares form elicitation and answers the server's questions with it. */
export async function connect(opts: { home: string; args?: string[]; env?: Record<string, string>; cwd?: string; elicit?: (request: ElicitRequest['params']) => Promise<ElicitResult> }): Promise<Session> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  Object.assign(env, { PM2_MCP_HOME: opts.home }, opts.env ?? {});
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...(opts.args ?? [])], env, stderr: 'pipe', ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const protocolErrors: Error[] = [];
  const client = new Client({ name: 'pm2-mcp-tests', version: '1.0.0' }, opts.elicit ? { capabilities: { elicitation: { form: {} } } } : {});
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler(ElicitRequestSchema, (request) => answer(request.params));
  }
  client.onerror = (err) => protocolErrors.push(err);
  const logs: string[] = [];
  // Registered before connecting: the server may speak right after initialization.
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(String(n.params.data)));
  await client.connect(transport);
  return { client, logs, stderr: () => stderr, protocolErrors, close: () => client.close() };
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Stops the daemon of `home` and every app it started, by that home only, then removes it. */
export async function destroyHome(home: string): Promise<void> {
  if (existsSync(join(home, 'rpc.sock'))) {
    await run(process.execPath, [PM2_BIN, 'kill'], { env: { ...process.env, PM2_HOME: home }, timeout: 20_000 }).catch(() => undefined);
  }
  for (const pid of pidsOf(home)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await rm(home, { recursive: true, force: true });
}

function pidsOf(home: string): number[] {
  const files = [join(home, 'pm2.pid')];
  const dir = join(home, 'pids');
  if (existsSync(dir)) for (const f of readdirSync(dir)) files.push(join(dir, f));
  return files.flatMap((f) => {
    try {
      const pid = Number.parseInt(readFileSync(f, 'utf8'), 10);
      return Number.isInteger(pid) && pid > 1 ? [pid] : [];
    } catch {
      return [];
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
