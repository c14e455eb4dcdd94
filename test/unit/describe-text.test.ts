// The text of pm2_describe_process (src/pm2/detail-text.ts): `key: value` lines, absent fields
// left out, names escaped, cluster instances without repeating what they share, and small.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeText, duration } from '../../src/pm2/detail-text.js';
import type { ProcessDetail } from '../../src/pm2/views.js';

const NAMES = ['API_BASE_URL', 'CACHE_TTL', 'DATABASE_URL', 'FEATURE_FLAGS', 'HOME', 'LOG_LEVEL', 'NODE_ENV', 'PATH', 'PORT', 'REDIS_URL'];

function detail(over: Partial<ProcessDetail> = {}): ProcessDetail {
  return {
    name: 'api', pm_id: 3, namespace: 'default', status: 'online', pid: 41234, uptime_ms: 3_723_000, restarts: 2, cpu: 0.5, memory: 50_000_000,
    exec_mode: 'fork', instances: 1, script: '/home/user/project/apps/api/server.js', cwd: '/home/user/project/apps/api', interpreter: '/usr/bin/node',
    args: [], interpreter_args: [], watch: false, autorestart: true, created_at: '2025-01-15T11:00:00.123Z', started_at: '2025-01-15T11:00:00.456Z',
    unstable_restarts: 0, logs: { out: '/home/user/.pm2/logs/api-out.log', err: '/home/user/.pm2/logs/api-error.log' },
    env: Object.fromEntries(NAMES.map((n) => [n, '[redacted]'])), env_redacted: true,
    ...over,
  };
}

const linesOf = (text: string): Map<string, string> => new Map(text.split('\n').map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));

test('a typical process: one key: value line each, in reading order', () => {
  assert.equal(describeText([detail()]), [
    'process: api[3]',
    'namespace: default',
    'status: online',
    'pid: 41234',
    'uptime: 1h 2m',
    'restarts: 2',
    'script: /home/user/project/apps/api/server.js',
    'cwd: /home/user/project/apps/api',
    'interpreter: /usr/bin/node',
    'mode: fork',
    'watch: no',
    'autorestart: yes',
    'started: 2025-01-15T11:00:00Z',
    'out log: /home/user/.pm2/logs/api-out.log',
    'err log: /home/user/.pm2/logs/api-error.log',
    `env: ${NAMES.join(', ')} (values redacted)`,
  ].join('\n'));
});

test('10 env names, values redacted: at most 500 bytes', () => {
  const text = describeText([detail()], 12);
  assert.ok(Buffer.byteLength(text) <= 500, `${Buffer.byteLength(text)} bytes:\n${text}`);
  assert.match(text, /\ndata age: 12ms$/);
});

test('a table of fields: shown when present, left out when absent or empty', () => {
  const cases: Array<{ name: string; over: Partial<ProcessDetail>; has?: Record<string, string>; lacks?: string[] }> = [
    { name: 'stopped: no pid, no uptime', over: { status: 'stopped', pid: undefined, uptime_ms: undefined }, has: { status: 'stopped' }, lacks: ['pid', 'uptime'] },
    { name: 'unstable restarts', over: { restarts: 15, unstable_restarts: 12 }, has: { restarts: '15 (12 unstable)' } },
    { name: 'exit code 0 is shown', over: { exit_code: 0 }, has: { 'exit code': '0' } },
    { name: 'no exit code', over: {}, lacks: ['exit code'] },
    { name: 'interpreter args', over: { interpreter_args: ['--max-old-space-size=512', '--inspect'] }, has: { interpreter: '/usr/bin/node --max-old-space-size=512 --inspect' } },
    { name: 'interpreter args, no interpreter', over: { interpreter: undefined, interpreter_args: ['-u'] }, has: { 'interpreter args': '-u' }, lacks: ['interpreter'] },
    { name: 'args, one with a space JSON-quoted', over: { args: ['--port', '3000', 'two words'] }, has: { args: '--port 3000 "two words"' } },
    { name: 'no args', over: {}, lacks: ['args'] },
    { name: 'cluster', over: { exec_mode: 'cluster', instances: 4 }, has: { mode: 'cluster, 4 instances' } },
    { name: 'watch on', over: { watch: true }, has: { watch: 'yes' } },
    { name: 'watch paths', over: { watch: ['src', 'lib'] }, has: { watch: 'src, lib' } },
    { name: 'autorestart off', over: { autorestart: false }, has: { autorestart: 'no' } },
    { name: 'created long before the last start', over: { created_at: '2025-01-14T09:00:00.000Z' }, has: { created: '2025-01-14T09:00:00Z', started: '2025-01-15T11:00:00Z' } },
    { name: 'created in the second it started: once', over: {}, lacks: ['created'] },
    { name: 'no times at all', over: { created_at: undefined, started_at: undefined }, lacks: ['created', 'started'] },
    { name: 'a combined log', over: { logs: { combined: '/l/all.log' } }, has: { 'combined log': '/l/all.log' }, lacks: ['out log', 'err log'] },
    { name: 'no script, no cwd', over: { script: undefined, cwd: undefined }, lacks: ['script', 'cwd'] },
    { name: 'no env', over: { env: {} }, lacks: ['env'] },
    { name: 'env values shown when the policy shows them, JSON-quoted', over: { env: { A: 'x, y', B: '1' }, env_redacted: false }, has: { env: 'A="x, y", B="1"' } },
    { name: 'a custom namespace', over: { namespace: 'dev' }, has: { namespace: 'dev' } },
  ];
  for (const c of cases) {
    const text = describeText([detail(c.over)]);
    for (const line of text.split('\n')) assert.match(line, /^[a-z][a-z ]*: \S/, `${c.name}: ${JSON.stringify(line)}`);
    const lines = linesOf(text);
    for (const [k, v] of Object.entries(c.has ?? {})) assert.equal(lines.get(k), v, `${c.name}: ${k}\n${text}`);
    for (const k of c.lacks ?? []) assert.ok(!lines.has(k), `${c.name}: a ${k} line\n${text}`);
  }
});

test('names, paths and values that hold control or bidi characters are escaped', () => {
  const text = describeText([detail({ name: 'evil\x1b[2J\u202e', cwd: '/tmp/a\nb', env: { 'X\u200b': 'v\x07' }, env_redacted: false, args: ['a\\b'] })]);
  // Line breaks are the text's own; any other control or format character came through unescaped.
  assert.ok(!/[\p{Cc}\p{Cf}]/u.test(text.replace(/\n/g, '')), JSON.stringify(text));
  const lines = linesOf(text);
  assert.equal(lines.get('process'), 'evil\\u001b[2J\\u202e[3]');
  assert.equal(lines.get('cwd'), '/tmp/a\\u000ab');
  assert.equal(lines.get('env'), 'X\\u200b="v\\u0007"');
  assert.equal(lines.get('args'), '"a\\\\b"');
});

test('a cluster: one block per instance, a further one naming what it shares with the first', () => {
  const shared = { exec_mode: 'cluster', instances: 2 } as const;
  const a = detail({ ...shared, pm_id: 0, pid: 100, logs: { out: '/l/api-out-0.log', err: '/l/api-error-0.log' } });
  const b = detail({ ...shared, pm_id: 1, pid: 101, exit_code: 1, logs: { out: '/l/api-out-1.log', err: '/l/api-error-1.log' } });
  const text = describeText([a, b]);
  const [first, second] = text.split('\n\n');
  assert.equal(first, describeText([a]));
  assert.equal(second, [
    'process: api[1]',
    'pid: 101',
    'exit code: 1',
    'out log: /l/api-out-1.log',
    'err log: /l/api-error-1.log',
    'same as pm_id 0: namespace, status, uptime, restarts, script, cwd, interpreter, mode, watch, autorestart, started, env',
  ].join('\n'));
});

test('a key the first has and a further one lacks is not said to be shared', () => {
  const text = describeText([detail({ pm_id: 0, exit_code: 2 }), detail({ pm_id: 1 })]);
  const second = linesOf(text.split('\n\n')[1]!);
  assert.ok(!second.has('exit code'));
  assert.ok(!second.get('same as pm_id 0')!.includes('exit code'));
});

test('duration: compact, two units at most', () => {
  const cases: Array<[number, string]> = [[0, '0ms'], [850, '850ms'], [1000, '1s'], [59_999, '59s'], [60_000, '1m 0s'], [303_000, '5m 3s'], [3_600_000, '1h 0m'], [11_520_000, '3h 12m'], [86_400_000, '1d 0h'], [187_200_000, '2d 4h']];
  for (const [ms, text] of cases) assert.equal(duration(ms), text, String(ms));
});
