// HTTP throughput: one server process in Streamable HTTP mode (`--transport http --port 0`,
// a bearer token from PM2_MCP_TOKEN, the audit log on as by default, fsync per record), one pm2
// daemon holding 10 idle processes, and 1, 8 then 32 SDK clients, each its own MCP session,
// calling pm2_list_processes in a closed loop: a warm-up, then a fixed measured window. Per level:
// calls per second over the window and the p50/p99 latency of one call. The audit log must then
// hold one pm2_list_processes decision record for every call made (warm-up included).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chainFiles } from '../src/audit/files.js';
import { ROOT, isAlive } from '../test/helpers/harness.js';
import {
  IDLE_SCRIPT, builtCli, log, percentile, removeDir, removeHome, round, serverEnv, tempDir, tempHome, type BenchResult,
} from './common.js';

const PROCESSES = 10;
const LEVELS = [1, 8, 32];
const WARMUP_MS = 1_000;
const DURATION_MS = 5_000;
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const TOOL = 'pm2_list_processes';

interface Level {
  sessions: number;
  calls: number;
  errors: number;
  calls_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  window_ms: number;
  warmup_calls: number;
  audit_decisions: number;
  audit_matches_calls: boolean;
  first_errors?: string[];
}

interface HttpServer {
  child: ChildProcess;
  pid: number;
  url: string;
  auditFile: string | undefined;
  stderr: () => string;
}

function runNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, timeout: timeoutMs, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The built binary serving Streamable HTTP on a free loopback port, attached to `home`. */
async function startHttpServer(home: string, cwd: string, token: string): Promise<HttpServer> {
  const cli = await builtCli();
  const env = { ...serverEnv(home), PM2_MCP_TOKEN: token };
  const child = spawn(process.execPath, [cli, '--transport', 'http', '--port', '0'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (child.pid === undefined) throw new Error('the server did not spawn');
  const server: HttpServer = { child, pid: child.pid, url: '', auditFile: undefined, stderr: () => stderr };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /serving MCP over Streamable HTTP at (\S+)/.exec(stderr);
    if (m) {
      server.url = m[1]!;
      server.auditFile = /audit log (\S+)/.exec(stderr)?.[1];
      return server;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopHttpServer(server);
      throw new Error(`the HTTP server did not start (exit ${String(child.exitCode)}):\n${stderr}${stdout}`);
    }
    await sleep(25);
  }
}

/** SIGTERM (the server drains and closes its sessions), SIGKILL to that pid if still up after 15 s. */
async function stopHttpServer(s: HttpServer): Promise<void> {
  if (!isAlive(s.pid) || s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (s.child.exitCode === null && s.child.signalCode === null && Date.now() < deadline) await sleep(50);
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}

async function openSession(url: string, token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'pm2-mcp-bench-http', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function closeSession(s: { client: Client; transport: StreamableHTTPClientTransport }): Promise<void> {
  await s.transport.terminateSession().catch(() => undefined);
  await s.client.close().catch(() => undefined);
}

/** Why one call failed, or undefined when it answered the full list. */
async function listOnce(client: Client): Promise<string | undefined> {
  try {
    const result = (await client.callTool({ name: TOOL, arguments: {} })) as CallToolResult;
    if (result.isError) return result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
    const count = (result.structuredContent as { count?: number } | undefined)?.count;
    return count === PROCESSES ? undefined : `${TOOL} gave ${String(count)} processes`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** pm2_list_processes decision records in the log (its rotated files too). */
async function listDecisions(file: string): Promise<number> {
  let n = 0;
  for (const f of await chainFiles(file)) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as { kind?: unknown; tool?: unknown };
        if (record.kind === 'decision' && record.tool === TOOL) n++;
      } catch {
        // Counted as nothing: the count then falls short and says so.
      }
    }
  }
  return n;
}

async function runLevel(url: string, token: string, sessions: number, auditFile: string): Promise<Level> {
  const opened = await Promise.allSettled(Array.from({ length: sessions }, () => openSession(url, token)));
  const clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  try {
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw new Error(`opening ${sessions} sessions: ${(failed.reason as Error).message}`);
    const before = await listDecisions(auditFile);
    const latencies: number[] = [];
    const errors: string[] = [];
    let warmupCalls = 0;

    const loop = async (client: Client, until: number, measured: boolean) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const error = await listOnce(client);
        const ms = performance.now() - t0;
        if (!measured) {
          warmupCalls++;
          if (error) errors.push(`warm-up: ${error}`);
        } else if (error) errors.push(error);
        else latencies.push(ms);
      }
    };
    const warmEnd = performance.now() + WARMUP_MS;
    await Promise.all(clients.map((c) => loop(c.client, warmEnd, false)));
    const t0 = performance.now();
    const end = t0 + DURATION_MS;
    await Promise.all(clients.map((c) => loop(c.client, end, true)));
    const windowMs = performance.now() - t0;

    const calls = latencies.length + errors.filter((e) => !e.startsWith('warm-up: ')).length;
    const audited = (await listDecisions(auditFile)) - before;
    return {
      sessions,
      calls,
      errors: errors.length,
      calls_per_s: round((calls / windowMs) * 1000, 1),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(...latencies)),
      window_ms: round(windowMs, 1),
      warmup_calls: warmupCalls,
      audit_decisions: audited,
      audit_matches_calls: audited === calls + warmupCalls,
      ...(errors.length ? { first_errors: errors.slice(0, 3) } : {}),
    };
  } finally {
    await Promise.all(clients.map(closeSession));
  }
}

export async function benchHttp(): Promise<BenchResult> {
  const home = await tempHome();
  const dir = await tempDir();
  let server: HttpServer | undefined;
  // Ctrl-C reaches run.ts, which cleans the homes up and exits: the server goes with us.
  const killOnExit = () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  try {
    // The apps, in one pm2 CLI call under this home only (which also starts its daemon).
    const names = Array.from({ length: PROCESSES }, (_, i) => `p${i}`);
    const script = join(dir, 'idle.js');
    await writeFile(script, IDLE_SCRIPT);
    const ecosystem = join(dir, 'ecosystem.config.cjs');
    await writeFile(ecosystem, `module.exports = ${JSON.stringify({ apps: names.map((name) => ({ name, script, cwd: dir, autorestart: false })) })};\n`);
    const pm2Env = serverEnv(home);
    delete pm2Env.PM2_MCP_HOME;
    pm2Env.PM2_HOME = home;
    log(`http: starting ${PROCESSES} processes with the pm2 CLI`);
    const started = await runNode([PM2_BIN, 'start', ecosystem], pm2Env);
    if (started.code !== 0) throw new Error(`pm2 start exited ${started.code}: ${started.stderr}`);

    const token = randomBytes(32).toString('base64url');
    server = await startHttpServer(home, dir, token);
    const auditFile = server.auditFile ?? join(home, 'pm2-mcp', 'audit.jsonl');
    log(`http: server pid ${server.pid} at ${server.url}, audit log ${auditFile}`);

    // Every app online before anything is timed.
    const probe = await openSession(server.url, token);
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const result = (await probe.client.callTool({ name: TOOL, arguments: {} })) as CallToolResult;
        const procs = (result.structuredContent as { processes?: Array<{ status?: string }> } | undefined)?.processes ?? [];
        if (procs.length === PROCESSES && procs.every((p) => p.status === 'online')) break;
        if (Date.now() > deadline) throw new Error(`only ${procs.filter((p) => p.status === 'online').length} of ${PROCESSES} processes online`);
        await sleep(200);
      }
    } finally {
      await closeSession(probe);
    }

    const loadBefore = loadavg()[0]!;
    const levels: Level[] = [];
    for (const sessions of LEVELS) {
      log(`http: ${sessions} session(s), ${WARMUP_MS} ms warm-up then ${DURATION_MS} ms closed loop of ${TOOL}`);
      levels.push(await runLevel(server.url, token, sessions, auditFile));
    }
    const errors = levels.reduce((n, l) => n + l.errors, 0);
    return {
      name: 'http_list_throughput',
      unit: 'calls/s',
      processes: PROCESSES,
      transport: 'Streamable HTTP, one server process, bearer token, one SDK Client per session',
      audit: 'on (the default), fsync per record, file under the temp PM2_HOME',
      warmup_ms: WARMUP_MS,
      duration_ms: DURATION_MS,
      levels,
      // Other work on the machine moves these figures: the 1-minute load average around the runs.
      cpus: cpus().length,
      load_avg_1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
      total_errors: errors,
      audit_matches_calls: levels.every((l) => l.audit_matches_calls),
      target: `no errors at ${LEVELS.join(', ')} concurrent sessions`,
      met: errors === 0,
    };
  } finally {
    if (server) await stopHttpServer(server);
    process.off('exit', killOnExit);
    await removeHome(home);
    await removeDir(dir);
  }
}
