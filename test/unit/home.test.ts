import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { choosePm2Home, describeFallback, unwritableReason, wantedHome, type HomeChoice, type HomeInputs } from '../../src/home.js';

const IS_ROOT = process.getuid?.() === 0;
let dir = '';
let counter = 0;
/** A regular file: nothing can ever be created under it. */
let aFile = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm2-mcp-home-'));
  aFile = join(dir, 'afile');
  writeFileSync(aFile, 'not a folder');
});

after(async () => {
  if (dir) {
    // Undo restrictive modes so that rm can walk everything.
    const walk = (p: string): void => {
      try {
        if (statSync(p).isDirectory()) {
          chmodSync(p, 0o700);
          for (const e of readdirSync(p)) walk(join(p, e));
        }
      } catch {
        // gone already
      }
    };
    walk(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

/** A fresh, empty folder under the test's temp dir. */
function fresh(name = 'd'): string {
  const p = join(dir, `${name}${counter++}`);
  mkdirSync(p, { mode: 0o700 });
  chmodSync(p, 0o700);
  return p;
}

const mode = (p: string): number => statSync(p).mode & 0o777;

test('wantedHome: precedence --pm2-home, PM2_MCP_HOME, PM2_HOME, then ~/.pm2', () => {
  const cases: { name: string; input: HomeInputs; expected: ReturnType<typeof wantedHome> }[] = [
    { name: 'flag beats everything', input: { flag: '/flag/home', env: { PM2_MCP_HOME: '/mcp', PM2_HOME: '/pm2' }, homeDir: '/home/u' }, expected: { home: '/flag/home', source: '--pm2-home' } },
    { name: 'PM2_MCP_HOME beats PM2_HOME', input: { env: { PM2_MCP_HOME: '/mcp', PM2_HOME: '/pm2' }, homeDir: '/home/u' }, expected: { home: '/mcp', source: 'PM2_MCP_HOME' } },
    { name: 'PM2_HOME', input: { env: { PM2_HOME: '/pm2' }, homeDir: '/home/u' }, expected: { home: '/pm2', source: 'PM2_HOME' } },
    { name: 'default from homeDir', input: { env: {}, homeDir: '/home/u' }, expected: { home: '/home/u/.pm2', source: 'default' } },
    { name: 'empty flag is no flag', input: { flag: '', env: { PM2_HOME: '/pm2' }, homeDir: '/home/u' }, expected: { home: '/pm2', source: 'PM2_HOME' } },
    { name: 'undefined flag is no flag', input: { flag: undefined, env: { PM2_MCP_HOME: '/mcp' }, homeDir: '/home/u' }, expected: { home: '/mcp', source: 'PM2_MCP_HOME' } },
    { name: 'empty PM2_MCP_HOME is unset', input: { env: { PM2_MCP_HOME: '', PM2_HOME: '/pm2' }, homeDir: '/home/u' }, expected: { home: '/pm2', source: 'PM2_HOME' } },
    { name: 'empty PM2_HOME is unset', input: { env: { PM2_HOME: '' }, homeDir: '/home/u' }, expected: { home: '/home/u/.pm2', source: 'default' } },
    { name: 'relative flag resolved against the cwd', input: { flag: 'rel/home', env: {}, homeDir: '/home/u' }, expected: { home: resolve('rel/home'), source: '--pm2-home' } },
    { name: 'relative env resolved against the cwd', input: { env: { PM2_MCP_HOME: './h' }, homeDir: '/home/u' }, expected: { home: resolve('h'), source: 'PM2_MCP_HOME' } },
    { name: 'dot-dot and trailing slash normalised', input: { flag: '/a/b/../c/', env: {}, homeDir: '/home/u' }, expected: { home: '/a/c', source: '--pm2-home' } },
  ];
  for (const c of cases) assert.deepEqual(wantedHome(c.input), c.expected, c.name);
});

test('unwritableReason: a table', () => {
  const writable = fresh();
  const cases: { name: string; input: string; expected: string | undefined }[] = [
    { name: 'an existing writable folder', input: writable, expected: undefined },
    { name: 'a missing folder under a writable one', input: join(writable, 'new'), expected: undefined },
    { name: 'a deep missing folder under a writable one', input: join(writable, 'a', 'b', 'c'), expected: undefined },
    { name: 'a regular file', input: aFile, expected: `${aFile} is not a folder` },
  ];
  for (const c of cases) assert.equal(unwritableReason(c.input), c.expected, c.name);
});

test('unwritableReason: a path under a regular file can never be a home', () => {
  const reason = unwritableReason(join(aFile, 'home'));
  assert.equal(typeof reason, 'string');
  assert.ok(reason?.startsWith(aFile), reason);
});

test('unwritableReason: a path under a regular file blames that file', () => {
  assert.equal(unwritableReason(join(aFile, 'home')), `${aFile} is not a folder`);
});

test('unwritableReason: a read-only folder (mode 0500)', { skip: IS_ROOT ? 'root ignores modes in access()' : false }, () => {
  const ro = fresh('ro');
  chmodSync(ro, 0o500);
  assert.equal(unwritableReason(ro), `${ro} is not writable (EACCES)`);
  assert.equal(unwritableReason(join(ro, 'home')), `${ro} is not writable (EACCES)`);
});

test('choosePm2Home: a usable wanted home is used as it is', () => {
  const home = fresh('home');
  const parent = fresh('parent');
  const cases: { name: string; input: HomeInputs; expected: HomeChoice }[] = [
    { name: 'existing 0700 folder from the flag', input: { flag: home, env: {}, homeDir: dir, tmpDir: dir }, expected: { home, source: '--pm2-home' } },
    { name: 'missing folder from PM2_MCP_HOME', input: { env: { PM2_MCP_HOME: join(parent, 'h') }, homeDir: dir, tmpDir: dir }, expected: { home: join(parent, 'h'), source: 'PM2_MCP_HOME' } },
    { name: 'PM2_HOME', input: { env: { PM2_HOME: home }, homeDir: dir, tmpDir: dir }, expected: { home, source: 'PM2_HOME' } },
    { name: 'default ~/.pm2', input: { env: {}, homeDir: parent, tmpDir: dir }, expected: { home: join(parent, '.pm2'), source: 'default' } },
  ];
  for (const c of cases) {
    const choice = choosePm2Home(c.input);
    assert.deepEqual(choice, c.expected, c.name);
    assert.equal(describeFallback(choice), undefined, c.name);
  }
});

test('choosePm2Home: a home others can write to is flagged as exposed', () => {
  for (const m of [0o777, 0o770, 0o702]) {
    const home = fresh('open');
    chmodSync(home, m);
    const choice = choosePm2Home({ flag: home, env: {}, homeDir: dir, tmpDir: dir });
    assert.deepEqual(choice, {
      home,
      source: '--pm2-home',
      exposure: `${home} is writable by other users (mode ${m.toString(8)}); keep PM2_HOME at 0700`,
    }, m.toString(8));
  }
});

test('choosePm2Home: a home owned by another user is flagged as exposed', { skip: IS_ROOT ? false : 'needs root to chown' }, () => {
  const home = fresh('theirs');
  chownSync(home, 4242, 4242);
  const choice = choosePm2Home({ flag: home, env: {}, homeDir: dir, tmpDir: dir });
  assert.deepEqual(choice, { home, source: '--pm2-home', exposure: `${home} belongs to another user (uid 4242)` });
});

test('choosePm2Home: an unusable home falls back to XDG_RUNTIME_DIR/pm2-mcp, private', () => {
  const run = fresh('run');
  const wanted = join(aFile, 'home');
  const reason = unwritableReason(wanted);
  const choice = choosePm2Home({ flag: wanted, env: { XDG_RUNTIME_DIR: run, XDG_STATE_HOME: fresh('state') }, homeDir: fresh('h'), tmpDir: dir });
  assert.deepEqual(choice, { home: join(run, 'pm2-mcp'), source: '--pm2-home', fallback: { wanted, reason } });
  assert.equal(mode(choice.home), 0o700);
  assert.equal(statSync(choice.home).isDirectory(), true);
});

test('choosePm2Home: falls back to XDG_STATE_HOME/pm2-mcp/pm2 when there is no runtime dir', () => {
  const state = fresh('state');
  const choice = choosePm2Home({ env: { PM2_MCP_HOME: aFile, XDG_STATE_HOME: state }, homeDir: fresh('h'), tmpDir: dir });
  assert.deepEqual(choice, { home: join(state, 'pm2-mcp', 'pm2'), source: 'PM2_MCP_HOME', fallback: { wanted: aFile, reason: `${aFile} is not a folder` } });
  assert.equal(mode(choice.home), 0o700);
});

test('choosePm2Home: without XDG variables, falls back to <homeDir>/.local/state/pm2-mcp/pm2', () => {
  const home = fresh('h');
  const choice = choosePm2Home({ env: { PM2_HOME: aFile }, homeDir: home, tmpDir: dir });
  assert.deepEqual(choice, { home: join(home, '.local', 'state', 'pm2-mcp', 'pm2'), source: 'PM2_HOME', fallback: { wanted: aFile, reason: `${aFile} is not a folder` } });
  assert.equal(mode(choice.home), 0o700);
});

test('choosePm2Home: fallback candidates that are not private are skipped', () => {
  // XDG_RUNTIME_DIR/pm2-mcp exists but is readable by others: skipped for XDG_STATE_HOME.
  const run = fresh('run');
  mkdirSync(join(run, 'pm2-mcp'));
  chmodSync(join(run, 'pm2-mcp'), 0o755);
  const state = fresh('state');
  const choice = choosePm2Home({ flag: aFile, env: { XDG_RUNTIME_DIR: run, XDG_STATE_HOME: state }, homeDir: fresh('h'), tmpDir: dir });
  assert.equal(choice.home, join(state, 'pm2-mcp', 'pm2'));
  assert.equal(mode(join(run, 'pm2-mcp')), 0o755, 'the existing folder was changed');
  // XDG_RUNTIME_DIR under a file: skipped too.
  const state2 = fresh('state');
  const choice2 = choosePm2Home({ flag: aFile, env: { XDG_RUNTIME_DIR: join(aFile, 'run'), XDG_STATE_HOME: state2 }, homeDir: fresh('h'), tmpDir: dir });
  assert.equal(choice2.home, join(state2, 'pm2-mcp', 'pm2'));
});

test('choosePm2Home: a candidate owned by another user is skipped', { skip: IS_ROOT ? false : 'needs root to chown' }, () => {
  const run = fresh('run');
  mkdirSync(join(run, 'pm2-mcp'), { mode: 0o700 });
  chownSync(join(run, 'pm2-mcp'), 4242, 4242);
  const state = fresh('state');
  const choice = choosePm2Home({ flag: aFile, env: { XDG_RUNTIME_DIR: run, XDG_STATE_HOME: state }, homeDir: fresh('h'), tmpDir: dir });
  assert.equal(choice.home, join(state, 'pm2-mcp', 'pm2'));
});

test('choosePm2Home: the last resort is a fresh mkdtemp folder in tmpDir, 0700, not a fixed name', () => {
  const tmp = fresh('tmp');
  const inputs: HomeInputs = { flag: join(aFile, 'home'), env: { XDG_RUNTIME_DIR: join(aFile, 'run'), XDG_STATE_HOME: join(aFile, 'state') }, homeDir: aFile, tmpDir: tmp };
  const first = choosePm2Home(inputs);
  const second = choosePm2Home(inputs);
  const user = userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_') || 'user';
  for (const choice of [first, second]) {
    assert.equal(dirname(choice.home), tmp);
    assert.match(basename(choice.home), new RegExp(`^pm2-mcp-${user.replace(/[.]/g, '\\.')}-[A-Za-z0-9]{6}$`));
    assert.equal(mode(choice.home), 0o700);
    assert.equal(choice.source, '--pm2-home');
    assert.deepEqual(choice.fallback, { wanted: join(aFile, 'home'), reason: unwritableReason(join(aFile, 'home')) });
    assert.equal(choice.exposure, undefined);
  }
  assert.notEqual(first.home, second.home, 'the fallback name is fixed: another user could create it first');
});

test('describeFallback: names the wanted home, the reason, the home used and how to choose', () => {
  const choice: HomeChoice = { home: '/run/user/1000/pm2-mcp', source: 'PM2_HOME', fallback: { wanted: '/srv/pm2', reason: '/srv is not writable (EACCES)' } };
  assert.equal(
    describeFallback(choice),
    'PM2_HOME /srv/pm2 (from PM2_HOME) cannot be used: /srv is not writable (EACCES). ' +
      'Using the private folder /run/user/1000/pm2-mcp instead; processes started here are not those of `pm2 ls`. ' +
      'Choose another home with --pm2-home DIR or PM2_MCP_HOME.',
  );
  assert.equal(describeFallback({ home: '/x', source: 'default' }), undefined);
  assert.equal(describeFallback({ home: '/x', source: 'default', exposure: '/x is writable by other users (mode 777); keep PM2_HOME at 0700' }), undefined);
});

test('describeFallback: on a real fallback', () => {
  const run = fresh('run');
  const wanted = join(aFile, 'home');
  const choice = choosePm2Home({ flag: wanted, env: { XDG_RUNTIME_DIR: run }, homeDir: dir, tmpDir: dir });
  const text = describeFallback(choice) ?? '';
  for (const piece of [wanted, unwritableReason(wanted) ?? '<no reason>', join(run, 'pm2-mcp'), '(from --pm2-home)', '--pm2-home DIR', 'PM2_MCP_HOME']) {
    assert.ok(text.includes(piece), `${JSON.stringify(text)} lacks ${JSON.stringify(piece)}`);
  }
});
