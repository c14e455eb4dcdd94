import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { baseEnv, buildStartConfig as build } from '../../src/pm2/start-config.js';
import type { StartApp } from '../../src/model/requests.js';
import { startApp } from '../helpers/fixtures.js';
import type { Pm2StartConfig } from '../../src/pm2/types.js';

function app(over: Partial<StartApp> = {}): StartApp {
  return startApp({
    name: 'api', script: '/home/user/project/apps/api/server.js', cwd: '/home/user/project/apps/api', args: ['--port', '3000'], env: { NODE_ENV: 'production', PORT: '3000' }, ...over,
  });
}

const SECRETS: Record<string, string> = {
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  ANTHROPIC_API_KEY: 'sk-ant-api03-secretsecretsecret',
  OPENAI_API_KEY: 'sk-proj-openai-secret-123',
  GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  DATABASE_URL: 'postgres://admin:hunter2@db/app',
  NPM_TOKEN: 'npm_secret_token_value',
};

/** A realistic server environment: pass-through names, secrets and things that change how apps run. */
const SERVER_ENV: Record<string, string | undefined> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/home/user',
  USER: 'user',
  LOGNAME: 'user',
  SHELL: '/bin/bash',
  LANG: 'en_US.UTF-8',
  TZ: 'Europe/Paris',
  TERM: 'xterm-256color',
  ...SECRETS,
  NODE_OPTIONS: '--require /tmp/evil.js',
  LD_PRELOAD: '/tmp/evil.so',
  PM2_HOME: '/home/user/.pm2',
  PM2_MCP_HOME: '/home/user/.pm2-mcp',
  npm_config_registry: 'https://registry.example',
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  UNSET_ONE: undefined,
};

/** The pass-through names of the standard preset (policies/standard.json start.env.passThrough). */
const PASS_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR', 'TERM'];

const buildStartConfig = (a: StartApp, serverEnv: Record<string, string | undefined>, passThrough: readonly string[] = PASS_THROUGH): Pm2StartConfig => build(a, serverEnv, passThrough);

const PASSED = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/user', USER: 'user', LOGNAME: 'user', SHELL: '/bin/bash', LANG: 'en_US.UTF-8', TZ: 'Europe/Paris', TERM: 'xterm-256color' };

const REQUIRED_KEYS = ['name', 'script', 'cwd', 'args', 'interpreter', 'node_args', 'env', 'instances', 'exec_mode', 'watch', 'namespace', 'autorestart', 'filter_env'];
const OPTIONAL_KEYS = ['out_file', 'error_file', 'log_file', 'merge_logs', 'max_memory_restart', 'max_restarts', 'min_uptime', 'restart_delay', 'kill_timeout', 'time'];

/** pm2's other spellings (lib/API/schema.json, Config.js camelCase): never handed to pm2. */
const FORBIDDEN_KEYS = [
  'exec', 'cmd', 'command', 'exec_interpreter', 'interpreter_args', 'interpreterArgs', 'nodeArgs', 'execMode', 'outFile', 'errorFile',
  'logFile', 'err_file', 'out', 'err', 'output', 'error', 'log', 'mergeLogs', 'maxMemoryRestart', 'maxRestarts', 'minUptime',
  'restartDelay', 'killTimeout', 'filterEnv', 'pid_file', 'pid', 'uid', 'gid', 'user', 'cron_restart', 'cron', 'env_production',
  'static', 'serve', 'logFiles', 'options', 'origin', 'execMode', 'updateEnv', 'force', 'pm_exec_path', 'pm_cwd',
];

test('buildStartConfig: a minimal app, exact config', () => {
  const expected: Pm2StartConfig = {
    name: 'api',
    script: '/home/user/project/apps/api/server.js',
    cwd: '/home/user/project/apps/api',
    args: ['--port', '3000'],
    interpreter: '/usr/bin/node',
    node_args: [],
    env: { ...PASSED, NODE_ENV: 'production', PORT: '3000', PM2_MCP_STARTED: '1' },
    instances: 1,
    exec_mode: 'fork',
    watch: false,
    namespace: 'default',
    autorestart: true,
    filter_env: [''],
  };
  assert.deepEqual(buildStartConfig(app(), SERVER_ENV), expected);
});

test('buildStartConfig: exactly the expected keys, no alias, no camelCase', () => {
  const minimal = buildStartConfig(app(), SERVER_ENV);
  assert.deepEqual(Object.keys(minimal).sort(), [...REQUIRED_KEYS].sort());
  const full = buildStartConfig(app({
    logFiles: { out: '/l/out.log', err: '/l/err.log', combined: '/l/all.log' },
    options: { autorestart: false, merge_logs: true, max_memory_restart: '200M', max_restarts: 3, min_uptime: 1000, restart_delay: 500, kill_timeout: 2000, time: true },
  }), SERVER_ENV);
  assert.deepEqual(Object.keys(full).sort(), [...REQUIRED_KEYS, ...OPTIONAL_KEYS].sort());
  for (const config of [minimal, full]) {
    for (const key of FORBIDDEN_KEYS) assert.ok(!(key in config), `config carries "${key}"`);
    for (const key of Object.keys(config)) assert.ok(!/[A-Z]/.test(key), `camelCase key ${key}`);
  }
});

test('buildStartConfig: filter_env is [""], which removes every server variable in pm2', () => {
  const config = buildStartConfig(app(), SERVER_ENV);
  assert.deepEqual(config.filter_env, ['']);
  // pm2's filter (lib/Common.js) keeps a name only if it includes none of the entries.
  const kept = Object.keys(SERVER_ENV).filter((name) => !config.filter_env.some((f) => name.includes(f)));
  assert.deepEqual(kept, []);
});

test('buildStartConfig: env = pass-through names of the server env + the app env, no secret', () => {
  const cases: { name: string; input: StartApp; serverEnv: Record<string, string | undefined>; expected: Record<string, string> }[] = [
    { name: 'typical', input: app(), serverEnv: SERVER_ENV, expected: { ...PASSED, NODE_ENV: 'production', PORT: '3000' } },
    { name: 'no app env', input: app({ env: {} }), serverEnv: SERVER_ENV, expected: PASSED },
    { name: 'empty server env', input: app(), serverEnv: {}, expected: { NODE_ENV: 'production', PORT: '3000' } },
    { name: 'the app may set a pass-through name', input: app({ env: { PATH: '/opt/app/bin', TZ: 'UTC' } }), serverEnv: SERVER_ENV, expected: { ...PASSED, PATH: '/opt/app/bin', TZ: 'UTC' } },
    { name: 'only secrets in the server env', input: app({ env: {} }), serverEnv: { ...SECRETS }, expected: {} },
    { name: 'an empty pass-through value is kept', input: app({ env: {} }), serverEnv: { LANG: '', HOME: '/h' }, expected: { LANG: '', HOME: '/h' } },
    { name: 'an app secret the request asked for passes (it is the app\'s)', input: app({ env: { API_TOKEN: 'app-own-token' } }), serverEnv: {}, expected: { API_TOKEN: 'app-own-token' } },
  ];
  for (const c of cases) {
    const config = buildStartConfig(c.input, c.serverEnv);
    // Every start carries the marker processes.max counts (src/pm2/agent-started.ts).
    assert.deepEqual(config.env, { ...c.expected, PM2_MCP_STARTED: '1' }, c.name);
    const json = JSON.stringify(config);
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!json.includes(value), `${c.name}: the value of ${name} reached the config`);
      assert.ok(!json.includes(name), `${c.name}: ${name} reached the config`);
    }
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'PM2_HOME', 'PM2_MCP_HOME', 'npm_config_registry', 'SSH_AUTH_SOCK', 'UNSET_ONE']) {
      assert.ok(!(name in config.env), `${c.name}: ${name} passed through`);
    }
  }
});

test('buildStartConfig: optional log files only when set', () => {
  const cases: { name: string; input: StartApp['logFiles']; expected: Partial<Pm2StartConfig> }[] = [
    { name: 'none', input: {}, expected: {} },
    { name: 'out', input: { out: '/l/o.log' }, expected: { out_file: '/l/o.log' } },
    { name: 'err', input: { err: '/l/e.log' }, expected: { error_file: '/l/e.log' } },
    { name: 'combined', input: { combined: '/l/c.log' }, expected: { log_file: '/l/c.log' } },
    { name: 'all', input: { out: '/l/o.log', err: '/l/e.log', combined: '/l/c.log' }, expected: { out_file: '/l/o.log', error_file: '/l/e.log', log_file: '/l/c.log' } },
    { name: 'empty strings are not set', input: { out: '', err: '', combined: '' }, expected: {} },
    { name: 'unknown log keys are not carried', input: { pid: '/etc/passwd' } as unknown as StartApp['logFiles'], expected: {} },
  ];
  for (const c of cases) {
    const config = buildStartConfig(app({ logFiles: c.input }), {});
    const got = Object.fromEntries(Object.entries(config).filter(([k]) => k === 'out_file' || k === 'error_file' || k === 'log_file' || k === 'pid_file'));
    assert.deepEqual(got, c.expected, c.name);
  }
});

test('buildStartConfig: optional options only when set', () => {
  const pickOptional = (config: Pm2StartConfig) => Object.fromEntries(Object.entries(config).filter(([k]) => OPTIONAL_KEYS.includes(k) || k === 'autorestart'));
  const cases: { name: string; input: StartApp['options']; expected: Record<string, unknown> }[] = [
    { name: 'none: autorestart defaults to true', input: {}, expected: { autorestart: true } },
    { name: 'autorestart false', input: { autorestart: false }, expected: { autorestart: false } },
    { name: 'merge_logs false is still set', input: { merge_logs: false }, expected: { autorestart: true, merge_logs: false } },
    { name: 'max_restarts 0 is still set', input: { max_restarts: 0 }, expected: { autorestart: true, max_restarts: 0 } },
    { name: 'time', input: { time: true }, expected: { autorestart: true, time: true } },
    { name: 'max_memory_restart', input: { max_memory_restart: '1G' }, expected: { autorestart: true, max_memory_restart: '1G' } },
    {
      name: 'all',
      input: { autorestart: false, merge_logs: true, max_memory_restart: '200M', max_restarts: 3, min_uptime: 1000, restart_delay: 500, kill_timeout: 2000, time: false },
      expected: { autorestart: false, merge_logs: true, max_memory_restart: '200M', max_restarts: 3, min_uptime: 1000, restart_delay: 500, kill_timeout: 2000, time: false },
    },
    {
      name: 'options pm2 would take but we do not carry',
      input: { cron_restart: '* * * * *', uid: 0, exec: '/bin/sh', exec_interpreter: '/bin/sh', node_args: ['--require', '/tmp/x.js'], pid_file: '/etc/passwd' } as unknown as StartApp['options'],
      expected: { autorestart: true },
    },
  ];
  for (const c of cases) {
    const config = buildStartConfig(app({ options: c.input }), {});
    assert.deepEqual(pickOptional(config), c.expected, c.name);
    assert.deepEqual(Object.keys(config).filter((k) => !REQUIRED_KEYS.includes(k) && !OPTIONAL_KEYS.includes(k)), [], c.name);
  }
});

test('buildStartConfig: an app object carrying extra keys passes none of them', () => {
  const hostile = {
    ...app(),
    exec: '/bin/sh', cmd: 'rm -rf /', command: 'id', exec_interpreter: '/bin/sh', node_args: ['--require', '/tmp/evil.js'],
    interpreter_args: ['-e', 'evil()'], pm_exec_path: '/tmp/evil.js', filter_env: [], env_production: { A: '1' }, pid_file: '/etc/passwd',
  } as unknown as StartApp;
  const config = buildStartConfig(hostile, {});
  assert.deepEqual(Object.keys(config).sort(), [...REQUIRED_KEYS].sort());
  assert.deepEqual(config.node_args, []);
  assert.deepEqual(config.filter_env, ['']);
  assert.equal(config.script, '/home/user/project/apps/api/server.js');
  assert.equal(config.interpreter, '/usr/bin/node');
});

test('buildStartConfig: fields map from the canonical app', () => {
  const config = buildStartConfig(app({
    name: 'web', script: '/srv/web/app.py', cwd: '/srv/web', interpreter: { name: 'python3', path: '/usr/bin/python3.12' },
    interpreterArgs: ['-u'], args: ['a b', '$(id)'], instances: 4, execMode: 'cluster', watch: true, namespace: 'dev',
  }), {});
  assert.deepEqual(
    { name: config.name, script: config.script, cwd: config.cwd, interpreter: config.interpreter, node_args: config.node_args, args: config.args, instances: config.instances, exec_mode: config.exec_mode, watch: config.watch, namespace: config.namespace },
    { name: 'web', script: '/srv/web/app.py', cwd: '/srv/web', interpreter: '/usr/bin/python3.12', node_args: ['-u'], args: ['a b', '$(id)'], instances: 4, exec_mode: 'cluster', watch: true, namespace: 'dev' },
  );
  assert.equal(buildStartConfig(app({ interpreter: { name: 'none', path: 'none' } }), {}).interpreter, 'none');
});

test('buildStartConfig: the config does not share arrays or env with the app', () => {
  const a = app({ interpreterArgs: ['-u'] });
  const config = buildStartConfig(a, {});
  config.args.push('--evil');
  config.node_args.push('--require');
  config.env.INJECTED = 'x';
  assert.deepEqual(a.args, ['--port', '3000']);
  assert.deepEqual(a.interpreterArgs, ['-u']);
  assert.deepEqual(a.env, { NODE_ENV: 'production', PORT: '3000' });
});

test('baseEnv: a table', () => {
  const cases: { name: string; env: Record<string, string | undefined>; names: readonly string[]; expected: Record<string, string> }[] = [
    { name: 'standard names', env: SERVER_ENV, names: PASS_THROUGH, expected: PASSED },
    { name: 'empty env', env: {}, names: PASS_THROUGH, expected: {} },
    { name: 'undefined values skipped', env: { PATH: undefined, HOME: '/h' }, names: PASS_THROUGH, expected: { HOME: '/h' } },
    { name: 'custom names', env: SERVER_ENV, names: ['HOME', 'MISSING'], expected: { HOME: '/home/user' } },
    { name: 'no names', env: SERVER_ENV, names: [], expected: {} },
    { name: 'case matters', env: { path: '/x', Home: '/y' }, names: PASS_THROUGH, expected: {} },
    { name: 'a name listed twice', env: SERVER_ENV, names: ['HOME', 'HOME'], expected: { HOME: '/home/user' } },
    { name: 'names are not patterns', env: SERVER_ENV, names: ['*', 'AWS_*', 'PM2_*'], expected: {} },
  ];
  for (const c of cases) assert.deepEqual(baseEnv(c.env, c.names), c.expected, c.name);
});

test('buildStartConfig: the pass-through list decides which server variables an app inherits', () => {
  const cases: { name: string; passThrough: readonly string[]; expected: Record<string, string> }[] = [
    { name: 'none (readonly preset)', passThrough: [], expected: { NODE_ENV: 'production', PORT: '3000' } },
    { name: 'strict-like', passThrough: ['PATH', 'HOME'], expected: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/user', NODE_ENV: 'production', PORT: '3000' } },
    { name: 'a config that names a secret gets it (the owner asked)', passThrough: ['GITHUB_TOKEN'], expected: { GITHUB_TOKEN: SECRETS.GITHUB_TOKEN!, NODE_ENV: 'production', PORT: '3000' } },
  ];
  for (const c of cases) assert.deepEqual(buildStartConfig(app(), SERVER_ENV, c.passThrough).env, { ...c.expected, PM2_MCP_STARTED: '1' }, c.name);
});

test('the presets pass through no secret-looking or behaviour-changing name', () => {
  const dir = resolve(import.meta.dirname, '..', '..', 'policies');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4, `presets: ${files.join(', ')}`);
  for (const file of files) {
    const preset = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { start?: { env?: { passThrough?: string[] } } };
    const names = preset.start?.env?.passThrough ?? [];
    for (const name of names) {
      assert.ok(!/KEY|TOKEN|SECRET|PASS|AUTH|CRED|SESSION|COOKIE/i.test(name), `${file}: ${name}`);
      assert.ok(!['NODE_OPTIONS', 'NODE_PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'PM2_HOME', 'PM2_MCP_HOME', 'BASH_ENV', 'ENV', 'PYTHONPATH', 'PYTHONSTARTUP', 'PERL5OPT', 'RUBYOPT'].includes(name), `${file}: ${name}`);
      assert.ok(!name.startsWith('npm_') && !name.includes('*'), `${file}: ${name}`);
    }
  }
});
