import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../src/errors.js';
import { decideInterpreter, type Interpreter } from '../../src/pm2/interpreter.js';
import { assertToolError } from '../helpers/fixtures.js';

let dir = '';
/** A PATH folder of fake interpreters, so that results do not depend on the machine. */
let bin = '';
/** Same, plus "python". */
let binWithPython = '';
/** Neither node nor anything else. */
let emptyBin = '';
let scripts = '';
let counter = 0;

function executable(path: string, body = '#!/bin/sh\nexit 0\n'): void {
  writeFileSync(path, body);
  chmodSync(path, 0o755);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm2-mcp-interp-'));
  bin = join(dir, 'bin');
  binWithPython = join(dir, 'bin-py');
  emptyBin = join(dir, 'bin-empty');
  scripts = join(dir, 'scripts');
  for (const d of [bin, binWithPython, emptyBin, scripts]) mkdirSync(d);
  for (const name of ['node', 'bash', 'python3', 'perl', 'tsx', 'python3.12']) executable(join(bin, name));
  writeFileSync(join(bin, 'ruby'), '#!/bin/sh\n'); // not executable: not an interpreter
  chmodSync(join(bin, 'ruby'), 0o644);
  mkdirSync(join(bin, 'php')); // a folder: not an interpreter
  executable(join(binWithPython, 'python'));
  // A symlinked interpreter: its real path is what counts.
  mkdirSync(join(dir, 'real'));
  executable(join(dir, 'real', 'node-20.11.0'));
  symlinkSync(join(dir, 'real', 'node-20.11.0'), join(dir, 'linked-node'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs fn with PATH set to the given folders, restoring it after. */
async function withPath<T>(dirs: string[], fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = dirs.join(':');
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

function script(name: string, content: string | Buffer = 'console.log(1)\n'): string {
  const sub = join(scripts, String(counter++));
  mkdirSync(sub);
  const path = join(sub, name);
  writeFileSync(path, content);
  return path;
}

const real = (p: string): string => realpathSync(p);

/** Rejects with a START_REFUSED ToolError whose message is `expected` (a string) or matches it. */
const assertRefused = (promise: Promise<unknown>, expected: string | RegExp, label: string): Promise<ToolError> => assertToolError(promise, 'START_REFUSED', expected, label);

test('by extension, with a controlled PATH', async () => {
  const cases: { name: string; file: string; path: () => string[]; expected: () => Interpreter }[] = [
    { name: '.js → node', file: 'app.js', path: () => [bin], expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: '.cjs → node', file: 'app.cjs', path: () => [bin], expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: '.mjs → node', file: 'app.mjs', path: () => [bin], expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: '.JS (upper case) → node', file: 'APP.JS', path: () => [bin], expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: '.sh → bash', file: 'run.sh', path: () => [bin], expected: () => ({ name: 'bash', path: real(join(bin, 'bash')) }) },
    { name: '.py → python3', file: 'job.py', path: () => [bin], expected: () => ({ name: 'python3', path: real(join(bin, 'python3')) }) },
    { name: '.py → python3 even when a python comes first (policies name python3)', file: 'job.py', path: () => [binWithPython, bin], expected: () => ({ name: 'python3', path: real(join(bin, 'python3')) }) },
    { name: '.py → python when there is no python3', file: 'job.py', path: () => [binWithPython], expected: () => ({ name: 'python', path: real(join(binWithPython, 'python')) }) },
    { name: '.pl → perl', file: 'x.pl', path: () => [bin], expected: () => ({ name: 'perl', path: real(join(bin, 'perl')) }) },
    { name: 'first PATH entry wins', file: 'app.js', path: () => [bin, binWithPython], expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: '.js with no node on the PATH → this node', file: 'app.js', path: () => [emptyBin], expected: () => ({ name: 'node', path: real(process.execPath) }) },
    { name: 'relative PATH entries are ignored', file: 'app.js', path: () => ['.', 'bin', '', emptyBin], expected: () => ({ name: 'node', path: real(process.execPath) }) },
  ];
  for (const c of cases) {
    const got = await withPath(c.path(), () => decideInterpreter(undefined, script(c.file)));
    assert.deepEqual(got, c.expected(), c.name);
    assert.ok(got.path.startsWith('/'), `${c.name}: not an absolute path`);
  }
});

test('by extension, on this machine: real absolute paths', async () => {
  const js = await decideInterpreter(undefined, script('a.js'));
  assert.equal(js.name, 'node');
  assert.equal(js.path, real(js.path));
  assert.ok(js.path.startsWith('/'));
  const sh = await decideInterpreter(undefined, script('a.sh'));
  assert.equal(sh.name, 'bash');
  assert.equal(sh.path, real(sh.path));
  const py = await decideInterpreter(undefined, script('a.py')).catch((err: unknown) => err);
  if (!(py instanceof ToolError)) {
    const p = py as Interpreter;
    assert.ok(p.name === 'python' || p.name === 'python3', p.name);
    assert.equal(p.path, real(p.path));
  }
});

test('an interpreter that is not executable, or a folder, is not found', async () => {
  await withPath([bin], async () => {
    await assertRefused(decideInterpreter(undefined, script('x.rb')), 'The interpreter "ruby" is not on the PATH of the pm2-mcp server.', '.rb');
    await assertRefused(decideInterpreter(undefined, script('x.php')), 'The interpreter "php" is not on the PATH of the pm2-mcp server.', '.php');
    await assertRefused(decideInterpreter('ruby', script('x.rb')), 'The interpreter "ruby" is not on the PATH of the pm2-mcp server.', 'explicit ruby');
    await assertRefused(decideInterpreter('php', script('x.js')), 'The interpreter "php" is not on the PATH of the pm2-mcp server.', 'explicit php (a folder)');
  });
  await withPath([emptyBin], () => assertRefused(decideInterpreter(undefined, script('job.py')), 'The interpreter "python" is not on the PATH of the pm2-mcp server.', 'no python at all'));
});

test('TypeScript is refused with a hint', async () => {
  for (const file of ['app.ts', 'app.tsx', 'app.mts', 'app.cts', 'APP.TS']) {
    await assertRefused(
      decideInterpreter(undefined, script(file)),
      `${file} is TypeScript: name the interpreter that runs it (for example "interpreter": "tsx"), or start its compiled JavaScript.`,
      file,
    );
  }
  // Naming the interpreter is the way out.
  assert.deepEqual(await withPath([bin], () => decideInterpreter('tsx', script('app.ts'))), { name: 'tsx', path: real(join(bin, 'tsx')) });
});

test('no known extension: a binary runs itself, anything else runs with node', async () => {
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01]), Buffer.alloc(64, 0x41)]);
  const cases: { name: string; file: string; content: string | Buffer; binary: boolean }[] = [
    { name: 'ELF without extension', file: 'server', content: elf, binary: true },
    { name: 'ELF with an unknown extension', file: 'server.bin', content: elf, binary: true },
    { name: 'ELF magic only (4 bytes)', file: 'tiny', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46]), binary: true },
    { name: 'a NUL in the first 512 bytes', file: 'data', content: Buffer.concat([Buffer.from('text'), Buffer.from([0]), Buffer.from('more')]), binary: true },
    { name: 'a NUL at byte 511', file: 'edge', content: Buffer.concat([Buffer.alloc(511, 0x61), Buffer.from([0])]), binary: true },
    { name: 'a NUL only after 512 bytes', file: 'late', content: Buffer.concat([Buffer.alloc(512, 0x61), Buffer.from([0])]), binary: false },
    { name: 'a shell script without extension still runs with node (as pm2 does)', file: 'start', content: '#!/bin/sh\necho hi\n', binary: false },
    { name: 'text without extension', file: 'README', content: 'hello\n', binary: false },
    { name: 'an empty file', file: 'empty', content: '', binary: false },
    { name: 'an unknown extension, text', file: 'notes.txt', content: 'x = 1\n', binary: false },
    { name: 'a trailing dot', file: 'weird.', content: 'x\n', binary: false },
    { name: 'a dotfile', file: '.hidden', content: 'x\n', binary: false },
    { name: '"ELF" without the 0x7f', file: 'fake', content: 'ELF file\n', binary: false },
    { name: 'UTF-8 text with high bytes', file: 'utf8', content: 'café 日本 🙂\n', binary: false },
  ];
  for (const c of cases) {
    const got = await withPath([bin], () => decideInterpreter(undefined, script(c.file, c.content)));
    assert.deepEqual(got, c.binary ? { name: 'none', path: 'none' } : { name: 'node', path: real(join(bin, 'node')) }, c.name);
  }
});

test('explicit interpreters', async () => {
  const cases: { name: string; explicit: string; file: string; expected: () => Interpreter }[] = [
    { name: 'none', explicit: 'none', file: 'app.js', expected: () => ({ name: 'none', path: 'none' }) },
    { name: 'a name beats the extension', explicit: 'bash', file: 'app.js', expected: () => ({ name: 'bash', path: real(join(bin, 'bash')) }) },
    { name: 'a dotted name', explicit: 'python3.12', file: 'a.py', expected: () => ({ name: 'python3.12', path: real(join(bin, 'python3.12')) }) },
    { name: 'node', explicit: 'node', file: 'a.ts', expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: 'an absolute path', explicit: join(bin, 'node'), file: 'a.sh', expected: () => ({ name: 'node', path: real(join(bin, 'node')) }) },
    { name: 'an absolute path with .. is realpath\'d', explicit: `${bin}/../bin/bash`, file: 'a.js', expected: () => ({ name: 'bash', path: real(join(bin, 'bash')) }) },
  ];
  for (const c of cases) {
    assert.deepEqual(await withPath([bin], () => decideInterpreter(c.explicit, script(c.file))), c.expected(), c.name);
  }
  // Through a symlink: the real path is what pm2 gets (and what the policy checks).
  const linked = await decideInterpreter(join(dir, 'linked-node'), script('a.js'));
  assert.equal(linked.path, real(join(dir, 'real', 'node-20.11.0')));
  assert.notEqual(linked.path, join(dir, 'linked-node'));
});

test('explicit interpreter strings that are not plain names are refused', async () => {
  const bad = [
    'node@18', 'node@lts', 'node 18', 'node;id', 'bash -c', 'node && id', 'node|sh', '$(id)', '`id`', '../bin/node', './node', 'bin/node',
    '~/node', 'node\n', '\nnode', '', ' ', '-e', '--require', '.node', 'a'.repeat(65), 'nöde', 'node\0',
  ];
  for (const explicit of bad) {
    await assertRefused(
      withPath([bin], () => decideInterpreter(explicit, script('a.js'))),
      `"${explicit}" is not an interpreter name: use a plain command name (node, bash, python3) or an absolute path.`,
      JSON.stringify(explicit),
    );
  }
  // 64 characters is the longest name; it is then looked up (and not found).
  await assertRefused(withPath([bin], () => decideInterpreter('a'.repeat(64), script('a.js'))), `The interpreter "${'a'.repeat(64)}" is not on the PATH of the pm2-mcp server.`, '64 chars');
});

test('unknown interpreter names and missing absolute paths are refused', async () => {
  await withPath([bin], async () => {
    await assertRefused(decideInterpreter('no-such-interpreter', script('a.js')), 'The interpreter "no-such-interpreter" is not on the PATH of the pm2-mcp server.', 'unknown name');
    await assertRefused(decideInterpreter('deno', script('a.js')), 'The interpreter "deno" is not on the PATH of the pm2-mcp server.', 'deno not installed here');
    const missing = join(dir, 'nope', 'node');
    await assertRefused(decideInterpreter(missing, script('a.js')), `The interpreter ${missing} does not exist.`, 'missing absolute');
    const dangling = join(dir, `dangling${counter++}`);
    symlinkSync(join(dir, 'gone'), dangling);
    await assertRefused(decideInterpreter(dangling, script('a.js')), `The interpreter ${dangling} does not exist.`, 'dangling symlink');
  });
});

test('an absolute interpreter that is a folder is refused', async () => {
  await assertRefused(decideInterpreter(scripts, script('a.js')), /interpreter/, 'a folder');
});

test('an absolute interpreter is named after what it really is', async () => {
  const link = join(dir, `fake${counter++}`);
  mkdirSync(link);
  symlinkSync(join(bin, 'bash'), join(link, 'node'));
  const got = await decideInterpreter(join(link, 'node'), script('a.js'));
  assert.deepEqual(got, { name: 'bash', path: real(join(bin, 'bash')) });
});
