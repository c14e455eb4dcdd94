// HTTP throughput: one server process in Streamable HTTP mode (`--transport http --port 0`,
// a bearer token from PM2_MCP_TOKEN, the audit log on as by default), one pm2 daemon holding 20
// idle processes, and 1, 8 then 32 SDK clients, each its own MCP session, calling
// pm2_list_processes in a closed loop; and, in the same run on the same daemon, 32 concurrent
// callers of pm2's own `list()` (the baseline). The machine is shared and the figures move
// 10–20 % from one round to the next: each figure is the median of its rounds, and the rounds of
// every level and of the baseline are interleaved, so that a busy moment weighs on all of them.
// The audit log must then hold one pm2_list_processes decision record for every call made.
// Each figure also says what one call cost in CPU, in the server, in pm2's daemon and in this
// process (the clients): on a shared machine calls/s moves with the load, the cost moves less.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  IDLE_SCRIPT, builtCli, log, median, percentile, removeDir, removeHome, round, serverEnv, tempDir, tempHome, type BenchResult,
} from './common.js';
import { connectDirect, type DirectPm2 } from './pm2-direct.js';

const PROCESSES = 20;
const LEVELS = [1, 8, 32];
/** Concurrent callers of pm2's own list(), the figure the 32 sessions are held to. */
const DIRECT_CALLERS = 32;
const ROUNDS = 5;
const WARMUP_MS = 1_000;
const ROUND_MS = 2_000;
const P99_TARGET_MS = 100;
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const TOOL = 'pm2_list_processes';

/** One closed-loop run: how many calls answered, how long each took, what failed, the CPU it took. */
interface Round {
  calls: number;
  latencies: number[];
  errors: string[];
  windowMs: number;
  cpuMs: CpuMs;
}

/** CPU time in ms: the server process, pm2's daemon, this process (the clients). */
interface CpuMs {
  server: number;
  daemon: number;
  clients: number;
}

/** The processes whose CPU a round counts. */
interface Probe {
  serverPid: number;
  daemonPid: number;
}

interface Figures {
  /** Medians over the rounds. */
  calls_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Each round's calls/s, to see the spread. */
  rounds_calls_per_s: number[];
  /** CPU time per call over all rounds, in ms (from /proc: 10 ms resolution per round for the server and the daemon). */
  cpu_ms_per_call: CpuMs;
  errors: number;
  first_errors?: string[];
}

interface HttpServer {
  child: ChildProcess;
  pid: number;
  url: string;
  auditFile: string | undefined;
  stderr: () => string;
}

type Session = { client: Client; transport: StreamableHTTPClientTransport };

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

/** SIGTERM (the server drains, flushes its log and closes its sessions), SIGKILL to that pid if still up after 15 s. */
async function stopHttpServer(s: HttpServer): Promise<void> {
  if (!isAlive(s.pid) || s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (s.child.exitCode === null && s.child.signalCode === null && Date.now() < deadline) await sleep(50);
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}

async function openSession(url: string, token: string): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'pm2-mcp-bench-http', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function closeSession(s: Session): Promise<void> {
  await s.transport.terminateSession().catch(() => undefined);
  await s.client.close().catch(() => undefined);
}

/** Every pm2_list_processes made through the server, counted against the decision records. */
let toolCalls = 0;

/** Why one call failed, or undefined when it answered the full list. */
async function listOnce(client: Client): Promise<string | undefined> {
  toolCalls++;
  try {
    const result = (await client.callTool({ name: TOOL, arguments: {} })) as CallToolResult;
    if (result.isError) return result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
    const count = (result.structuredContent as { count?: number } | undefined)?.count;
    return count === PROCESSES ? undefined : `${TOOL} gave ${String(count)} processes`;
  } catch (err) {
    return (err as Error).message;
  }
}

async function directListOnce(pm2: DirectPm2): Promise<string | undefined> {
  try {
    const list = await pm2.list();
    return list.length === PROCESSES ? undefined : `pm2.list() gave ${list.length} processes`;
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

/** CPU time a process has used, in ms: utime + stime of /proc/<pid>/stat, in USER_HZ (100 a second on Linux). */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function cpuNow(probe: Probe): CpuMs {
  const own = process.cpuUsage();
  return { server: cpuMsOf(probe.serverPid), daemon: cpuMsOf(probe.daemonPid), clients: (own.user + own.system) / 1000 };
}

/** Each worker calls in a loop until `ms` have passed: the same harness for the server and for pm2. */
async function closedLoop(workers: ReadonlyArray<() => Promise<string | undefined>>, ms: number, probe: Probe): Promise<Round> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const cpu0 = cpuNow(probe);
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    workers.map(async (once) => {
      while (performance.now() < end) {
        const started = performance.now();
        const error = await once();
        if (error) errors.push(error);
        else latencies.push(performance.now() - started);
      }
    }),
  );
  const windowMs = performance.now() - t0;
  const cpu1 = cpuNow(probe);
  const cpuMs = { server: cpu1.server - cpu0.server, daemon: cpu1.daemon - cpu0.daemon, clients: cpu1.clients - cpu0.clients };
  return { calls: latencies.length + errors.length, latencies, errors, windowMs, cpuMs };
}

function figures(rounds: Round[]): Figures {
  const errors = rounds.flatMap((r) => r.errors);
  return {
    calls_per_s: round(median(rounds.map((r) => (r.calls / r.windowMs) * 1000)), 1),
    p50_ms: round(median(rounds.map((r) => percentile(r.latencies, 50)))),
    p99_ms: round(median(rounds.map((r) => percentile(r.latencies, 99)))),
    rounds_calls_per_s: rounds.map((r) => round((r.calls / r.windowMs) * 1000, 1)),
    cpu_ms_per_call: perCall(rounds),
    errors: errors.length,
    ...(errors.length ? { first_errors: errors.slice(0, 3) } : {}),
  };
}

function perCall(rounds: Round[]): CpuMs {
  const calls = rounds.reduce((n, r) => n + r.calls, 0);
  const sum = (key: keyof CpuMs) => round(rounds.reduce((n, r) => n + r.cpuMs[key], 0) / calls, 3);
  return { server: sum('server'), daemon: sum('daemon'), clients: sum('clients') };
}

async function startApps(home: string, dir: string): Promise<void> {
  const names = Array.from({ length: PROCESSES }, (_, i) => `p${i}`);
  const script = join(dir, 'idle.js');
  await writeFile(script, IDLE_SCRIPT);
  const ecosystem = join(dir, 'ecosystem.config.cjs');
  await writeFile(ecosystem, `module.exports = ${JSON.stringify({ apps: names.map((name) => ({ name, script, cwd: dir, autorestart: false })) })};\n`);
  const pm2Env = serverEnv(home);
  delete pm2Env.PM2_MCP_HOME;
  pm2Env.PM2_HOME = home;
  log(`http: starting ${PROCESSES} processes with the pm2 CLI`);
  // In one pm2 CLI call under this home only (which also starts its daemon).
  const started = await runNode([PM2_BIN, 'start', ecosystem], pm2Env);
  if (started.code !== 0) throw new Error(`pm2 start exited ${started.code}: ${started.stderr}`);
}

/** Every app online before anything is timed. */
async function waitAllOnline(session: Session): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    toolCalls++;
    const result = (await session.client.callTool({ name: TOOL, arguments: {} })) as CallToolResult;
    const procs = (result.structuredContent as { processes?: Array<{ status?: string }> } | undefined)?.processes ?? [];
    if (procs.length === PROCESSES && procs.every((p) => p.status === 'online')) return;
    if (Date.now() > deadline) throw new Error(`only ${procs.filter((p) => p.status === 'online').length} of ${PROCESSES} processes online`);
    await sleep(200);
  }
}

export async function benchHttp(): Promise<BenchResult> {
  const home = await tempHome();
  const dir = await tempDir();
  let server: HttpServer | undefined;
  let direct: DirectPm2 | undefined;
  const sessions: Session[] = [];
  // Ctrl-C reaches run.ts, which cleans the homes up and exits: the server goes with us.
  const killOnExit = () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  toolCalls = 0;
  try {
    await startApps(home, dir);
    const token = randomBytes(32).toString('base64url');
    server = await startHttpServer(home, dir, token);
    const auditFile = server.auditFile ?? join(home, 'pm2-mcp', 'audit.jsonl');
    log(`http: server pid ${server.pid} at ${server.url}, audit log ${auditFile}`);

    // One set of sessions per level, opened once and kept through every round.
    const bySize = new Map<number, Session[]>();
    for (const size of LEVELS) {
      const opened = await Promise.all(Array.from({ length: size }, () => openSession(server!.url, token)));
      sessions.push(...opened);
      bySize.set(size, opened);
    }
    await waitAllOnline(sessions[0]!);
    direct = await connectDirect(home);
    const directWorkers = Array.from({ length: DIRECT_CALLERS }, () => () => directListOnce(direct!));
    const mcpWorkers = (size: number) => bySize.get(size)!.map((s) => () => listOnce(s.client));

    log(`http: warm-up, ${WARMUP_MS} ms per level and for pm2's list()`);
    const probe: Probe = { serverPid: server.pid, daemonPid: Number((await readFile(join(home, 'pm2.pid'), 'utf8')).trim()) };
    for (const size of LEVELS) await closedLoop(mcpWorkers(size), WARMUP_MS, probe);
    await closedLoop(directWorkers, WARMUP_MS, probe);

    const loadBefore = loadavg()[0]!;
    const mcpRounds = new Map<number, Round[]>(LEVELS.map((size) => [size, []]));
    const directRounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      log(`http: round ${r} of ${ROUNDS}: ${LEVELS.join(', ')} session(s) and ${DIRECT_CALLERS} callers of pm2.list(), ${ROUND_MS} ms each`);
      for (const size of LEVELS) mcpRounds.get(size)!.push(await closedLoop(mcpWorkers(size), ROUND_MS, probe));
      directRounds.push(await closedLoop(directWorkers, ROUND_MS, probe));
    }
    const loadAfter = loadavg()[0]!;

    await Promise.all(sessions.splice(0).map(closeSession));
    // Stopped first: it flushes the log, and every record the calls left is then counted.
    await stopHttpServer(server);
    const audited = await listDecisions(auditFile);

    const levels = LEVELS.map((sessions) => ({ sessions, ...figures(mcpRounds.get(sessions)!) }));
    const pm2List = { callers: DIRECT_CALLERS, ...figures(directRounds) };
    const at32 = levels.find((l) => l.sessions === 32)!;
    const errors = levels.reduce((n, l) => n + l.errors, 0) + pm2List.errors;
    const auditMatches = audited === toolCalls;
    return {
      name: 'http_list_throughput',
      unit: 'calls/s',
      processes: PROCESSES,
      transport: 'Streamable HTTP, one server process, bearer token, one SDK Client per session',
      audit: 'on (the default), file under the temp PM2_HOME',
      warmup_ms: WARMUP_MS,
      round_ms: ROUND_MS,
      rounds: ROUNDS,
      figures: 'median over the rounds of each round\'s calls/s, p50 and p99',
      levels,
      pm2_list: pm2List,
      ratio_32_sessions_to_pm2_list: round(at32.calls_per_s / pm2List.calls_per_s),
      // Other work on the machine moves these figures: the 1-minute load average around the runs.
      cpus: cpus().length,
      load_avg_1m: { before: round(loadBefore), after: round(loadAfter) },
      total_errors: errors,
      tool_calls: toolCalls,
      audit_decisions: audited,
      audit_matches_calls: auditMatches,
      target: `at 32 sessions, calls/s >= pm2.list() at ${DIRECT_CALLERS} callers and p99 <= ${P99_TARGET_MS} ms; no errors; one decision record per call`,
      met: errors === 0 && auditMatches && at32.calls_per_s >= pm2List.calls_per_s && at32.p99_ms <= P99_TARGET_MS,
    };
  } finally {
    await Promise.all(sessions.map(closeSession));
    await direct?.disconnect();
    if (server) await stopHttpServer(server);
    process.off('exit', killOnExit);
    await removeHome(home);
    await removeDir(dir);
  }
}
