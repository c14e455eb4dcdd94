// `pm2-mcp doctor` from the built binary: one line per check, ✓ ! ✗, exit 1 on a ✗ only, and
// nothing changed (no daemon started, no file written). Each case has a project folder (a
// repository with its config) and a PM2_HOME of its own, and a HOME of its own so that the
// user's Claude Code settings play no part.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, destroyHome, makeTempDir, ROOT } from '../helpers/harness.js';

const run = promisify(execFile);
const PM2_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')) as { version: string }).version;

interface Setup {
  project: string;
  home: string;
  userHome: string;
  config: string;
}

const made: string[] = [];
after(async () => {
  for (const dir of made) await destroyHome(dir);
});

/** `claudeDeny`: the deny rules of the project's .claude/settings.json; null: no such file. */
async function setup(config: unknown = { extends: 'strict' }, claudeDeny: string[] | null = ['Edit(pm2-mcp.config.json)']): Promise<Setup> {
  const project = await makeTempDir('pm2-mcp-doc-');
  const home = await makeTempDir('pm2-mcp-doh-');
  const userHome = await makeTempDir('pm2-mcp-dou-');
  made.push(project, home, userHome);
  mkdirSync(join(project, '.git'));
  const file = join(project, 'pm2-mcp.config.json');
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  if (claudeDeny) {
    mkdirSync(join(project, '.claude'));
    writeFileSync(join(project, '.claude', 'settings.json'), JSON.stringify({ permissions: { deny: claudeDeny } }));
  }
  return { project, home, userHome, config: file };
}

async function doctor(s: Setup, env: Record<string, string> = {}): Promise<{ code: number; lines: string[]; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) base[k] = v;
  const options = { cwd: s.project, env: { ...base, HOME: s.userHome, PM2_MCP_HOME: s.home, ...env }, timeout: 10_000 };
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'doctor'], options);
    return { code: 0, lines: stdout.trimEnd().split('\n'), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, lines: e.stdout.trimEnd().split('\n'), stderr: e.stderr };
  }
}

const line = (lines: string[], what: string) => {
  const found = lines.find((l) => l.slice(2).startsWith(`${what}:`));
  assert.ok(found, `no "${what}" line in:\n${lines.join('\n')}`);
  return found;
};

/** Every file and folder under `dir`, for "nothing was written". */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('pm2-mcp doctor', () => {
  test('a healthy setup: every line ✓, exit 0, and nothing written', async () => {
    const s = await setup();
    const before = { home: tree(s.home), project: tree(s.project) };
    const { code, lines, stderr } = await doctor(s, { PM2_MCP_TOKEN: 'not-printed-secret-value' });
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(stderr, '');
    const checks = lines.slice(0, -1);
    for (const l of checks) assert.match(l, /^✓ /, l);
    for (const what of ['node', 'pm2', 'PM2_HOME', 'daemon', 'config', 'audit log', 'HTTP token', 'config edits', 'script edits']) line(checks, what);
    assert.match(line(lines, 'config'), new RegExp(`${s.config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is valid \\(preset strict`));
    assert.match(line(lines, 'config edits'), /\.claude\/settings\.json denies Edit\(pm2-mcp\.config\.json\)/);
    assert.match(line(lines, 'HTTP token'), /PM2_MCP_TOKEN is set/);
    assert.ok(!lines.join('\n').includes('not-printed-secret-value'), 'the token is never printed');
    assert.equal(lines.at(-1), '0 problems (✗), 0 warnings (!)');
    assert.deepEqual({ home: tree(s.home), project: tree(s.project) }, before, 'doctor wrote nothing');
  });

  test('a PM2_HOME of mode 0777 is ✗ and exits 1', async () => {
    const s = await setup();
    chmodSync(s.home, 0o777);
    const { code, lines } = await doctor(s);
    assert.equal(code, 1);
    assert.match(line(lines, 'PM2_HOME'), /^✗ PM2_HOME: .* has mode 777, writable by other users: .*chmod 700/);
  });

  test('a PM2_HOME readable by others is a warning only', async () => {
    const s = await setup();
    chmodSync(s.home, 0o755);
    const { code, lines } = await doctor(s);
    assert.equal(code, 0);
    assert.match(line(lines, 'PM2_HOME'), /^! PM2_HOME: .* mode 755, readable by other users/);
  });

  test('an invalid config is ✗ naming the file and the problem', async () => {
    const s = await setup({ extends: 'strict', tools: { pm2_bogus: 'allow' } });
    const { code, lines } = await doctor(s);
    assert.equal(code, 1);
    const l = line(lines, 'config');
    assert.match(l, /^✗ config: /);
    assert.ok(l.includes(s.config), l);
    assert.match(lines.join('\n'), /pm2_bogus/);
    assert.match(lines.at(-1)!, /^1 problem \(✗\)/);
  });

  test('a config the agent can edit with no Claude Code deny rule is a warning (!), exit 0', async () => {
    const s = await setup({ extends: 'strict' }, null);
    const { code, lines } = await doctor(s);
    assert.equal(code, 0);
    const l = line(lines, 'config edits');
    assert.match(l, /^! config edits: pm2-mcp\.config\.json can be edited by the agent, and no Claude Code permissions\.deny rule covers it/);
    assert.match(l, /Add "Edit\(pm2-mcp\.config\.json\)" to permissions\.deny in .*\.claude\/settings\.json/);
    // No token while serving stdio is a warning too.
    assert.match(line(lines, 'HTTP token'), /^! HTTP token: none/);
  });

  test('a deny rule over another file does not count, and scripts the agent can edit are named', async () => {
    const s = await setup({ extends: 'strict', tools: { pm2_start_process: 'allow' }, start: { scripts: ['apps/*.js'] } }, ['Edit(other.json)', 'Edit(apps/guarded.js)']);
    mkdirSync(join(s.project, 'apps'));
    writeFileSync(join(s.project, 'apps', 'api.js'), '');
    writeFileSync(join(s.project, 'apps', 'guarded.js'), '');
    const { code, lines } = await doctor(s);
    assert.equal(code, 0);
    assert.match(line(lines, 'config edits'), /^! /);
    assert.match(line(lines, 'script edits'), /^! script edits: 1 of the 2 files .*\(apps\/api\.js\).*"Edit\(apps\/api\.js\)"/);
  });

  test('a broken audit log is ✗', async () => {
    const s = await setup();
    mkdirSync(join(s.home, 'pm2-mcp'), { mode: 0o700 });
    writeFileSync(join(s.home, 'pm2-mcp', 'audit.jsonl'), 'not a record\n');
    const { code, lines } = await doctor(s);
    assert.equal(code, 1);
    assert.match(line(lines, 'audit log'), /^✗ audit log: .*the chain is broken at .* line 1/);
  });

  test('a running daemon is reached and its version compared, without starting one', async () => {
    const s = await setup();
    const noDaemon = await doctor(s);
    assert.match(line(noDaemon.lines, 'daemon'), /^✓ daemon: none runs for /);
    assert.deepEqual(tree(s.home), [], 'no daemon was started');
    // A daemon started through pm2's API, in a process of its own (pm2 reads PM2_HOME as it loads).
    const start = "const pm2 = require('pm2'); pm2.connect((err) => { if (err) { console.error(err); process.exit(1); } pm2.disconnect(); });";
    await run(process.execPath, ['-e', start], { cwd: ROOT, env: { ...process.env, PM2_HOME: s.home }, timeout: 20_000 });
    const { code, lines } = await doctor(s);
    assert.equal(code, 0, lines.join('\n'));
    assert.match(line(lines, 'daemon'), new RegExp(`^✓ daemon: pid \\d+ answers on .*rpc\\.sock, pm2 ${PM2_VERSION.replace(/\./g, '\\.')} like the package`));
  });

  test('a daemon of another pm2 version is ✗', async () => {
    const s = await setup();
    // A stand-in daemon: pm2's own RPC server on the home's rpc.sock, answering getVersion.
    const require = createRequire(join(ROOT, 'node_modules', 'pm2', 'package.json'));
    const axon = require('./modules/pm2-axon') as { socket(type: string): { bind(path: string): void; once(event: string, fn: () => void): void; close(): void } };
    const rpc = require('./modules/pm2-axon-rpc') as { Server: new (sock: unknown) => { expose(name: string, fn: (arg: unknown, cb: (err: null, v: string) => void) => void): void } };
    const rep = axon.socket('rep');
    new rpc.Server(rep).expose('getVersion', (_arg, cb) => cb(null, '5.3.1'));
    // axon drops bind's callback for a unix socket path: its 'bind' event says it listens.
    const bound = new Promise<void>((resolve) => rep.once('bind', resolve));
    rep.bind(join(s.home, 'rpc.sock'));
    await bound;
    try {
      const { code, lines } = await doctor(s);
      assert.equal(code, 1);
      assert.match(line(lines, 'daemon'), new RegExp(`^✗ daemon: .* runs pm2 5\\.3\\.1, and the package is ${PM2_VERSION.replace(/\./g, '\\.')}`));
    } finally {
      rep.close();
    }
  });
});
