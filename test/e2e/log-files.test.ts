// Log files as a weapon, and names that are not names (issue classes 5 and 8, THREATS.md 9, 14,
// 15), through the built binary against a real daemon. A project folder with a config that allows
// logs/** and keeps its audit log there too, so only the own-file rule stands between an app and
// the audit log. Canary files outside the project prove nothing was read, emptied or written.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, CLI, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { tailRuns } from '../helpers/tail-runs.js';
import { assertRefused as refused } from '../helpers/fixtures.js';
import { hasMkfifo } from '../helpers/fifo.js';

const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

type Summary = { name: string; pm_id: number; status: string };
interface TailResult { refused_files: Array<{ path: string; reason: string }> }
interface FlushResult { flushed: Array<{ name: string; files: string[] }>; refused_files: Array<{ path: string; reason: string }> }

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}



describe('log files as a weapon, names that are not names', () => {
  let home: string;
  let proj: string;
  let outside: string;
  let s: Session;
  let eco = 0;

  const audit = () => join(proj, 'logs', 'audit.jsonl');
  const list = async (session = s): Promise<Summary[]> => ((await call(session.client, 'pm2_list_processes')).structuredContent as { processes: Summary[] }).processes;
  const names = async (session = s) => (await list(session)).map((p) => p.name);
  /** An ecosystem file in the project (standard allows ./**\/*.json), for the keys the tool has no argument for. */
  const ecosystem = (apps: Array<Record<string, unknown>>): string => {
    const file = `eco-${eco++}.json`;
    writeFileSync(join(proj, file), JSON.stringify({ apps }));
    return file;
  };
  const start = (apps: Array<Record<string, unknown>>, session = s) => call(session.client, 'pm2_start_process', { jsonConfigFile: ecosystem(apps) });
  const tail = async (process: string) => {
    const r = await call(s.client, 'pm2_tail_logs', { process, lines: 50 });
    assert.equal(r.isError, undefined, textOf(r));
    const result = r.structuredContent as unknown as TailResult;
    return { r, result: { ...result, lines: tailRuns(r).flatMap((run) => run.lines.map((text) => ({ text }))) } };
  };

  before(async () => {
    home = await makeTempDir('pm2mcp-lf-');
    proj = realpathSync(await makeTempDir('pm2mcp-lfp-'));
    outside = realpathSync(await makeTempDir('pm2mcp-lfo-'));
    mkdirSync(join(proj, 'logs'));
    writeFileSync(join(proj, 'package.json'), '{ "name": "lf-project", "private": true }\n');
    // One line naming the app, then idle: a tail shows whose file it read.
    writeFileSync(join(proj, 'app.js'), "console.log('APP-LINE ' + (process.argv[2] || ''));\nsetInterval(() => {}, 1 << 30);\n");
    const config = { extends: 'standard', start: { logFiles: ['logs/**'] }, audit: { file: 'logs/audit.jsonl' } };
    writeFileSync(join(proj, 'pm2-mcp.config.json'), JSON.stringify(config, null, 2));
    writeFileSync(join(proj, 'audit-mode.config.json'), JSON.stringify({ ...config, mode: 'audit' }, null, 2));
    s = await connect({ home, cwd: proj });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(proj, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('out_file, error_file or log_file naming the audit log, its lock or the config file is refused, hard', async () => {
    const attempts: Array<[string, string]> = [['out_file', 'logs/audit.jsonl'], ['error_file', 'logs/audit.jsonl.lock'], ['log_file', 'logs/audit.jsonl.1'], ['out_file', 'pm2-mcp.config.json']];
    for (const [key, file] of attempts) {
      const r = await start([{ name: 'w-own', script: 'app.js', [key]: file }]);
      refused(r, /^POLICY_DENIED: Denied by rule logs\.ownFile:/, `${key} = ${file}`);
    }
    assert.ok(!(await names()).includes('w-own'));
  });

  test('even in audit mode: the own-file refusal is not a would_deny', async () => {
    const a = await connect({ home, cwd: proj, args: ['--config', join(proj, 'audit-mode.config.json')] });
    try {
      assert.match(a.stderr(), /\(audit\)/);
      refused(await start([{ name: 'w-own-audit', script: 'app.js', out_file: 'logs/audit.jsonl' }], a), /logs\.ownFile/, 'out_file = audit log in audit mode');
      assert.ok(!(await names(a)).includes('w-own-audit'));
    } finally {
      await a.close();
    }
    // Nothing of an app reached the audit log: every line is a record, and the chain verifies.
    for (const line of readFileSync(audit(), 'utf8').split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
    const verify = await run([CLI, 'audit', 'verify', audit()], proj, cleanEnv({ PM2_MCP_HOME: home }));
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('a FIFO as out_file is refused at once, and the start lock is free for the next start', { skip: !hasMkfifo }, async () => {
    execFileSync('mkfifo', [join(proj, 'logs', 'fifo.log')]);
    refused(await start([{ name: 'w-fifo', script: 'app.js', out_file: 'logs/fifo.log' }]), /^START_REFUSED: .*fifo\.log is a FIFO/, 'a FIFO');
    const next = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'w-after-fifo' });
    assert.equal(next.isError, undefined, textOf(next));
    assert.ok(!(await names()).includes('w-fifo'));
  });

  test('a symbolic link as out_file is refused, even one inside the allowed folder', async () => {
    const canary = join(outside, 'canary-link.txt');
    writeFileSync(canary, 'CANARY-LINK\n');
    symlinkSync(canary, join(proj, 'logs', 'link.log'));
    symlinkSync(join(proj, 'logs', 'app-real.log'), join(proj, 'logs', 'inner-link.log'));
    refused(await start([{ name: 'w-link', script: 'app.js', out_file: 'logs/link.log' }]), /^START_REFUSED: .*link\.log is a symbolic link/, 'a link out');
    refused(await start([{ name: 'w-link2', script: 'app.js', error_file: 'logs/inner-link.log' }]), /^START_REFUSED: .*is a symbolic link/, 'a link inside');
    assert.equal(readFileSync(canary, 'utf8'), 'CANARY-LINK\n');
    assert.ok(!(await names()).some((n) => n.startsWith('w-link')));
  });

  test('a log file allowed at start, then swapped for a link to a canary: tail does not read it, flush does not empty it', async () => {
    const r = await start([{ name: 'w-swap', script: 'app.js', args: ['w-swap'], out_file: 'logs/swap.log' }]);
    assert.equal(r.isError, undefined, textOf(r));
    await waitFor(async () => (await tail('w-swap')).result.lines.some((l) => l.text === 'APP-LINE w-swap'), 'w-swap wrote its line');
    const canary = join(outside, 'canary-swap.txt');
    writeFileSync(canary, 'CANARY-SWAP\n');
    rmSync(join(proj, 'logs', 'swap.log'));
    symlinkSync(canary, join(proj, 'logs', 'swap.log'));

    const t = await tail('w-swap');
    assert.ok(!textOf(t.r).includes('CANARY'), textOf(t.r));
    assert.deepEqual(t.result.refused_files.map((f) => [f.path, f.reason]), [[join(proj, 'logs', 'swap.log'), 'it is a symbolic link']]);
    assert.match(textOf(t.r), /Not read: .*swap\.log: it is a symbolic link/);

    const f = await call(s.client, 'pm2_flush_logs', { process: 'w-swap' });
    assert.equal(f.isError, undefined, textOf(f));
    const flushed = f.structuredContent as unknown as FlushResult;
    assert.deepEqual(flushed.refused_files.map((x) => x.path), [join(proj, 'logs', 'swap.log')]);
    assert.equal(readFileSync(canary, 'utf8'), 'CANARY-SWAP\n');
  });

  test('a log file swapped for a link to the audit log: reload_logs and restart do not make pm2 reopen it', async () => {
    const r = await start([{ name: 'w-reopen', script: 'app.js', args: ['w-reopen'], out_file: 'logs/reopen.log' }]);
    assert.equal(r.isError, undefined, textOf(r));
    await waitFor(async () => (await tail('w-reopen')).result.lines.some((l) => l.text === 'APP-LINE w-reopen'), 'w-reopen wrote its line');
    rmSync(join(proj, 'logs', 'reopen.log'));
    symlinkSync(audit(), join(proj, 'logs', 'reopen.log'));
    const reload = await call(s.client, 'pm2_reload_logs');
    refused(reload, /^LOG_FILE_REFUSED: Nothing was reopened: .*is a symbolic link/, 'reload_logs over a swapped log');
    for (const tool of ['pm2_restart_process', 'pm2_reload_process']) {
      refused(await call(s.client, tool, { process: 'w-reopen' }), /reopen\.log is a symbolic link/, `${tool} over a swapped log`);
    }
    // Stop and delete stay possible: they reopen nothing.
    assert.equal((await call(s.client, 'pm2_delete_process', { process: 'w-reopen' })).isError, undefined);
    rmSync(join(proj, 'logs', 'reopen.log'));
    for (const line of readFileSync(audit(), 'utf8').split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
    const verify = await run([CLI, 'audit', 'verify', audit()], proj, cleanEnv({ PM2_MCP_HOME: home }));
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('a log folder allowed at start, then swapped for a link to a folder outside: neither read nor emptied', async () => {
    mkdirSync(join(proj, 'logs', 'sub'));
    const r = await start([{ name: 'w-dirswap', script: 'app.js', args: ['w-dirswap'], out_file: 'logs/sub/x.log' }]);
    assert.equal(r.isError, undefined, textOf(r));
    await waitFor(async () => (await tail('w-dirswap')).result.lines.some((l) => l.text === 'APP-LINE w-dirswap'), 'w-dirswap wrote its line');
    mkdirSync(join(outside, 'dir'));
    const canary = join(outside, 'dir', 'x.log');
    writeFileSync(canary, 'CANARY-DIR\n');
    renameSync(join(proj, 'logs', 'sub'), join(proj, 'logs', 'sub.old'));
    symlinkSync(join(outside, 'dir'), join(proj, 'logs', 'sub'));

    const t = await tail('w-dirswap');
    assert.ok(!textOf(t.r).includes('CANARY'), textOf(t.r));
    assert.equal(t.result.refused_files.length, 1, textOf(t.r));
    assert.match(t.result.refused_files[0]!.reason, /now leads to/);

    const f = await call(s.client, 'pm2_flush_logs', { process: 'w-dirswap' });
    // Refused by the gate (the file is now outside start.logFiles) or left alone at use time.
    if (!f.isError) assert.equal((f.structuredContent as unknown as FlushResult).refused_files.length, 1, textOf(f));
    assert.equal(readFileSync(canary, 'utf8'), 'CANARY-DIR\n');
  });

  test('api-server cannot share the log files of api_server (pm2 maps "_" to "-")', async () => {
    const cli = await run([PM2_BIN, 'start', join(proj, 'app.js'), '--name', 'api_server', '--', 'api_server'], proj, cleanEnv({ PM2_HOME: home }));
    assert.equal(cli.code, 0, cli.stderr);
    const stored = await waitFor(async () => {
      const r = await call(s.client, 'pm2_describe_process', { process: 'api_server' });
      return r.isError ? undefined : r;
    }, 'api_server listed');
    assert.match(textOf(stored), /api-server-out\.log/, 'pm2 writes api_server to api-server-out.log');

    refused(await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'api-server' }), /^START_REFUSED: the out log .*api-server-out.* of "api-server" would be the out log .*api-server-out\.log of "api_server"/, 'api-server by default paths');
    refused(await start([{ name: 'w-steal', script: 'app.js', out_file: join(home, 'logs', 'api-server-out.log') }]), /^START_REFUSED: .*two processes must not share a log file/, 'naming its file');
    refused(await start([{ name: 'w-steal2', script: 'app.js', out_file: 'logs/shared.log' }, { name: 'w-steal3', script: 'app.js', error_file: 'logs/shared.log' }]), /^START_REFUSED: .*shared\.log/, 'two apps of one file');
    const after = await names();
    for (const n of ['api-server', 'w-steal', 'w-steal2', 'w-steal3']) assert.ok(!after.includes(n), n);

    // Flushing api_server empties its own file only, and tail reads it.
    const f = await call(s.client, 'pm2_flush_logs', { process: 'api_server' });
    assert.equal(f.isError, undefined, textOf(f));
  });

  const BAD_NAMES: Array<[string, string]> = [
    ['ESC', 'w\u001b[31mred'],
    ['U+202E', 'w\u202Egol'],
    ['U+200B', 'w\u200Bx'],
    ['underscore', 'w_x'],
  ];
  for (const [what, name] of BAD_NAMES) {
    test(`a name or namespace with ${what} is refused`, async () => {
      refused(await call(s.client, 'pm2_start_process', { script: 'app.js', name }), /^INVALID_ARGUMENTS: .*name: letters, digits/, `${what} in the name argument`);
      refused(await start([{ name, script: 'app.js' }]), /^START_REFUSED: The process name .* is refused: use only letters/, `${what} in an ecosystem name`);
      refused(await start([{ name: 'w-ns', script: 'app.js', namespace: name }]), /^START_REFUSED: The namespace .* is refused: use only letters/, `${what} in a namespace`);
      assert.ok(!(await names()).some((n) => n === name || n === 'w-ns'));
    });
  }

  test('a start pm2 rejects (spawn E2BIG: args and env over the system\'s limit) is an error with pm2\'s reason', async () => {
    const argMax = Number(execFileSync('getconf', ['ARG_MAX'], { encoding: 'utf8' }).trim());
    const env: Record<string, string> = {};
    for (let i = 0; i < 100; i++) env[`APP_BIG_${i}`] = 'x'.repeat(32_000);
    assert.ok(Object.values(env).join('').length > argMax, `the env (${100 * 32_000} bytes) must exceed ARG_MAX (${argMax}) for this test to mean anything`);
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'w-e2big', env });
    refused(r, /^PM2_ERROR: pm2 could not start w-e2big: spawn E2BIG/, 'an E2BIG start');
    assert.ok(!textOf(r).includes('Started'), textOf(r));
    assert.ok(!(await names()).includes('w-e2big'));
    // The daemon and the start lock are fine afterwards.
    const next = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'w-after-e2big' });
    assert.equal(next.isError, undefined, textOf(next));
  });

  test('the audit log was never anything but the audit log', () => {
    assert.ok(existsSync(audit()));
    assert.ok(!readFileSync(audit(), 'utf8').includes('APP-LINE'));
  });
});
