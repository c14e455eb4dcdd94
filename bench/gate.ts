// Gate overhead: what dispatch() adds to a tool call on its own (parse → resolve → evaluate →
// audit → execute → audit), with pm2 taken out. A fake Pm2Adapter answers at once (list() gives
// a prebuilt array of 50 raw processes), so both sides do no pm2 I/O; the baseline is the same
// tool's execute() called directly with the same fake and a request resolved once beforehand.
// The strict preset plus the 20 globs of the policy benchmark decides; the auditor is the one the
// server uses today (NO_AUDIT).
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_AUDIT, type CallerInfo } from '../src/audit/auditor.js';
import type { Pm2Adapter } from '../src/pm2/adapter.js';
import type { Pm2RawProcess, Pm2StartConfig } from '../src/pm2/types.js';
import { decide, dispatch, type Gate } from '../src/server/dispatch.js';
import type { AnyOperation } from '../src/server/operation.js';
import { restartProcess, startProcess } from '../src/server/tools/lifecycle.js';
import { listProcesses } from '../src/server/tools/read.js';
import { compileBenchPolicy } from './policy.js';
import { IDLE_SCRIPT, log, median, percentile, removeDir, round, tempDir, type BenchResult } from './common.js';

const PROCESSES = 50;
const WARMUP = 200;
const ITERATIONS = 2_000;
const TARGET_ADDED_MS = 1;

/** 50 raw entries shaped like pm2's getMonitorData, env blocks included (the views must skip them). */
function rawProcesses(root: string): Pm2RawProcess[] {
  const names = ['api', 'web', ...Array.from({ length: PROCESSES - 2 }, (_, i) => `worker-${i}`)];
  const now = Date.now();
  return names.map((name, pm_id) => {
    const cwd = join(root, 'apps', name);
    const env = { NODE_ENV: 'production', PORT: String(3000 + pm_id), LOG_LEVEL: 'info', PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/app' };
    return {
      pid: 10_000 + pm_id,
      name,
      pm_id,
      monit: { memory: 60_000_000 + pm_id * 1_000, cpu: pm_id % 7 },
      pm2_env: {
        ...env,
        name,
        namespace: 'default',
        pm_id,
        status: 'online',
        pm_uptime: now - 60_000,
        created_at: now - 3_600_000,
        restart_time: pm_id % 3,
        unstable_restarts: 0,
        exec_mode: 'fork_mode',
        instances: 1,
        pm_exec_path: join(cwd, 'server.js'),
        pm_cwd: cwd,
        exec_interpreter: 'node',
        node_args: [],
        args: [],
        watch: false,
        pm_out_log_path: `/home/app/.pm2/logs/${name}-out.log`,
        pm_err_log_path: `/home/app/.pm2/logs/${name}-error.log`,
        pm_pid_path: `/home/app/.pm2/pids/${name}-${pm_id}.pid`,
        autorestart: true,
        env: { ...env, unique_id: `00000000-0000-0000-0000-${String(pm_id).padStart(12, '0')}` },
        version: '1.0.0',
        node_version: process.versions.node,
      },
    };
  });
}

/** Answers at once: no daemon, no socket. start() hands back an id that is in the list. */
class FakePm2 implements Pm2Adapter {
  readonly home = '/nonexistent/pm2-home';
  readonly noDaemon = false;
  constructor(private readonly processes: Pm2RawProcess[], private readonly startedId: number) {}
  isDaemonRunning = async (): Promise<boolean> => true;
  list = async (): Promise<Pm2RawProcess[]> => this.processes;
  start = async (_config: Pm2StartConfig): Promise<number[]> => [this.startedId];
  restart = async (_id: number, _env: Record<string, string>): Promise<void> => undefined;
  reload = async (_id: number, _env: Record<string, string>): Promise<void> => undefined;
  stop = async (_id: number): Promise<void> => undefined;
  delete = async (_id: number): Promise<void> => undefined;
  reloadLogs = async (): Promise<void> => undefined;
  dump = async (): Promise<void> => undefined;
  killDaemon = async (): Promise<void> => undefined;
  close = async (): Promise<void> => undefined;
}

const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

interface ToolFigures {
  args: Record<string, unknown>;
  gate_median_ms: number;
  gate_p99_ms: number;
  execute_median_ms: number;
  execute_p99_ms: number;
  added_median_ms: number;
  added_p99_ms: number;
  added_paired_median_ms: number;
  /** decide() alone (parse, resolve, evaluate): where the added time goes. */
  decide_median_ms: number;
  note?: string;
}

async function measureTool(gate: Gate, op: AnyOperation, args: Record<string, unknown>, caller: CallerInfo): Promise<ToolFigures> {
  // The baseline's request: resolved once, the way the gate resolves it, then reused.
  const decided = await decide(gate, op, args);
  if (!decided.ok) throw new Error(`${op.name}: ${decided.error.message}`);
  if (decided.decision.effect !== 'allow') throw new Error(`${op.name} is not allowed by the bench policy: ${decided.decision.reason}`);
  const request = decided.request;

  const viaGate = async () => {
    const out = await dispatch(gate, op, args, caller);
    if (!out.ok) throw new Error(`${op.name} through the gate failed: ${out.error.message}`);
  };
  const direct = async () => {
    await op.execute(request, gate.ctx);
  };

  for (let i = 0; i < WARMUP; i++) {
    await viaGate();
    await direct();
  }
  const g: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    // Alternate which goes first, so neither always runs right after the other.
    let t0: bigint;
    if (i % 2 === 0) {
      t0 = process.hrtime.bigint();
      await viaGate();
      g.push(msSince(t0));
      t0 = process.hrtime.bigint();
      await direct();
      d.push(msSince(t0));
    } else {
      t0 = process.hrtime.bigint();
      await direct();
      d.push(msSince(t0));
      t0 = process.hrtime.bigint();
      await viaGate();
      g.push(msSince(t0));
    }
  }
  const c: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    const out = await decide(gate, op, args);
    c.push(msSince(t0));
    if (!out.ok) throw new Error(`${op.name}: ${out.error.message}`);
  }
  const r = (v: number) => round(v, 4);
  return {
    args,
    gate_median_ms: r(median(g)),
    gate_p99_ms: r(percentile(g, 99)),
    execute_median_ms: r(median(d)),
    execute_p99_ms: r(percentile(d, 99)),
    added_median_ms: r(median(g) - median(d)),
    added_p99_ms: r(percentile(g, 99) - percentile(d, 99)),
    added_paired_median_ms: r(median(g.map((v, i) => v - d[i]!))),
    decide_median_ms: r(median(c)),
  };
}

export async function benchGate(): Promise<BenchResult> {
  const dir = await tempDir();
  try {
    const root = await realpath(dir);
    // A real script for the start: resolve takes the real path of the cwd and of the script.
    const cwd = join(root, 'services', 'billing');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'worker.js'), IDLE_SCRIPT);

    const policy = compileBenchPolicy(root);
    const processes = rawProcesses(root);
    const pm2 = new FakePm2(processes, PROCESSES - 1);
    const gate: Gate = {
      ctx: { pm2, root, redactEnv: policy.output.redactEnv, policy },
      policy,
      auditor: NO_AUDIT,
      onAuditFailure: (message) => {
        throw new Error(message);
      },
    };
    const caller: CallerInfo = { transport: 'stdio', principal: 'local', client: { name: 'pm2-mcp-bench', version: '1.0.0' } };

    const cases: Array<[AnyOperation, Record<string, unknown>]> = [
      [listProcesses, {}],
      [restartProcess, { process: 'api' }],
      // Relative paths, resolved against the root as a client would give them; the name is new
      // to the fake's list (a start must only create) and in processes.names (worker-*).
      [startProcess, { script: 'worker.js', cwd: 'services/billing', name: 'worker-billing', env: { NODE_ENV: 'production', PORT: '4000', LOG_LEVEL: 'info' } }],
    ];
    const tools: Record<string, ToolFigures> = {};
    for (const [op, args] of cases) {
      log(`gate: ${op.name}: ${WARMUP} warm-up + ${ITERATIONS} calls each way, interleaved`);
      tools[op.name] = await measureTool(gate, op, args, caller);
    }
    tools[startProcess.name]!.note =
      'includes resolve\'s own filesystem I/O (async realpath + stat of the cwd and the script, a sync PATH lookup + realpath of node): the gate\'s I/O, not pm2\'s';
    const worst = Math.max(...Object.values(tools).map((t) => t.added_median_ms));
    return {
      name: 'gate_overhead',
      unit: 'ms',
      processes: PROCESSES,
      iterations: ITERATIONS,
      policy: 'strict + 20 globs (as policy_evaluate)',
      auditor: 'NO_AUDIT (the auditor the server uses today)',
      tools,
      worst_added_median_ms: worst,
      note:
        'pm2 is a fake that answers at once, so no pm2 I/O is measured. gate = dispatch() (parse, resolve, evaluate, audit, execute, audit); ' +
        'execute = the tool\'s execute() alone with the same fake and a request resolved beforehand; added = gate - execute. ' +
        'For pm2_start_process, resolve\'s filesystem calls (realpath/stat of the cwd and script, the PATH lookup and realpath of node) are included: ' +
        'they are the gate\'s own I/O, not pm2\'s.',
      target: `added <= ${TARGET_ADDED_MS} ms per call (median gate - median execute) for each tool`,
      met: worst <= TARGET_ADDED_MS,
    };
  } finally {
    await removeDir(dir);
  }
}
