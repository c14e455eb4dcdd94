// Gate overhead: what dispatch() adds to a tool call on its own (parse → resolve → evaluate →
// audit → execute → audit), with pm2 taken out. A fake Pm2Adapter answers at once (list() gives
// a prebuilt array of 50 raw processes), so both sides do no pm2 I/O; the baseline is the same
// tool's execute() called directly with the same fake and a request resolved once beforehand.
// The strict preset plus the 20 globs of the policy benchmark decides; the auditor is the one the
// server uses today (NO_AUDIT).
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_AUDIT, type CallerInfo } from '../src/audit/auditor.js';
import { decide, dispatch, type Gate } from '../src/server/dispatch.js';
import type { AnyOperation } from '../src/server/operation.js';
import { restartProcess, startProcess } from '../src/server/tools/lifecycle.js';
import { listProcesses } from '../src/server/tools/read.js';
import { compileBenchPolicy } from './policy.js';
import { withServerFacts } from '../src/policy/compile.js';
import { FakePm2, rawProcesses } from '../test/helpers/fake-pm2.js';
import { IDLE_SCRIPT, log, median, percentile, removeDir, round, tempDir, type BenchResult } from './common.js';

const PROCESSES = 50;
const WARMUP = 200;
const ITERATIONS = 2_000;
const TARGET_ADDED_MS = 1;

/** 50 raw entries shaped like pm2's getMonitorData, env blocks included (the views must skip them). */
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

    // Told where the fake daemon's logs live, as serve tells the real policy (a restart checks them).
    const policy = withServerFacts(compileBenchPolicy(root), { pm2Home: '/home/app/.pm2', pm2LogDir: '/home/app/.pm2/logs', ownFiles: [] });
    const processes = rawProcesses(root, PROCESSES);
    const pm2 = new FakePm2(root, processes, PROCESSES - 1);
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
