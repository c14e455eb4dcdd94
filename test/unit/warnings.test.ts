// globWarnings: path globs of a config that match nothing under the root, found by a bounded walk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { globWarnings, WALK_LIMITS } from '../../src/config/warnings.js';
import type { Pm2McpConfig } from '../../src/model/config.js';

let root = '';
let outside = '';
/** A separate tree 14 levels deep, so the depth bound shows only where it is tested. */
let deepRoot = '';

before(async () => {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'pm2-mcp-warnings-')));
  root = join(base, 'root');
  outside = join(base, 'outside');
  deepRoot = join(base, 'deep');
  const deepest = join(deepRoot, '1/2/3/4/5/6/7/8/9/10/11/12/13/deepest.js');
  await mkdir(dirname(deepest), { recursive: true });
  await writeFile(deepest, '');
  const files = [
    'apps/api/server.js',
    'apps/worker.js',
    'scripts/run.sh',
    'ecosystem.config.json',
    '.hidden/app.js',
    'node_modules/dep/index.js',
    '.git/config',
  ];
  for (const f of files) {
    await mkdir(dirname(join(root, f)), { recursive: true });
    await writeFile(join(root, f), '');
  }
  await mkdir(join(root, 'logs'));
  await mkdir(join(outside, 'apps'), { recursive: true });
  await writeFile(join(outside, 'apps', 'elsewhere.js'), '');
  await symlink(join(outside, 'apps'), join(root, 'linked'));
});

after(async () => {
  if (root) await rm(dirname(root), { recursive: true, force: true });
});

const start = (s: NonNullable<Pm2McpConfig['start']>): Pm2McpConfig => ({ start: s });

test('no start globs, no warnings', async () => {
  assert.deepEqual(await globWarnings({}, root), []);
  assert.deepEqual(await globWarnings(start({ scripts: [], interpreters: ['node'] }), root), []);
});

test('globs that match something give no warning', async () => {
  const config = start({
    scripts: ['apps/**/*.js', 'scripts/*.sh', './apps/worker.js', `${root}/apps/*.js`],
    cwd: ['.', './**', 'apps'],
    ecosystemFiles: ['*.json'],
    logFiles: ['logs'],
  });
  assert.deepEqual(await globWarnings(config, root), []);
});

test('a glob that matches nothing is named with where it is', async () => {
  const config = start({ scripts: ['apps/*.js', 'apps/*.ts'], cwd: ['services/**'], logFiles: ['logs/*.log'] });
  assert.deepEqual(await globWarnings(config, root), [
    `start.scripts[1]: "apps/*.ts" matches nothing under ${root}`,
    `start.cwd[0]: "services/**" matches nothing under ${root}`,
    `start.logFiles[0]: "logs/*.log" matches nothing under ${root}`,
  ]);
});

test('dot files and folders count', async () => {
  assert.deepEqual(await globWarnings(start({ scripts: ['**/app.js'] }), root), []);
});

test('node_modules and .git are not searched', async () => {
  assert.deepEqual(await globWarnings(start({ scripts: ['node_modules/**/*.js'], logFiles: ['.git/*'] }), root), [
    `start.scripts[0]: "node_modules/**/*.js" matches nothing under ${root}`,
    `start.logFiles[0]: ".git/*" matches nothing under ${root}`,
  ]);
});

test('symlinks are not followed (policy globs match real paths)', async () => {
  assert.deepEqual(await globWarnings(start({ scripts: ['linked/*.js'] }), root), [`start.scripts[0]: "linked/*.js" matches nothing under ${root}`]);
});

test('globs outside the root are not checked, and say so', async () => {
  const config = start({ scripts: ['/**', `${outside}/apps/*.js`], cwd: ['/'], logFiles: ['../outside/**'] });
  assert.deepEqual(await globWarnings(config, root), [
    'start.scripts[0]: "/**" is outside the root; not checked',
    `start.scripts[1]: "${outside}/apps/*.js" is outside the root; not checked`,
    'start.cwd[0]: "/" is outside the root; not checked',
    'start.logFiles[0]: "../outside/**" is outside the root; not checked',
  ]);
});

test('the walk is bounded in depth, and says so when a glob was not found', async () => {
  assert.equal(WALK_LIMITS.maxDepth, 12);
  assert.equal(WALK_LIMITS.maxEntries, 20_000);
  assert.deepEqual(await globWarnings(start({ scripts: ['**/deepest.js', '1/2/3/4/5/6/7/8/9/10/11/12'] }), deepRoot), [
    `start.scripts[0]: "**/deepest.js" matches nothing under ${deepRoot} (only the top 12 levels were searched)`,
  ]);
  assert.deepEqual(await globWarnings(start({ scripts: ['**/deepest.js'] }), deepRoot, { maxEntries: 20_000, maxDepth: 14 }), []);
});

test('the walk is bounded in entries', async () => {
  assert.deepEqual(await globWarnings(start({ scripts: ['**/deepest.js'] }), deepRoot, { maxEntries: 5, maxDepth: 20 }), [
    `start.scripts[0]: "**/deepest.js" matches nothing under ${deepRoot} (only the first 5 entries were searched)`,
  ]);
});

test('the walk stops once every glob has matched', async () => {
  // "." matches the root itself: nothing more is read, so even a zero entry budget is enough.
  assert.deepEqual(await globWarnings(start({ cwd: ['.'] }), root, { maxEntries: 0, maxDepth: 12 }), []);
  assert.deepEqual(await globWarnings(start({ cwd: ['.', 'apps'] }), root, { maxEntries: 0, maxDepth: 12 }), [
    `start.cwd[1]: "apps" matches nothing under ${root} (only the first 0 entries were searched)`,
  ]);
});
