// Shared pieces of the benchmarks: result shape, statistics, temp folders that are always
// cleaned up, and the built server driven by the SDK's Client with its pid known.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, destroyHome, makeTempDir } from '../test/helpers/harness.js';

export { CLI };

export interface BenchResult {
  name: string;
  unit: string;
  target: string;
  met: boolean;
  [figure: string]: unknown;
}

/** Progress goes to stderr: stdout carries the one JSON document. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

// Every temp PM2_HOME and folder a benchmark makes is registered here until it is removed, so
// that a signal (Ctrl-C) still cleans up what a `finally` did not reach.
const homes = new Set<string>();
const dirs = new Set<string>();

/** A fresh PM2_HOME (short path: the daemon's socket lives inside it). */
export async function tempHome(): Promise<string> {
  const home = await makeTempDir('pm2bench-');
  homes.add(home);
  return home;
}

export async function tempDir(): Promise<string> {
  const dir = await makeTempDir('pm2bench-files-');
  dirs.add(dir);
  return dir;
}

/** Stops the daemon of `home` and everything it started (by that home only), then removes it. */
export async function removeHome(home: string): Promise<void> {
  try {
    await destroyHome(home);
  } finally {
    homes.delete(home);
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export async function cleanupAll(): Promise<void> {
  for (const home of [...homes]) await removeHome(home).catch(() => undefined);
  for (const dir of [...dirs]) await removeDir(dir).catch(() => undefined);
}

/** The server's environment: ours without PM2_* (the bench sets some for its own pm2), plus the home. */
export function serverEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  env.PM2_MCP_HOME = home;
  return env;
}

/** An app that prints nothing and stays up. */
export const IDLE_SCRIPT = 'setInterval(() => {}, 1e6);\n';

export interface Server {
  client: Client;
  pid: number;
  stderr: () => string;
  close: () => Promise<void>;
}

/**
 * The built binary attached to `home`, behind an SDK Client; its pid is kept for /proc reads.
 * `cwd` is the server's root (no config file there: the default policy applies), a folder the
 * benchmark owns, so that a config file elsewhere cannot change what is measured.
 */
export async function startServer(home: string, cwd: string, args: string[] = []): Promise<Server> {
  await builtCli();
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: serverEnv(home), stderr: 'pipe', cwd });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'pm2-mcp-bench', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (err) {
    await transport.close().catch(() => undefined);
    throw new Error(`the server did not start: ${(err as Error).message}\n${stderr}`);
  }
  const pid = transport.pid;
  if (pid === null) {
    await client.close();
    throw new Error('the transport reports no pid for the server');
  }
  return { client, pid, stderr: () => stderr, close: () => client.close() };
}

/**
 * The built binary. `npm run build` removes dist/ before it writes it again, so a build running
 * at the same time (tests in another shell) can make it vanish for a moment: wait for it.
 */
export async function builtCli(timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(CLI)) {
    if (Date.now() > deadline) throw new Error(`${CLI} does not exist: run npm run build`);
    await sleep(250);
  }
  return CLI;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) {
    const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    throw new Error(`${name} failed: ${text}`);
  }
  return result;
}

/** Peak resident memory (VmHWM) of a live process, in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { ms: performance.now() - t0, value };
}
