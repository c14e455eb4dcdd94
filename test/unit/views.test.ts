import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appEnvNames, describe as describeProcess, summarize, type ProcessSummary } from '../../src/pm2/views.js';
import { REDACTED } from '../../src/safe-text.js';
import type { Pm2RawEnv, Pm2RawProcess } from '../../src/pm2/types.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const STARTED = NOW - 3_600_000;
const CREATED = NOW - 86_400_000;

/** Values that must never reach a redacted view. */
const SECRETS = {
  SECRET_TOKEN: 's3cr3t-token-9f8e7d',
  DATABASE_URL: 'postgres://admin:hunter2-pw@db.internal:5432/app',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY',
  STRIPE_KEY: 'sk_live_51Habcdefghijkl',
  JWT_SECRET: 'jwt-signing-secret-0xdeadbeef',
};

/** A typical app environment: ~10 variables, some secret. */
const APP_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  PORT: '3000',
  LOG_LEVEL: 'info',
  APP_REGION: 'eu-west-1',
  FEATURE_FLAGS: 'a,b,c',
  ...SECRETS,
};

/** Keys pm2 itself adds to every app's env. */
const BOOKKEEPING: Record<string, unknown> = {
  unique_id: '4f1b6c2e-9a3d-4c1e-8b7a-123456789abc',
  NODE_APP_INSTANCE: 0,
  PM2_HOME: '/home/user/.pm2',
  PM2_USAGE: 'CLI',
  PM2_JSON_PROCESSING: 'true',
  PM2_PROGRAMMATIC: 'true',
  PM2_INTERACTOR_PROCESSING: 'true',
  PM2_DISCRETE_MODE: 'true',
  PM2_NO_INTERACTION: 'true',
  io: {},
  km_link: false,
  vizion_running: false,
  pm_id: 0,
  name: 'api',
  namespace: 'default',
};

interface RawOpts {
  name?: string;
  pmId?: number;
  status?: string;
  execMode?: string;
  env?: Record<string, string>;
  pid?: number;
  extra?: Record<string, unknown>;
}

/** A raw entry shaped like pm2's list(): env twice (flattened and in pm2_env.env), plus pm2's copy of the config under the app's name. */
function rawProcess(opts: RawOpts = {}): Pm2RawProcess {
  const name = opts.name ?? 'api';
  const env = opts.env ?? APP_ENV;
  const pmId = opts.pmId ?? 0;
  return {
    pid: opts.pid ?? 12345,
    name,
    pm_id: pmId,
    monit: { memory: 52_428_800, cpu: 1.5 },
    pm2_env: {
      ...env, // flattened, as pm2 does
      name,
      namespace: 'default',
      pm_id: pmId,
      status: opts.status ?? 'online',
      pm_uptime: STARTED,
      created_at: CREATED,
      restart_time: 2,
      unstable_restarts: 0,
      exec_mode: opts.execMode ?? 'fork_mode',
      instances: 1,
      pm_exec_path: '/home/user/project/apps/api/server.js',
      pm_cwd: '/home/user/project/apps/api',
      exec_interpreter: 'node',
      node_args: [],
      args: ['--port', '3000'],
      watch: false,
      autorestart: true,
      pm_out_log_path: '/home/user/.pm2/logs/api-out.log',
      pm_err_log_path: '/home/user/.pm2/logs/api-error.log',
      pm_pid_path: '/home/user/.pm2/pids/api-0.pid',
      version: '1.0.0',
      node_version: '20.11.0',
      axm_options: { secretish: SECRETS.JWT_SECRET },
      env: {
        ...env,
        ...BOOKKEEPING,
        name,
        pm_id: pmId,
        // pm2's copy of the app's config, filed under the app's own name
        [name]: { script: 'server.js', env, SECRET_TOKEN: SECRETS.SECRET_TOKEN },
      },
      ...opts.extra,
    },
  };
}

const TYPICAL_SUMMARY: ProcessSummary = {
  name: 'api',
  pm_id: 0,
  namespace: 'default',
  status: 'online',
  pid: 12345,
  uptime_ms: 3_600_000,
  restarts: 2,
  cpu: 1.5,
  memory: 52_428_800,
  exec_mode: 'fork',
  instances: 1,
  script: '/home/user/project/apps/api/server.js',
  cwd: '/home/user/project/apps/api',
  interpreter: 'node',
};

const SORTED_APP_NAMES = Object.keys(APP_ENV).sort();

function assertNoSecret(serialized: string, label: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!serialized.includes(value), `${label}: the value of ${name} leaked: ${serialized}`);
  }
  // Pieces of secrets must not appear either (e.g. the password inside a URL).
  for (const piece of ['hunter2', 's3cr3t', 'sk_live', 'wJalrXUtnFEMI', 'deadbeef']) {
    assert.ok(!serialized.includes(piece), `${label}: "${piece}" leaked`);
  }
}

test('REDACTED is the literal "[redacted]"', () => {
  assert.equal(REDACTED, '[redacted]');
});

test('summarize: a typical online process, exact view', () => {
  assert.deepEqual(summarize(rawProcess(), NOW), TYPICAL_SUMMARY);
});

test('summarize: the view has exactly the documented keys and no env', () => {
  const s = summarize(rawProcess(), NOW);
  assert.deepEqual(Object.keys(s).sort(), Object.keys(TYPICAL_SUMMARY).sort());
  assert.ok(!('env' in s));
  assert.ok(!('pm2_env' in s));
});

test('summarize: no secret value (nor env name) appears in the serialized summary', () => {
  const cases: { name: string; proc: Pm2RawProcess }[] = [
    { name: 'online', proc: rawProcess() },
    { name: 'stopped', proc: rawProcess({ status: 'stopped' }) },
    { name: 'cluster', proc: rawProcess({ execMode: 'cluster_mode' }) },
    { name: 'secrets in unexpected places', proc: rawProcess({ extra: { versioning: { url: SECRETS.DATABASE_URL }, pm2_env_secret: SECRETS.STRIPE_KEY } }) },
  ];
  for (const c of cases) {
    const json = JSON.stringify(summarize(c.proc, NOW));
    assertNoSecret(json, c.name);
    for (const envName of Object.keys(SECRETS)) assert.ok(!json.includes(envName), `${c.name}: env name ${envName} in a summary`);
  }
});

test('summarize: a table of statuses, modes and odd shapes', () => {
  // `absent`: keys the view must leave out (a missing value is no key at all, never null).
  const base = (over: Partial<ProcessSummary>, ...absent: Array<keyof ProcessSummary>): ProcessSummary => {
    const view: ProcessSummary = { ...TYPICAL_SUMMARY, ...over };
    for (const key of absent) delete view[key];
    return view;
  };
  const cases: { name: string; input: Pm2RawProcess; expected: ProcessSummary }[] = [
    { name: 'stopped: no pid, no uptime', input: rawProcess({ status: 'stopped', pid: 0 }), expected: base({ status: 'stopped' }, 'pid', 'uptime_ms') },
    { name: 'stopped with a stale pid: no pid', input: rawProcess({ status: 'stopped', pid: 999 }), expected: base({ status: 'stopped' }, 'pid', 'uptime_ms') },
    { name: 'errored', input: rawProcess({ status: 'errored' }), expected: base({ status: 'errored' }, 'pid', 'uptime_ms') },
    { name: 'launching', input: rawProcess({ status: 'launching' }), expected: base({ status: 'launching' }, 'pid', 'uptime_ms') },
    { name: 'stopping', input: rawProcess({ status: 'stopping' }), expected: base({ status: 'stopping' }, 'pid', 'uptime_ms') },
    { name: 'online with pid 0: no pid', input: rawProcess({ pid: 0 }), expected: base({}, 'pid') },
    { name: 'online with a negative pid: no pid', input: rawProcess({ pid: -1 }), expected: base({}, 'pid') },
    { name: 'cluster_mode → cluster', input: rawProcess({ execMode: 'cluster_mode' }), expected: base({ exec_mode: 'cluster' }) },
    { name: 'fork_mode → fork', input: rawProcess({ execMode: 'fork_mode' }), expected: base({ exec_mode: 'fork' }) },
    { name: 'empty exec_mode → fork', input: rawProcess({ execMode: '' }), expected: base({ exec_mode: 'fork' }) },
    { name: 'uptime in the future clamps to 0', input: rawProcess({ extra: { pm_uptime: NOW + 5000 } }), expected: base({ uptime_ms: 0 }) },
    { name: 'pm_uptime not a number: no uptime', input: rawProcess({ extra: { pm_uptime: String(STARTED) } }), expected: base({}, 'uptime_ms') },
    { name: 'instances as a string', input: rawProcess({ extra: { instances: '4' } }), expected: base({ instances: 4 }) },
    { name: 'instances "max" → 1', input: rawProcess({ extra: { instances: 'max' } }), expected: base({ instances: 1 }) },
    { name: 'restart_time not a number → 0', input: rawProcess({ extra: { restart_time: 'x' } }), expected: base({ restarts: 0 }) },
    { name: 'empty status → unknown, no pid', input: rawProcess({ status: '' }), expected: base({ status: 'unknown' }, 'pid', 'uptime_ms') },
    { name: 'custom namespace', input: rawProcess({ extra: { namespace: 'dev' } }), expected: base({ namespace: 'dev' }) },
    { name: 'empty paths: left out', input: rawProcess({ extra: { pm_exec_path: '', pm_cwd: '', exec_interpreter: '' } }), expected: base({}, 'script', 'cwd', 'interpreter') },
    {
      name: 'entirely empty entry: safe defaults',
      input: {},
      expected: { name: '', pm_id: -1, namespace: 'default', status: 'unknown', restarts: 0, cpu: 0, memory: 0, exec_mode: 'fork', instances: 1 },
    },
    {
      name: 'pm2_env empty object',
      input: { pm2_env: {}, pid: 5 },
      expected: { name: '', pm_id: -1, namespace: 'default', status: 'unknown', restarts: 0, cpu: 0, memory: 0, exec_mode: 'fork', instances: 1 },
    },
    {
      name: 'name and pm_id only inside pm2_env',
      input: { pm2_env: { name: 'worker', pm_id: 7, status: 'online', pm_uptime: NOW - 10 }, pid: 42, monit: { cpu: Number.NaN, memory: Number.POSITIVE_INFINITY } },
      expected: { name: 'worker', pm_id: 7, namespace: 'default', status: 'online', pid: 42, uptime_ms: 10, restarts: 0, cpu: 0, memory: 0, exec_mode: 'fork', instances: 1 },
    },
    {
      name: 'wrongly typed fields fall back',
      input: { name: 42 as unknown as string, pm_id: '3' as unknown as number, pid: '12' as unknown as number, pm2_env: { status: 'online', pm_uptime: NOW } as Pm2RawEnv },
      expected: { name: '', pm_id: -1, namespace: 'default', status: 'online', uptime_ms: 0, restarts: 0, cpu: 0, memory: 0, exec_mode: 'fork', instances: 1 },
    },
  ];
  for (const c of cases) assert.deepEqual(summarize(c.input, NOW), c.expected, c.name);
});

test('summarize: a typical process serializes to at most 300 bytes', () => {
  const json = JSON.stringify(summarize(rawProcess(), NOW));
  assert.ok(Buffer.byteLength(json) <= 300, `summary is ${Buffer.byteLength(json)} bytes: ${json}`);
});

test('appEnvNames: app variables only, sorted, without bookkeeping or the app\'s own name', () => {
  const cases: { name: string; input: Pm2RawEnv; expected: string[] }[] = [
    { name: 'typical', input: rawProcess().pm2_env!, expected: SORTED_APP_NAMES },
    { name: 'no env', input: {}, expected: [] },
    { name: 'env not an object', input: { env: 'NODE_ENV=x' as unknown as Record<string, unknown> }, expected: [] },
    { name: 'only bookkeeping', input: { name: 'api', env: { ...BOOKKEEPING, api: { SECRET: 'x' } } }, expected: [] },
    { name: 'the app\'s own name is skipped whatever it is', input: { name: 'worker-7', env: { 'worker-7': {}, B: '1', A: '2' } }, expected: ['A', 'B'] },
    { name: 'another app\'s name is a variable', input: { name: 'api', env: { worker: 'x' } }, expected: ['worker'] },
    { name: 'case matters for bookkeeping', input: { env: { pm2_home: 'x', Unique_Id: 'y' } }, expected: ['Unique_Id', 'pm2_home'] },
  ];
  for (const c of cases) assert.deepEqual(appEnvNames(c.input), c.expected, c.name);
});

test('describe, redacted: names listed with "[redacted]", no value anywhere', () => {
  const d = describeProcess(rawProcess(), { redactEnv: true }, NOW);
  const expectedEnv = Object.fromEntries(SORTED_APP_NAMES.map((n) => [n, REDACTED]));
  assert.deepEqual(d.env, expectedEnv);
  assert.deepEqual(Object.keys(d.env), SORTED_APP_NAMES);
  assert.equal(d.env_redacted, true);
  const json = JSON.stringify(d);
  assertNoSecret(json, 'describe redacted');
  for (const v of ['production', 'eu-west-1', 'a,b,c']) assert.ok(!json.includes(v), `non-secret value ${v} shown while redacted`);
  for (const key of ['unique_id', 'NODE_APP_INSTANCE', 'PM2_HOME', 'PM2_USAGE', 'km_link', 'vizion_running', '"io"']) {
    assert.ok(!Object.keys(d.env).includes(key.replace(/"/g, '')), `bookkeeping ${key} listed`);
  }
  assert.ok(!('api' in d.env), 'pm2\'s config copy under the app name is listed');
});

test('describe, redacted: secrets hidden across shapes (stopped, cluster, other name)', () => {
  const cases: { name: string; proc: Pm2RawProcess }[] = [
    { name: 'stopped', proc: rawProcess({ status: 'stopped' }) },
    { name: 'cluster', proc: rawProcess({ execMode: 'cluster_mode', name: 'web', pmId: 4 }) },
    { name: 'name with dashes', proc: rawProcess({ name: 'my-app-1' }) },
    { name: 'only secrets', proc: rawProcess({ env: { ...SECRETS } }) },
  ];
  for (const c of cases) {
    const d = describeProcess(c.proc, { redactEnv: true }, NOW);
    assertNoSecret(JSON.stringify(d), c.name);
    assert.ok(Object.values(d.env).every((v) => v === REDACTED), c.name);
  }
});

test('describe, not redacted: values shown, bookkeeping and config copy still out', () => {
  const d = describeProcess(rawProcess(), { redactEnv: false }, NOW);
  assert.deepEqual(d.env, Object.fromEntries(SORTED_APP_NAMES.map((n) => [n, APP_ENV[n]])));
  assert.equal(d.env_redacted, false);
  assert.equal(d.env.SECRET_TOKEN, SECRETS.SECRET_TOKEN);
  assert.equal(d.env.PORT, '3000');
});

test('describe, not redacted: non-string values become strings', () => {
  const proc: Pm2RawProcess = { name: 'x', pm_id: 1, pm2_env: { name: 'x', env: { PORT: 3000, DEBUG: true, EMPTY: null, x: { nested: 1 } } } };
  assert.deepEqual(describeProcess(proc, { redactEnv: false }, NOW).env, { DEBUG: 'true', EMPTY: '', PORT: '3000' });
});

test('describe: the detail fields of a typical process, exact', () => {
  const d = describeProcess(rawProcess(), { redactEnv: true }, NOW);
  const { env: _env, ...rest } = d;
  assert.deepEqual(rest, {
    ...TYPICAL_SUMMARY,
    args: ['--port', '3000'],
    interpreter_args: [],
    watch: false,
    autorestart: true,
    created_at: new Date(CREATED).toISOString(),
    started_at: new Date(STARTED).toISOString(),
    unstable_restarts: 0,
    logs: { out: '/home/user/.pm2/logs/api-out.log', err: '/home/user/.pm2/logs/api-error.log' },
    env_redacted: true,
  });
});

test('describe: a table of detail fields', () => {
  type Detail = ReturnType<typeof describeProcess>;
  // The detail keys only; a missing value must be no key at all (deepEqual tells {k: undefined} from {}).
  const SUMMARY_KEYS = new Set(Object.keys(TYPICAL_SUMMARY));
  const pick = (d: Detail) => Object.fromEntries(Object.entries(d).filter(([k]) => !SUMMARY_KEYS.has(k) && k !== 'env' && k !== 'env_redacted'));
  const defaults = { args: [], interpreter_args: [], watch: false, autorestart: true, logs: {}, unstable_restarts: 0 };
  const cases: { name: string; input: Pm2RawEnv; expected: ReturnType<typeof pick> }[] = [
    { name: 'empty pm2_env: safe defaults', input: {}, expected: defaults },
    { name: 'args as a string', input: { args: '--flag value' }, expected: { ...defaults, args: ['--flag value'] } },
    { name: 'args as an empty string', input: { args: '' }, expected: defaults },
    { name: 'args with non-strings', input: { args: [1, true] as unknown as string[] }, expected: { ...defaults, args: ['1', 'true'] } },
    { name: 'node_args', input: { node_args: ['--max-old-space-size=512'] }, expected: { ...defaults, interpreter_args: ['--max-old-space-size=512'] } },
    { name: 'watch true', input: { watch: true }, expected: { ...defaults, watch: true } },
    { name: 'watch paths', input: { watch: ['src', 'lib'] }, expected: { ...defaults, watch: ['src', 'lib'] } },
    { name: 'watch as a string is not true', input: { watch: 'yes' as unknown as boolean }, expected: defaults },
    { name: 'autorestart false', input: { autorestart: false }, expected: { ...defaults, autorestart: false } },
    { name: 'exit code 0 kept', input: { exit_code: 0 }, expected: { ...defaults, exit_code: 0 } },
    { name: 'exit code 1', input: { exit_code: 1 }, expected: { ...defaults, exit_code: 1 } },
    { name: 'timestamps', input: { created_at: 1_000, pm_uptime: 2_000 }, expected: { ...defaults, created_at: '1970-01-01T00:00:01.000Z', started_at: '1970-01-01T00:00:02.000Z' } },
    { name: 'zero timestamps: left out', input: { created_at: 0, pm_uptime: 0 }, expected: defaults },
    { name: 'all three log paths', input: { pm_out_log_path: '/l/o', pm_err_log_path: '/l/e', pm_log_path: '/l/c' }, expected: { ...defaults, logs: { out: '/l/o', err: '/l/e', combined: '/l/c' } } },
    { name: 'unstable restarts', input: { unstable_restarts: 3 }, expected: { ...defaults, unstable_restarts: 3 } },
  ];
  for (const c of cases) assert.deepEqual(pick(describeProcess({ pm2_env: c.input }, { redactEnv: true }, NOW)), c.expected, c.name);
});

test('describe: an entry without pm2_env gives an empty env and safe defaults', () => {
  const d = describeProcess({}, { redactEnv: true }, NOW);
  assert.deepEqual(d.env, {});
  assert.equal(d.env_redacted, true);
  assert.equal(d.pm_id, -1);
  assert.ok(!('pid' in d));
  assert.deepEqual(d.logs, {});
});

test('describe: a typical process serializes to at most 1000 bytes', () => {
  const json = JSON.stringify(describeProcess(rawProcess(), { redactEnv: true }, NOW));
  assert.ok(Buffer.byteLength(json) <= 1000, `describe is ${Buffer.byteLength(json)} bytes: ${json}`);
});

test('describe does not mutate the raw entry', () => {
  const proc = rawProcess();
  const before = JSON.stringify(proc);
  describeProcess(proc, { redactEnv: true }, NOW);
  describeProcess(proc, { redactEnv: false }, NOW);
  summarize(proc, NOW);
  assert.equal(JSON.stringify(proc), before);
});
