// The audit log's cost and its safety under sharing.
//
// audit_append: what the log adds to a call, in-process. AuditLog.decision() + outcome() (one
// call's pair of records) on a temp file, with fsync on and off, interleaved, each pair timed on
// its own; then dispatch() of pm2_list_processes with a fake pm2 (as gate_overhead) through a
// real AuditLog against NO_AUDIT, for what a call through the gate pays. fsync's cost depends on
// the file system, so the file goes on a real disk: os.tmpdir() unless /proc/mounts says it is
// tmpfs, else .bench-tmp/ under the project folder (git-ignored); the result says which.
//
// audit_concurrent: 8 server processes (dist/cli.js), one pm2 daemon, one --audit-file, driven by
// 8 SDK Clients at once, 125 pm2_list_processes calls each in small concurrent batches. The log
// must then hold exactly 1,000 decision records, every line JSON, and `audit verify` exit 0.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AuditLog, policyRecord, serverRecord } from '../src/audit/audit-log.js';
import { CONFIG_DEFAULTS } from '../src/model/config.js';
import { NO_AUDIT, type Auditor, type CallerInfo, type DecisionEntry } from '../src/audit/auditor.js';
import { verifyChain } from '../src/audit/verify.js';
import type { CompiledPolicy } from '../src/policy/compile.js';
import { decide, dispatch, type Gate } from '../src/server/dispatch.js';
import { listProcesses } from '../src/server/tools/read.js';
import { VERSION } from '../src/version.js';
import { ROOT, isAlive } from '../test/helpers/harness.js';
import { compileBenchPolicy } from './policy.js';
import { FakePm2, rawProcesses } from '../test/helpers/fake-pm2.js';
import {
  log, median, startServer, type Server, percentile, removeDir, removeHome, round, serverEnv, tempDir, tempHome, type BenchResult,
} from './common.js';

const WARMUP = 200;
const ITERATIONS = 2_000;
const TARGET_FSYNC_P50_MS = 1;
const PROCESSES = 50;

const CLIENTS = 8;
const CALLS_PER_CLIENT = 125;
const BATCH = 5;
const TOTAL_CALLS = CLIENTS * CALLS_PER_CLIENT;
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const r4 = (v: number) => round(v, 4);

// ---------------------------------------------------------------------------------------------
// Where the files go

/** File systems that live in memory: fsync there costs nothing and measures nothing. */
const MEMORY_FS = new Set(['tmpfs', 'ramfs']);

interface FsInfo {
  mount: string;
  type: string;
  device: string;
}

/** The mount holding `path` (the longest mount point that contains it), from /proc/mounts. */
function fsOf(path: string): FsInfo | undefined {
  try {
    const real = realpathSync(path);
    let best: FsInfo | undefined;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, rawMount, type] = line.split(' ');
      if (!device || !rawMount || !type) continue;
      const mount = rawMount.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
      const inside = mount === '/' || real === mount || real.startsWith(`${mount}/`);
      // Later lines mount over earlier ones at the same point.
      if (inside && (!best || mount.length >= best.mount.length)) best = { mount, type, device };
    }
    return best;
  } catch {
    return undefined; // No /proc (not Linux): unknown.
  }
}

interface Place {
  dir: string;
  /** os.tmpdir() or the project folder's .bench-tmp/. */
  base: string;
  fs: FsInfo | undefined;
  tmpdirFs: FsInfo | undefined;
  remove: () => Promise<void>;
}

/** A temp folder on a real disk: os.tmpdir() unless it is in memory, else .bench-tmp/ in the project. */
async function auditPlace(): Promise<Place> {
  const tmpdirFs = fsOf(tmpdir());
  if (!tmpdirFs || !MEMORY_FS.has(tmpdirFs.type)) {
    const dir = await tempDir(); // registered: run.ts's cleanup removes it on Ctrl-C too
    return { dir, base: `os.tmpdir() (${tmpdir()})`, fs: fsOf(dir), tmpdirFs, remove: () => removeDir(dir) };
  }
  const base = join(ROOT, '.bench-tmp');
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'audit-'));
  // Not known to common.ts's cleanup: removed here on a signal as well (sync, before run.ts exits).
  const onSignal = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    dir,
    base: `${relative(ROOT, base)}/ under the project folder (os.tmpdir() ${tmpdir()} is ${tmpdirFs.type})`,
    fs: fsOf(dir),
    tmpdirFs,
    remove: async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await rm(dir, { recursive: true, force: true });
      await rmdir(base).catch(() => undefined); // only when empty: another run may use it
    },
  };
}

function describePlace(place: Place): Record<string, unknown> {
  return {
    location: place.base,
    fs_type: place.fs?.type ?? 'unknown',
    fs_device: place.fs?.device ?? 'unknown',
    fs_mount: place.fs?.mount ?? 'unknown',
    on_memory_fs: place.fs ? MEMORY_FS.has(place.fs.type) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// audit_append

/** 50 raw entries shaped like pm2's getMonitorData (a smaller copy of gate_overhead's). */

/** The AuditLog the server would build for this policy (serve.ts's createAuditor), on `file`. */
function auditLog(file: string, fsync: boolean, policy: CompiledPolicy): AuditLog {
  return new AuditLog({
    file,
    fsync,
    maxBytes: CONFIG_DEFAULTS.audit.maxBytes,
    policy: policyRecord(policy),
    server: serverRecord(VERSION),
  });
}

interface Timings {
  pair: number[];
  decision: number[];
  outcome: number[];
}

function figures(t: Timings): Record<string, number> {
  return {
    pair_p50_ms: r4(median(t.pair)),
    pair_p99_ms: r4(percentile(t.pair, 99)),
    pair_max_ms: r4(Math.max(...t.pair)),
    decision_p50_ms: r4(median(t.decision)),
    outcome_p50_ms: r4(median(t.outcome)),
  };
}

async function intact(file: string, expected: number): Promise<void> {
  const result = await verifyChain(file);
  if (result.status !== 'intact') throw new Error(`${file}: the chain is ${result.status}: ${JSON.stringify(result)}`);
  if (result.records !== expected) throw new Error(`${file}: ${result.records} records, expected ${expected}`);
}

export async function benchAuditAppend(): Promise<BenchResult> {
  const place = await auditPlace();
  try {
    const root = await realpath(place.dir);
    const loadBefore = loadavg()[0]!;
    const policy = compileBenchPolicy(root);
    const gateCtx = { pm2: new FakePm2(root, rawProcesses(root, PROCESSES)), root, redactEnv: policy.output.redactEnv, policy };
    const caller: CallerInfo = { transport: 'stdio', principal: 'local', client: { name: 'pm2-mcp-bench', version: '1.0.0' } };

    // One call's records as dispatch writes them: the decision (with the canonical request) and the outcome.
    const decided = await decide({ ctx: gateCtx, policy }, listProcesses, {});
    if (!decided.ok) throw new Error(`pm2_list_processes: ${decided.error.message}`);
    if (decided.effect !== 'allow') throw new Error(`pm2_list_processes is not allowed by the bench policy: ${decided.decision.reason}`);
    const entry = (): DecisionEntry => ({
      decisionId: randomUUID(),
      operation: listProcesses.name,
      request: decided.request,
      decision: decided.decision,
      effect: decided.effect,
      caller,
    });

    // Five measurements, rotated within one loop so that all of them see the same machine load:
    // the log alone (decision() + outcome(), fsync on and off) and dispatch() with NO_AUDIT and
    // with a real AuditLog (fsync on and off). Each has its own file.
    const logs = { fsync: auditLog(join(root, 'append-fsync.jsonl'), true, policy), nofsync: auditLog(join(root, 'append-nofsync.jsonl'), false, policy) };
    const times: Record<keyof typeof logs, Timings> = { fsync: { pair: [], decision: [], outcome: [] }, nofsync: { pair: [], decision: [], outcome: [] } };
    const onePair = async (which: keyof typeof logs, keep: boolean) => {
      const e = entry();
      const t0 = process.hrtime.bigint();
      await logs[which].decision(e);
      const t1 = process.hrtime.bigint();
      await logs[which].outcome({ decisionId: e.decisionId, ok: true, durationMs: 0.05, affected: [] });
      const t2 = process.hrtime.bigint();
      if (!keep) return;
      times[which].decision.push(Number(t1 - t0) / 1e6);
      times[which].outcome.push(Number(t2 - t1) / 1e6);
      times[which].pair.push(Number(t2 - t0) / 1e6);
    };

    const gate = (auditor: Auditor): Gate => ({
      ctx: gateCtx,
      policy,
      auditor,
      onAuditFailure: (message) => {
        throw new Error(message);
      },
    });
    const gateFiles = { fsync: join(root, 'gate-fsync.jsonl'), nofsync: join(root, 'gate-nofsync.jsonl') };
    const gates = {
      none: gate(NO_AUDIT),
      fsync: gate(auditLog(gateFiles.fsync, true, policy)),
      nofsync: gate(auditLog(gateFiles.nofsync, false, policy)),
    };
    const g: Record<keyof typeof gates, number[]> = { none: [], fsync: [], nofsync: [] };
    const oneDispatch = async (kind: keyof typeof gates, keep: boolean) => {
      const t0 = process.hrtime.bigint();
      const out = await dispatch(gates[kind], listProcesses, {}, caller);
      const ms = msSince(t0);
      if (!out.ok) throw new Error(`pm2_list_processes through the gate (${kind}) failed: ${out.error.message}`);
      if (keep) g[kind].push(ms);
    };

    const steps: Array<(keep: boolean) => Promise<void>> = [
      (keep) => onePair('fsync', keep),
      (keep) => oneDispatch('none', keep),
      (keep) => onePair('nofsync', keep),
      (keep) => oneDispatch('fsync', keep),
      (keep) => oneDispatch('nofsync', keep),
    ];
    log(`audit: ${WARMUP} warm-up + ${ITERATIONS} rounds of: AuditLog decision+outcome (fsync, no fsync), dispatch(pm2_list_processes) with NO_AUDIT / AuditLog fsync / no fsync; order rotated`);
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      // Rotate which goes first, so none always runs right after the same neighbour's fsync.
      for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!(i >= WARMUP);
    }
    for (const file of [logs.fsync.file, logs.nofsync.file, gateFiles.fsync, gateFiles.nofsync]) await intact(file, 2 * (WARMUP + ITERATIONS));

    const gateFigures = (kind: keyof typeof gates) => ({
      p50_ms: r4(median(g[kind])),
      p99_ms: r4(percentile(g[kind], 99)),
      ...(kind === 'none'
        ? {}
        : {
            added_p50_ms: r4(median(g[kind]) - median(g.none)),
            added_p99_ms: r4(percentile(g[kind], 99) - percentile(g.none, 99)),
            added_paired_p50_ms: r4(median(g[kind].map((v, i) => v - g.none[i]!))),
          }),
    });
    // What a call waits for is its decision record: the outcome is written after the reply
    // (dispatch does not await it). With fsync true here, every record is fsynced.
    const fsyncP50 = median(g.fsync) - median(g.none);
    return {
      name: 'audit_append',
      unit: 'ms',
      iterations: ITERATIONS,
      warmup: WARMUP,
      file: describePlace(place),
      loadavg_1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
      append: { fsync: figures(times.fsync), no_fsync: figures(times.nofsync) },
      gate_list_processes: {
        processes: PROCESSES,
        no_audit: gateFigures('none'),
        audit_fsync: gateFigures('fsync'),
        audit_no_fsync: gateFigures('nofsync'),
      },
      note:
        'append: one call\'s records, AuditLog.decision() then outcome(), timed as a pair (each record: lock file O_EXCL create + write + unlink, open, stat, append, ' +
        'datasync when fsync is on, close). gate: dispatch() of pm2_list_processes with a fake pm2 that answers at once (strict + 20 globs, as gate_overhead); ' +
        'added = AuditLog - NO_AUDIT. All five measurements are rotated within one loop (same machine load); each has its own file, and every file\'s chain ' +
        'is verified intact with the expected record count afterwards. fsync figures depend on the disk (see file) and on other I/O on the host (see loadavg). ' +
        'The pair includes the outcome, which a call does not wait for: it is written after the reply, one event-loop turn later.',
      target: `the log adds <= ${TARGET_FSYNC_P50_MS} ms p50 per call through the gate (gate_list_processes.audit_fsync.added_p50_ms), with an fsync per record`,
      met: fsyncP50 <= TARGET_FSYNC_P50_MS,
    };
  } finally {
    await place.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// audit_concurrent

/** Closes the client (the transport ends the server); a server still up after 5 s is killed by its pid. */
async function stopServer(s: Server): Promise<void> {
  await s.client.close().catch(() => undefined);
  const deadline = Date.now() + 5_000;
  while (isAlive(s.pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(s.pid)) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

function runNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, timeout: timeoutMs, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

interface Census {
  lines: number;
  not_json: number;
  decisions: number;
  list_decisions: number;
  outcomes: number;
  distinct_decision_ids: number;
  every_decision_has_one_outcome: boolean;
  writers: number;
}

function census(text: string): Census {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let notJson = 0;
  let decisions = 0;
  let listDecisions = 0;
  let outcomes = 0;
  const decisionIds = new Map<string, number>();
  const outcomeIds = new Map<string, number>();
  const writers = new Set<number>();
  for (const line of lines) {
    let record: { kind?: unknown; tool?: unknown; decision_id?: unknown; server?: { pid?: unknown } };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      notJson++;
      continue;
    }
    const id = String(record.decision_id);
    if (record.kind === 'decision') {
      decisions++;
      if (record.tool === 'pm2_list_processes') listDecisions++;
      decisionIds.set(id, (decisionIds.get(id) ?? 0) + 1);
      if (typeof record.server?.pid === 'number') writers.add(record.server.pid);
    } else if (record.kind === 'outcome') {
      outcomes++;
      outcomeIds.set(id, (outcomeIds.get(id) ?? 0) + 1);
    }
  }
  const oneEach = [...decisionIds].every(([id, n]) => n === 1 && outcomeIds.get(id) === 1) && outcomeIds.size === decisionIds.size;
  return {
    lines: lines.length,
    not_json: notJson,
    decisions,
    list_decisions: listDecisions,
    outcomes,
    distinct_decision_ids: decisionIds.size,
    every_decision_has_one_outcome: oneEach,
    writers: writers.size,
  };
}

export async function benchAuditConcurrent(): Promise<BenchResult> {
  const home = await tempHome();
  const place = await auditPlace();
  const servers: Server[] = [];
  try {
    const file = join(place.dir, 'audit.jsonl');
    const cwd = join(place.dir, 'root'); // no config here: the default policy applies
    await mkdir(cwd);

    // The daemon first, with the pm2 CLI under this home only (a read-only policy spawns none).
    const pm2Env = serverEnv(home);
    delete pm2Env.PM2_MCP_HOME;
    pm2Env.PM2_HOME = home;
    log('audit: starting a pm2 daemon (pm2 ping)');
    const ping = await runNode([PM2_BIN, 'ping'], pm2Env);
    if (ping.code !== 0) throw new Error(`pm2 ping exited ${ping.code}: ${ping.stderr}`);

    log(`audit: starting ${CLIENTS} servers sharing ${file}`);
    const started = await Promise.allSettled(Array.from({ length: CLIENTS }, () => startServer(home, cwd, ['--audit-file', file])));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));

    log(`audit: ${TOTAL_CALLS} pm2_list_processes calls, ${CALLS_PER_CLIENT} per client in batches of ${BATCH}, all clients at once`);
    const errors: string[] = [];
    let answered = 0;
    const drive = async (client: Client) => {
      for (let done = 0; done < CALLS_PER_CLIENT; done += BATCH) {
        const n = Math.min(BATCH, CALLS_PER_CLIENT - done);
        const results = await Promise.allSettled(
          Array.from({ length: n }, () => client.callTool({ name: 'pm2_list_processes', arguments: {} }) as Promise<CallToolResult>),
        );
        for (const r of results) {
          if (r.status === 'rejected') errors.push((r.reason as Error).message);
          else if (r.value.isError) errors.push(r.value.content.map((c) => (c.type === 'text' ? c.text : '')).join(' '));
          else answered++;
        }
      }
    };
    const loadBefore = loadavg()[0]!;
    const t0 = performance.now();
    await Promise.all(servers.map((s) => drive(s.client)));
    const wallMs = performance.now() - t0;

    for (const s of servers.splice(0)) await stopServer(s);
    const files = (await readdir(place.dir)).filter((f) => f.startsWith('audit.jsonl'));
    const counts = census(await readFile(file, 'utf8'));
    const verify = await runNode([join(ROOT, 'dist', 'cli.js'), 'audit', 'verify', file], serverEnv(home));
    const met = counts.decisions === TOTAL_CALLS && counts.list_decisions === TOTAL_CALLS && counts.not_json === 0 && verify.code === 0;
    return {
      name: 'audit_concurrent',
      unit: 'calls/s',
      clients: CLIENTS,
      calls_per_client: CALLS_PER_CLIENT,
      batch: BATCH,
      calls: TOTAL_CALLS,
      answered_ok: answered,
      call_errors: errors.length,
      ...(errors.length ? { first_errors: errors.slice(0, 3) } : {}),
      wall_ms: round(wallMs, 1),
      calls_per_s: round((TOTAL_CALLS / wallMs) * 1000, 1),
      loadavg_1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
      file: describePlace(place),
      fsync: 'on (the default; no config sets audit.fsync)',
      log_files: files,
      records: counts,
      verify_exit_code: verify.code,
      verify_output: verify.stdout.trim() || verify.stderr.trim(),
      target: `exactly ${TOTAL_CALLS} decision records, every line JSON, audit verify exits 0`,
      met,
    };
  } finally {
    for (const s of servers) await stopServer(s);
    await removeHome(home);
    await place.remove();
  }
}
