// The second review's classes through the built binary, against a real daemon, under the
// standard preset with no config (a project folder): canary files prove that no payload ran.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { which } from '../../src/pm2/which.js';

const run = promisify(execFile);
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const PYTHON = which('python3');

describe('the gate, round two, under standard with no config', () => {
  let home: string;
  let project: string;
  let outer: string;
  let s: Session;
  const canary = () => join(outer, 'canary');

  before(async () => {
    home = await makeTempDir('pm2mcp-r2-');
    project = await makeTempDir('pm2mcp-r2p-');
    outer = await makeTempDir('pm2mcp-r2o-');
    writeFileSync(join(project, 'package.json'), '{}\n');
    mkdirSync(join(project, 'tools'));
    writeFileSync(join(project, 'tools', 'hello.py'), 'import time\ntime.sleep(30)\n');
    writeFileSync(join(project, 'app.js'), 'setInterval(() => {}, 1 << 30);\n');
    const payload = `require('fs').appendFileSync(${JSON.stringify(canary())}, 'ran\\n'); setInterval(() => {}, 1 << 30);\n`;
    mkdirSync(join(project, 'node_modules', 'dep', 'bin'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'dep', 'bin', 'cli.js'), payload);
    mkdirSync(join(project, '.hidden'));
    writeFileSync(join(project, '.hidden', 'x.js'), payload);
    mkdirSync(join(project, 'a', '.cache'), { recursive: true });
    writeFileSync(join(project, 'a', '.cache', 'y.js'), payload);
    writeFileSync(join(outer, 'evil.js'), payload);
    s = await connect({ home, cwd: project });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(project, { recursive: true, force: true });
    await rm(outer, { recursive: true, force: true });
  });

  test('PYTHONWARNINGS + BROWSER (the review\'s payload) is refused; nothing ran', { skip: PYTHON === undefined && 'no python3' }, async () => {
    const r = await call(s.client, 'pm2_start_process', {
      script: 'tools/hello.py',
      env: { PYTHONWARNINGS: 'all:0:antigravity.x:0:0', BROWSER: `/bin/sh -c 'touch ${canary()}' #%s` },
    });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /rule start\.env\.family\.(python|hooks)/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(existsSync(canary()), false);
  });

  test('each family alone is refused: NODE_OPTIONS, LD_PRELOAD, PROCESS_TITLE, GIT_SSH_COMMAND, npm_config_*', async () => {
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'PROCESS_TITLE', 'GIT_SSH_COMMAND', 'npm_config_script_shell', 'BASH_ENV', 'PATH']) {
      const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'fam', env: { [name]: `${outer}/x` } });
      assert.equal(r.isError, true, `${name}: ${textOf(r)}`);
      assert.match(textOf(r), /rule start\.env\.family\./, name);
    }
  });

  test('names of command shapes are refused too: TAR_OPTIONS would make the owner\'s tar call run a command', async () => {
    writeFileSync(join(project, 'tools', 'backup.sh'), `#!/bin/sh\ntar -cf /dev/null package.json\nsleep 30\n`);
    const r = await call(s.client, 'pm2_start_process', { script: 'tools/backup.sh', name: 'backup', env: { TAR_OPTIONS: `--checkpoint=1 --checkpoint-action=exec=touch\\ ${canary()}` } });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /rule start\.env\.family\.command-shapes/);
    for (const name of ['RSYNC_RSH', 'SVN_SSH', 'GUNICORN_CMD_ARGS', 'DJANGO_SETTINGS_MODULE', 'LUA_INIT', 'RUSTC_WRAPPER', 'IPYTHONDIR', 'TMP', '_PYENV_SHIM_PATHS_PYTHON3', 'RM', 'GNUMAKEFLAGS', 'MAKEFILES', 'ZIPOPT', 'LDSHARED']) {
      const x = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'shape', env: { [name]: '/bin/true' } });
      assert.match(textOf(x), /rule start\.env\.family\./, name);
    }
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(existsSync(canary()), false);
  });

  test('pm2-mcp itself: an agent never starts one, and one its owner started is never a target', async () => {
    const cli = join(ROOT, 'dist', 'cli.js');
    const r = await call(s.client, 'pm2_start_process', { script: cli, name: 'evilsrv', args: ['--transport', 'http', '--port', '0', '--no-auth'] });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /rule processes\.server/);
    // The owner starts one with the pm2 CLI, from the project (in scope under standard by its cwd).
    await run(process.execPath, [PM2_BIN, 'start', cli, '--name', 'owner-mcp', '--cwd', project, '--', '--transport', 'http', '--port', '0'], { env: { ...process.env, PM2_HOME: home, PM2_MCP_HOME: home, PM2_MCP_TOKEN: 'x'.repeat(40) }, timeout: 30_000 });
    for (const tool of ['pm2_stop_process', 'pm2_restart_process', 'pm2_delete_process']) {
      const x = await call(s.client, tool, { process: 'owner-mcp' });
      assert.equal(x.isError, true, `${tool}: ${textOf(x)}`);
      assert.match(textOf(x), /rule processes\.server/, tool);
    }
    await run(process.execPath, [PM2_BIN, 'delete', 'owner-mcp'], { env: { ...process.env, PM2_HOME: home }, timeout: 30_000 });
    // Started through something else (a shell script, as `pm2 start npm -- run mcp` does): pm2's
    // process is the shell; the server, its child, registers the pm_id pm2 handed down.
    writeFileSync(join(project, 'serve-mcp.sh'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" --transport http --port 0\n`);
    await run(process.execPath, [PM2_BIN, 'start', join(project, 'serve-mcp.sh'), '--name', 'wrapped-mcp', '--interpreter', 'sh', '--cwd', project], { env: { ...process.env, PM2_HOME: home, PM2_MCP_HOME: home, PM2_MCP_TOKEN: 'y'.repeat(40) }, timeout: 30_000 });
    const jlist = await run(process.execPath, [PM2_BIN, 'jlist'], { env: { ...process.env, PM2_HOME: home }, timeout: 30_000 });
    const wrappedId = (JSON.parse(jlist.stdout) as Array<{ name: string; pm_id: number }>).find((p) => p.name === 'wrapped-mcp')!.pm_id;
    const entry = join(home, 'pm2-mcp', 'servers', String(wrappedId));
    await waitFor(() => existsSync(entry) || undefined, 'the wrapped server registered under its pm_id', 20_000);
    // The registry is read at most every 500 ms: let the agent's server see the new entry.
    await new Promise((res) => setTimeout(res, 700));
    for (const tool of ['pm2_stop_process', 'pm2_restart_process', 'pm2_delete_process']) {
      const x = await call(s.client, tool, { process: 'wrapped-mcp' });
      assert.match(textOf(x), /rule processes\.server/, `${tool}: ${textOf(x)}`);
    }
    await run(process.execPath, [PM2_BIN, 'delete', 'wrapped-mcp'], { env: { ...process.env, PM2_HOME: home }, timeout: 30_000 });
  });

  test('python3 over a .js file is refused: the interpreter must fit the script', { skip: PYTHON === undefined && 'no python3' }, async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'misfit', interpreter: 'python3' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /rule start\.interpreters\.fit/);
  });

  test('scripts in node_modules and in dot folders at any depth are excluded; nothing ran', async () => {
    for (const script of ['node_modules/dep/bin/cli.js', '.hidden/x.js', 'a/.cache/y.js']) {
      const r = await call(s.client, 'pm2_start_process', { script, name: 'excluded' });
      assert.equal(r.isError, true, `${script}: ${textOf(r)}`);
      assert.match(textOf(r), /rule start\.scriptsExclude/, script);
    }
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(existsSync(canary()), false);
  });

  test('a YAML alias bomb is refused at once; the audit record stays small and a new server on this home answers fast', async () => {
    // 9 levels of 9 aliases: 9^9 copies of the base once expanded.
    const lines = ['base: &l0 "' + 'x'.repeat(8000) + '"'];
    for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
    lines.push('apps:', '  - name: bomb', '    script: app.js', '    args: *l9');
    writeFileSync(join(project, 'bomb.yaml'), `${lines.join('\n')}\n`);
    const before = Date.now();
    const r = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'bomb.yaml' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^START_REFUSED: /);
    assert.ok(Date.now() - before < 5_000, `took ${Date.now() - before} ms`);
    const auditFile = join(home, 'pm2-mcp', 'audit.jsonl');
    const longest = Math.max(...readFileSync(auditFile, 'utf8').split('\n').map((l) => l.length));
    assert.ok(longest < 200_000, `an audit record of ${longest} characters`);
    const other = await connect({ home, cwd: project });
    try {
      const t = Date.now();
      const list = await call(other.client, 'pm2_list_processes');
      assert.equal(list.isError, undefined, textOf(list));
      assert.ok(Date.now() - t < 5_000, `the first call of a new server took ${Date.now() - t} ms`);
    } finally {
      await other.close();
    }
  });

  test('a NUL byte in an ecosystem value is refused, as in the arguments', async () => {
    writeFileSync(join(project, 'nul.json'), JSON.stringify({ apps: [{ name: 'nul', script: 'app.js', args: ['a\u0000b'] }] }));
    const r = await call(s.client, 'pm2_start_process', { jsonConfigFile: 'nul.json' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /NUL/);
  });

  test('a .ts script with node is refused: pm2 would load ts-node found from the cwd upward; nothing ran', async () => {
    // A ts-node where pm2's require.resolve from the cwd would find it (above the root works the same).
    mkdirSync(join(project, 'node_modules', 'ts-node'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'ts-node', 'register.js'), `require('fs').writeFileSync(${JSON.stringify(canary())}, 'ts-node ran');\n`);
    writeFileSync(join(project, 'node_modules', 'ts-node', 'package.json'), '{ "name": "ts-node", "main": "register.js" }\n');
    writeFileSync(join(project, 'app.ts'), 'const x: number = 1;\nsetInterval(() => {}, 1 << 30);\n');
    const r = await call(s.client, 'pm2_start_process', { script: 'app.ts', name: 'ts-app', interpreter: 'node' });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /rule start\.interpreters\.fit/);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(existsSync(canary()), false);
  });

  test('`pm2-mcp audit tail` prints control and bidi characters escaped', async () => {
    await call(s.client, 'pm2_stop_process', { process: 'evil\u001b[2J\u202Ename\u200B' });
    const out = await run(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'audit', 'tail', '-n', '5'], { cwd: project, env: { ...process.env, PM2_MCP_HOME: home, PM2_HOME: home } });
    assert.ok(![...out.stdout].some((c) => c === '\u001b' || c === '\u202e' || c === '\u200b'), JSON.stringify(out.stdout));
    assert.match(out.stdout, /\\u001b/);
  });

  test('a tool the server does not have is refused and recorded', async () => {
    await assert.rejects(call(s.client, 'pm2_exec', { command: 'id' }), /Unknown tool/);
  });

  test('a restart is a start of the stored config: a process in the root whose script lies outside it is not restarted', async () => {
    // Started by someone else (the pm2 CLI) with its cwd in the root: in scope under standard.
    await run(process.execPath, [PM2_BIN, 'start', join(outer, 'evil.js'), '--name', 'stowaway', '--cwd', project], { env: { ...process.env, PM2_HOME: home }, timeout: 30_000 });
    await waitFor(() => (existsSync(canary()) ? readFileSync(canary(), 'utf8').split('\n').filter(Boolean).length : undefined), 'the first run');
    const before = readFileSync(canary(), 'utf8');
    for (const tool of ['pm2_restart_process', 'pm2_reload_process']) {
      const r = await call(s.client, tool, { process: 'stowaway' });
      assert.equal(r.isError, true, `${tool}: ${textOf(r)}`);
      assert.match(textOf(r), /stored config of stowaway/);
    }
    await new Promise((res) => setTimeout(res, 800));
    assert.equal(readFileSync(canary(), 'utf8'), before, 'the script ran again');
    // Stop is not a start: it stays allowed for a process in scope.
    const stop = await call(s.client, 'pm2_stop_process', { process: 'stowaway' });
    assert.equal(stop.isError, undefined, textOf(stop));
  });

  test('processes.max: the agent\'s starts stop at the cap (20 under standard)', async () => {
    const names: string[] = [];
    let refused: string | undefined;
    for (let i = 0; i < 22 && refused === undefined; i++) {
      const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: `cap-${i}` });
      if (r.isError) refused = textOf(r);
      else names.push(`cap-${i}`);
    }
    assert.equal(names.length, 20, refused);
    assert.match(refused ?? '', /rule processes\.max/);
    // A delete frees a slot.
    const del = await call(s.client, 'pm2_delete_process', { process: names[0]! });
    assert.equal(del.isError, undefined, textOf(del));
    const again = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'cap-again' });
    assert.equal(again.isError, undefined, textOf(again));
  });
});
