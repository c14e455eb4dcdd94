// `npm run bench`: runs each benchmark in turn and prints ONE JSON document to stdout.
// Progress goes to stderr. A benchmark that fails is reported with its error (met: false) and
// the others still run; every temp PM2_HOME is destroyed, on failure and on Ctrl-C too.
import { benchAuditAppend, benchAuditConcurrent } from './audit.js';
import { benchGate } from './gate.js';
import { benchHttp } from './http.js';
import { benchList } from './list.js';
import { benchPackage } from './package.js';
import { benchPolicy } from './policy.js';
import { benchReadiness } from './readiness.js';
import { benchSizes } from './sizes.js';
import { benchStartup } from './startup.js';
import { benchTail, benchTailFollow } from './tail.js';
import { cleanupAll, log, type BenchResult } from './common.js';

// stdout carries the result only: anything else that writes there (a library) goes to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) =>
  (process.stderr.write as (c: unknown, e?: unknown, cb?: unknown) => boolean)(chunk, encoding, cb)) as typeof process.stdout.write;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

const BENCHMARKS: Array<[string, () => Promise<BenchResult>]> = [
  ['startup', benchStartup],
  ['list_overhead', benchList],
  ['tail', benchTail],
  ['tail_follow', benchTailFollow],
  ['bytes_per_process', benchSizes],
  ['policy_evaluate', benchPolicy],
  ['gate_overhead', benchGate],
  ['audit_append', benchAuditAppend],
  ['audit_concurrent', benchAuditConcurrent],
  ['http_list_throughput', benchHttp],
  ['readiness_latency', benchReadiness],
  ['package', benchPackage],
];

// BENCH_ONLY=startup,tail runs just those (by name).
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
const results: BenchResult[] = [];
for (const [name, run] of BENCHMARKS) {
  if (only && !only.has(name)) continue;
  log(`${name}: start`);
  const t0 = performance.now();
  try {
    results.push(await run());
  } catch (err) {
    log(`${name}: FAILED: ${(err as Error).stack ?? String(err)}`);
    results.push({ name, unit: '', error: (err as Error).message, target: '', met: false });
  }
  log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
await cleanupAll();

const doc = { node: process.version, date: new Date().toISOString(), results };
// pm2's client module may leave handles behind after disconnect: exit once the document is out.
writeStdout(`${JSON.stringify(doc, null, 2)}\n`, () => process.exit(0));
