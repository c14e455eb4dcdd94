// The built server driven by raw lines on stdin, for what an SDK client never sends: lines that
// are not JSON, batches, megabytes on one line, requests before initialize, a client that leaves
// in the middle of a call. Stopped by its pid when the test ends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, waitFor } from './harness.js';

export interface RpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  result?: { structuredContent?: unknown; content?: Array<{ type: string; text: string }>; isError?: boolean; [k: string]: unknown };
  error?: { code: number; message: string };
  params?: unknown;
}

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  send: (message: object | string) => void;
  /** Every message the server wrote, in order. */
  messages: () => RpcMessage[];
  response: (id: string | number, timeoutMs?: number) => Promise<RpcMessage>;
  /** Sends initialize and notifications/initialized, as a client does. */
  initialize: () => Promise<void>;
  stderr: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

export function rawServer(opts: { home: string; args?: string[]; env?: Record<string, string>; cwd?: string }): RawServer {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  Object.assign(env, { PM2_MCP_HOME: opts.home }, opts.env ?? {});
  const child = spawn(process.execPath, [CLI, ...(opts.args ?? [])], { env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  const messages: RpcMessage[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line) messages.push(JSON.parse(line) as RpcMessage);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const send = (message: object | string) => void child.stdin.write(typeof message === 'string' ? message : `${JSON.stringify(message)}\n`);
  const response = (id: string | number, timeoutMs = 20_000) => waitFor(() => messages.find((m) => m.id === id && (m.result !== undefined || m.error !== undefined)), `response ${id}`, timeoutMs);
  return {
    child,
    send,
    messages: () => messages,
    response,
    initialize: async () => {
      send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-client', version: '1' } } });
      await response('init');
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
    stderr: () => stderr,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
