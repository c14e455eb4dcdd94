// Policy evaluation: evaluate() alone, the pure decision, over 10,000 canonical requests of mixed
// kinds (starts allowed and denied at many rules, operations on 1–3 processes, reads) against the
// strict preset plus a config of 20 realistic globs. Every request is built up front, every
// decision is checked against the rule it was built to hit, and each call is timed on its own.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInterpreterPath, compileResolved } from '../src/commands/load-policy.js';
import { mergeConfigs } from '../src/config/merge.js';
import { presetFile, withPresetTools } from '../src/config/presets.js';
import type { Pm2McpConfig } from '../src/model/config.js';
import type { CompiledPolicy } from '../src/policy/compile.js';
import { evaluate } from '../src/policy/evaluate.js';
import type { CanonicalRequest, ProcessRef, StartApp, TargetRef } from '../src/model/requests.js';
import { startApp, startRequest } from '../test/helpers/fixtures.js';
import { log, median, percentile, removeDir, round, tempDir, type BenchResult } from './common.js';

const REQUESTS = 10_000;
const WARMUP_PASSES = 3;
const TARGET_P50_US = 20;

// What a project adds to the strict preset: 20 globs in all, the kind a real repository needs.
const SCRIPTS = ['apps/*/server.js', 'apps/*/worker.js', 'services/**/*.js', 'jobs/*.mjs', 'bin/cron-*.js', 'packages/*/dist/index.js'];
const CWDS = ['apps/*', 'services/**', 'jobs', 'packages/*'];
const ENV_ALLOW = ['NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL', 'APP_*', 'FEATURE_*'];
const PROCESS_NAMES = ['api', 'web', 'worker-*', 'cron-*'];

export const BENCH_CONFIG: Pm2McpConfig = {
  start: { scripts: SCRIPTS, cwd: CWDS, env: { allow: ENV_ALLOW } },
  processes: { names: PROCESS_NAMES },
};

export const BENCH_GLOBS = SCRIPTS.length + CWDS.length + ENV_ALLOW.length + PROCESS_NAMES.length;

/** policies/strict.json with BENCH_CONFIG laid over it, compiled as the server compiles it. */
export function compileBenchPolicy(root: string): CompiledPolicy {
  const strict = withPresetTools('strict', JSON.parse(readFileSync(presetFile('strict'), 'utf8')) as Pm2McpConfig);
  const config = mergeConfigs(strict, BENCH_CONFIG);
  return compileResolved({ config, root, sources: [], preset: 'strict' });
}

/** A small seeded generator (mulberry32): the same request mix on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  request: CanonicalRequest;
  /** The rule the request was built to be decided by, and its effect. */
  effect: 'allow' | 'deny';
  ruleId: string;
}

function buildCases(root: string, nodePath: string): Case[] {
  const rnd = seeded(0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = (rel: string) => join(root, rel);

  const node = { name: 'node', path: nodePath };
  const allowedApps = [
    { name: 'api', script: 'apps/api/server.js', cwd: 'apps/api' },
    { name: 'web', script: 'apps/web/server.js', cwd: 'apps/web' },
    { name: 'worker-mail', script: 'apps/mail/worker.js', cwd: 'apps/mail' },
    { name: 'worker-billing', script: 'services/billing/src/queue/consumer.js', cwd: 'services/billing' },
    { name: 'cron-nightly', script: 'bin/cron-nightly.js', cwd: 'jobs' },
    { name: 'worker-render', script: 'packages/render/dist/index.js', cwd: 'packages/render' },
  ];
  const allowedEnv = ['NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL', 'APP_REGION', 'APP_BASE_URL', 'FEATURE_NEW_CHECKOUT', 'FEATURE_DARK_MODE'];
  const env = (n: number): Record<string, string> => {
    const out: Record<string, string> = {};
    while (Object.keys(out).length < n) out[pick(allowedEnv)] = 'value';
    return out;
  };
  const app = (over: Partial<StartApp> = {}): StartApp => {
    const a = pick(allowedApps);
    return startApp({
      name: a.name,
      script: at(a.script),
      cwd: at(a.cwd),
      interpreter: node,
      args: ['--port', '3000'],
      env: env(2 + Math.floor(rnd() * 3)),
      instances: 1 + Math.floor(rnd() * 4),
      ...over,
    });
  };
  const start = (a: StartApp): CanonicalRequest => startRequest([a]);
  const withEnv = (extra: string): StartApp => {
    const a = app();
    return { ...a, env: { ...a.env, [extra]: 'value' } };
  };

  // Denied starts, one maker per rule, each failing at a different step of checkStart.
  const deniedStarts: Array<[string, () => CanonicalRequest]> = [
    ['start.cwd', () => start(app({ cwd: at(pick(['tmp', 'scripts', 'apps/api/node_modules/.bin'])) }))],
    ['start.cwd', () => start(app({ cwd: pick(['/etc', '/tmp', '/home/user']) }))],
    ['start.scripts', () => start(app({ script: at(pick(['scripts/deploy.js', 'apps/api/migrate.js', 'apps/api/server.cjs'])) }))],
    ['start.scripts', () => start(app({ script: '/usr/lib/node_modules/npm/bin/npm-cli.js' }))],
    ['start.interpreters.fit', () => start(app({ interpreter: { name: 'python3', path: '/usr/bin/python3.11' } }))],
    ['start.interpreters.fit', () => start(app({ interpreter: { name: 'bash', path: '/usr/bin/bash' } }))],
    ['start.interpreters', () => start(app({ interpreter: { name: 'node', path: pick(['/opt/node18/bin/node', '/tmp/node']) } }))],
    ['start.interpreterArgs', () => start(app({ interpreterArgs: [pick(['--require', '--import', '-e', '--inspect'])] }))],
    ['start.env.pm2Field', () => start(withEnv(pick(['script', 'pm_exec_path', 'exec_interpreter', 'node_args'])))],
    ['start.env.family.node', () => start(withEnv(pick(['NODE_OPTIONS', 'NODE_PATH', 'node_options'])))],
    ['start.env.family.python', () => start(withEnv(pick(['PYTHONWARNINGS', 'PYTHONSTARTUP'])))],
    ['start.env.deny', () => start(withEnv(pick(['STRIPE_API_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', 'APP_SECRET'])))],
    ['start.env.allow', () => start(withEnv(pick(['DATABASE_URL', 'REDIS_URL', 'SENTRY_DSN', 'TZ'])))],
    ['start.logFiles', () => start(app({ logFiles: { out: at('logs/api.out.log') } }))],
    ['start.maxInstances', () => start(app({ instances: 8 + Math.floor(rnd() * 8), execMode: 'cluster' }))],
    ['start.watch', () => start(app({ watch: true }))],
    ['processes.scope', () => start(app({ name: pick(['billing', 'postgres-proxy', 'api-canary', 'webhooks']) }))],
  ];

  let nextId = 0;
  const proc = (name: string): ProcessRef => ({ pm_id: nextId++ % 50, name, namespace: pick(['default', 'default', 'staging']), cwd: at(`apps/${name}`) });
  const inScopeNames = ['api', 'web', 'worker-mail', 'worker-billing', 'worker-3', 'cron-nightly', 'cron-cleanup'];
  const outOfScopeNames = ['billing', 'postgres-proxy', 'metabase', 'api-canary'];
  const target = (names: string[], kind: TargetRef['kind'] = names.length > 1 ? 'namespace' : 'name'): TargetRef => ({
    asked: names.length > 1 ? 'default' : names[0]!,
    kind,
    processes: names.map(proc),
  });
  const operate = (operation: string, t: TargetRef | null, updateEnv = false): CanonicalRequest => ({ kind: 'operate', operation, target: t, updateEnv });
  const someNames = (pool: string[]) => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(pool));
  const mutating = ['pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process'];

  const cases: Case[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const r = rnd();
    if (r < 0.4) {
      // start: half allowed, half denied (spread over the rules above)
      if (i % 2 === 0) cases.push({ request: start(app()), effect: 'allow', ruleId: 'start' });
      else {
        const [ruleId, make] = pick(deniedStarts);
        cases.push({ request: make(), effect: 'deny', ruleId });
      }
    } else if (r < 0.8) {
      // operate on 1–3 processes
      const op = pick(mutating);
      const o = rnd();
      if (o < 0.55) cases.push({ request: operate(op, target(someNames(inScopeNames))), effect: 'allow', ruleId: 'processes.scope' });
      else if (o < 0.8) {
        const names = someNames(inScopeNames);
        names[Math.floor(rnd() * names.length)] = pick(outOfScopeNames);
        cases.push({ request: operate(op, target(names)), effect: 'deny', ruleId: 'processes.scope' });
      } else if (o < 0.88) cases.push({ request: operate('pm2_restart_process', target(['api']), true), effect: 'deny', ruleId: 'processes.updateEnv' });
      else if (o < 0.95) cases.push({ request: operate(op, target(someNames(inScopeNames), 'all')), effect: 'deny', ruleId: 'processes.allowAll' });
      else cases.push({ request: operate('pm2_delete_process', target([pick(inScopeNames)])), effect: 'deny', ruleId: 'tools.pm2_delete_process' });
    } else {
      // reads
      const k = rnd();
      if (k < 0.4) cases.push({ request: { kind: 'read', operation: 'pm2_list_processes', targets: [] }, effect: 'allow', ruleId: 'read' });
      else if (k < 0.65) cases.push({ request: { kind: 'read', operation: 'pm2_describe_process', targets: [proc(pick(inScopeNames))] }, effect: 'allow', ruleId: 'read' });
      else if (k < 0.9) cases.push({ request: { kind: 'read', operation: 'pm2_tail_logs', targets: [proc(pick(inScopeNames))], lines: pick([20, 60, 200, 500]) }, effect: 'allow', ruleId: 'read' });
      else cases.push({ request: { kind: 'read', operation: 'pm2_tail_logs', targets: [proc(pick(inScopeNames))], lines: pick([800, 1000]) }, effect: 'deny', ruleId: 'logs.maxLines' });
    }
  }
  return cases;
}

export async function benchPolicy(): Promise<BenchResult> {
  const dir = await tempDir();
  try {
    const root = realpathSync(dir);
    const policy = compileBenchPolicy(root);
    const nodePath = resolveInterpreterPath('node');
    if (!nodePath) throw new Error('node is not on the PATH');
    const cases = buildCases(root, nodePath);
    const requests = cases.map((c) => c.request);

    // Every request must be decided by the rule it was built for: the mix is what it claims.
    const byRule: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    for (const c of cases) {
      const d = evaluate(c.request, policy);
      if (d.effect !== c.effect || d.ruleId !== c.ruleId) {
        throw new Error(`request built for ${c.effect} ${c.ruleId} was decided ${d.effect} ${d.ruleId}: ${d.reason}`);
      }
      const key = `${d.effect} ${d.ruleId}`;
      byRule[key] = (byRule[key] ?? 0) + 1;
      kinds[c.request.kind] = (kinds[c.request.kind] ?? 0) + 1;
    }

    log(`policy: ${WARMUP_PASSES} warm-up passes over ${REQUESTS} requests`);
    let sink = 0;
    for (let pass = 0; pass < WARMUP_PASSES; pass++) {
      for (const req of requests) sink += evaluate(req, policy).ruleId.length;
    }

    // The cost of the timer itself, to read the figures against.
    const overhead: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t0 = process.hrtime.bigint();
      const t1 = process.hrtime.bigint();
      overhead.push(Number(t1 - t0) / 1000);
    }

    log(`policy: timing ${REQUESTS} evaluate() calls one by one`);
    const us: number[] = new Array<number>(requests.length);
    let allowed = 0;
    let denied = 0;
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i]!;
      const t0 = process.hrtime.bigint();
      const d = evaluate(req, policy);
      const t1 = process.hrtime.bigint();
      us[i] = Number(t1 - t0) / 1000;
      if (d.effect === 'allow') allowed++;
      else denied++;
    }
    if (sink === 0) throw new Error('no decision was made');
    const p50 = median(us);
    return {
      name: 'policy_evaluate',
      unit: 'us',
      preset: 'strict',
      config_globs: BENCH_GLOBS,
      requests: REQUESTS,
      requests_by_kind: kinds,
      decisions_by_rule: Object.fromEntries(Object.entries(byRule).sort(([a], [b]) => a.localeCompare(b))),
      allow: allowed,
      deny: denied,
      p50_us: round(p50, 3),
      p99_us: round(percentile(us, 99), 3),
      mean_us: round(us.reduce((s, v) => s + v, 0) / us.length, 3),
      max_us: round(Math.max(...us), 3),
      timer_overhead_p50_us: round(median(overhead), 3),
      target: `p50 <= ${TARGET_P50_US} us per evaluate() call`,
      met: p50 <= TARGET_P50_US,
    };
  } finally {
    await removeDir(dir);
  }
}
