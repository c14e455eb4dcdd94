// The command line as a user meets it: help, version, bad flags, the note on a terminal, and the
// PM2_HOME fallback told to the client.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, connect, destroyHome, makeTempDir, ROOT, textOf, call } from '../helpers/harness.js';

const run = promisify(execFile);
// From this clone (not under node_modules) the texts name the entry file; the package test
// (test/e2e/package.test.ts) sees `npx pm2-mcp` from an install.
const fromClone = () => `claude mcp add pm2 -- node ${realpathSync(CLI)}`;
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(ROOT, 'package.json'), 'utf8'))) as { version: string };

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pm2-mcp on the command line', () => {
  const cleanup: string[] = [];
  after(async () => {
    for (const dir of cleanup) await destroyHome(dir);
  });

  test('--version prints the package version', async () => {
    assert.deepEqual(await cli(['--version']), { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  test('--help lists every flag with its env twin and how to register the server', async () => {
    const { code, stdout } = await cli(['--help']);
    assert.equal(code, 0);
    for (const text of ['--pm2-home DIR', 'PM2_MCP_HOME', '--no-daemon', 'PM2_MCP_NO_DAEMON', '--transport', 'PM2_MCP_TRANSPORT', fromClone(), 'installed from npm, by `npx pm2-mcp`']) {
      assert.ok(stdout.includes(text), `--help does not mention ${text}`);
    }
  });

  const bad: Array<{ args: string[]; env?: Record<string, string>; message: RegExp }> = [
    { args: ['--bogus'], message: /^pm2-mcp: Unknown option '--bogus'/ },
    { args: ['--transport', 'carrier-pigeon'], message: /--transport must be stdio or http \(got "carrier-pigeon"\)/ },
    { args: ['--transport', 'http', '--port', '70000'], message: /--port must be a port number from 0 to 65535 \(got "70000"\)/ },
    { args: [], env: { PM2_MCP_TRANSPORT: 'http', PM2_MCP_HOST: '0.0.0.0', PM2_MCP_NO_AUTH: 'true' }, message: /--no-auth is refused with --host 0.0.0.0/ },
    { args: ['--host', '0.0.0.0'], message: /--host goes with --transport http/ },
    { args: [], env: { PM2_MCP_NO_DAEMON: 'maybe' }, message: /PM2_MCP_NO_DAEMON must be true or false \(got "maybe"\)/ },
    { args: ['--pm2-home'], message: /--pm2-home/ },
    { args: ['frobnicate'], message: /Unknown command "frobnicate"/ },
  ];
  for (const c of bad) {
    test(`refuses ${[...c.args, ...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`)].join(' ')}: a message, exit 2, no stack`, async () => {
      const { code, stdout, stderr } = await cli(c.args, c.env);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, c.message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace was printed');
    });
  }

  test('on a terminal, it says on stderr that it waits for an MCP client and how to register it', async () => {
    const home = await makeTempDir('pm2mcp-tty-');
    cleanup.push(home);
    // `script` gives the server a terminal on stdin; it exits when script's stdin closes.
    const child = spawn('script', ['-qec', `${process.execPath} ${CLI}`, '/dev/null'], { env: { ...process.env, PM2_MCP_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!out.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.match(out, /waiting for an MCP client/);
    assert.ok(out.includes(fromClone()), `the note does not say ${fromClone()}`);
    assert.ok(out.includes(JSON.stringify({ command: 'node', args: [realpathSync(CLI)] })), 'the Cursor line does not name the entry file');
    assert.match(out, /codex mcp add pm2/);
    assert.match(out, /Cursor/);
  });

  test('an unwritable PM2_HOME falls back to a private folder, said on stderr and to the client', async () => {
    const base = await makeTempDir('pm2mcp-ro-');
    cleanup.push(base);
    writeFileSync(join(base, 'a-file'), '');
    const wanted = join(base, 'a-file', 'pm2'); // can never be created: its parent is a file
    const state = join(base, 'state');
    const s = await connect({ home: wanted, env: { XDG_STATE_HOME: state, XDG_RUNTIME_DIR: '' } });
    try {
      const fallback = join(state, 'pm2-mcp', 'pm2');
      const r = await call(s.client, 'pm2_list_processes');
      assert.equal(r.isError, undefined, textOf(r));
      assert.ok(existsSync(join(fallback, 'rpc.sock')), 'the daemon does not live in the fallback home');
      assert.equal(statSync(fallback).mode & 0o777, 0o700);
      assert.match(s.stderr(), new RegExp(`PM2_HOME ${wanted} \\(from PM2_MCP_HOME\\) cannot be used`));
      assert.match(s.stderr(), /--pm2-home DIR or PM2_MCP_HOME/);
      assert.equal(s.logs.length, 1, 'the client was not told once');
      assert.match(s.logs[0]!, new RegExp(`Using the private folder ${fallback} instead`));
    } finally {
      await s.close();
      await destroyHome(join(state, 'pm2-mcp', 'pm2'));
    }
  });
});
