import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, open, realpath, rename, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectLogPath } from '../../src/pm2/log-path.js';
import { tailFile, type TailResult } from '../../src/pm2/tail.js';
import { hasMkfifo } from '../helpers/fifo.js';

let dir = '';
let fileCounter = 0;

before(async () => {
  // Its real path: a tail refuses a file whose folder is reached through a link (tmpdir is one on macOS).
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pm2-mcp-tail-')));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fixture(content: string | Buffer): Promise<string> {
  const path = join(dir, `f${fileCounter++}.log`);
  await writeFile(path, content);
  return path;
}

// The bound documented in src/pm2/tail.ts, restated here so a change there fails here.
function bound(lines: number, maxLineBytes = 4096, chunkBytes = 65536): number {
  return lines * (maxLineBytes + 2) + chunkBytes;
}

function assertBounded(r: TailResult, fileSize: number, lines: number, maxLineBytes?: number, chunkBytes?: number): void {
  assert.ok(r.bytesRead <= bound(lines, maxLineBytes, chunkBytes), `bytesRead ${r.bytesRead} over bound`);
  assert.ok(r.bytesRead <= fileSize, `bytesRead ${r.bytesRead} over file size ${fileSize}`);
}

const SMALL_CHUNKS = [1, 2, 3, 4, 5, 7, 16, 65536];

interface Case {
  name: string;
  content: string;
  lines: number;
  maxLineBytes?: number;
  expected: string[];
  cutLines?: number;
}

const basicCases: Case[] = [
  { name: 'trailing newline', content: 'a\nb\nc\n', lines: 2, expected: ['b', 'c'] },
  { name: 'no trailing newline', content: 'a\nb\nc', lines: 2, expected: ['b', 'c'] },
  { name: 'no trailing newline, last line only', content: 'a\nb\nlast', lines: 1, expected: ['last'] },
  { name: 'fewer lines than asked', content: 'a\nb\nc\n', lines: 10, expected: ['a', 'b', 'c'] },
  { name: 'fewer lines than asked, no trailing newline', content: 'a\nb\nc', lines: 10, expected: ['a', 'b', 'c'] },
  { name: 'exactly N', content: 'one\ntwo\nthree\n', lines: 3, expected: ['one', 'two', 'three'] },
  { name: 'single line without newline', content: 'solo', lines: 3, expected: ['solo'] },
  { name: 'empty file', content: '', lines: 5, expected: [] },
  { name: 'only a newline', content: '\n', lines: 5, expected: [''] },
  { name: 'two newlines', content: '\n\n', lines: 5, expected: ['', ''] },
  { name: 'empty lines kept', content: 'a\n\nb\n\n\nc\n', lines: 10, expected: ['a', '', 'b', '', '', 'c'] },
  { name: 'empty lines kept at the tail', content: 'a\nb\n\n\n', lines: 2, expected: ['', ''] },
  { name: 'leading empty line', content: '\nx\n', lines: 5, expected: ['', 'x'] },
  { name: 'CRLF', content: 'a\r\nb\r\nc\r\n', lines: 2, expected: ['b', 'c'] },
  { name: 'CRLF without final terminator', content: 'a\r\nb\r\nc', lines: 5, expected: ['a', 'b', 'c'] },
  { name: 'CRLF empty lines', content: 'a\r\n\r\nb\r\n', lines: 5, expected: ['a', '', 'b'] },
  { name: 'lone CR inside a line kept', content: 'a\rb\nc\n', lines: 5, expected: ['a\rb', 'c'] },
  { name: 'lines: 0', content: 'a\nb\n', lines: 0, expected: [] },
];

test('basic shapes, across chunk sizes', async () => {
  for (const c of basicCases) {
    const path = await fixture(c.content);
    const size = Buffer.byteLength(c.content);
    for (const chunkBytes of SMALL_CHUNKS) {
      const r = await tailFile(path, { lines: c.lines, chunkBytes });
      const label = `${c.name} (chunkBytes ${chunkBytes})`;
      assert.deepEqual(r.lines, c.expected, label);
      assert.equal(r.cutLines, 0, label);
      assert.equal(r.missing, false, label);
      assertBounded(r, size, c.lines, undefined, chunkBytes);
    }
  }
});

test('a missing file gives missing: true and no lines', async () => {
  const r = await tailFile(join(dir, 'does-not-exist.log'), { lines: 10 });
  assert.deepEqual(r, { lines: [], cutLines: 0, missing: true, bytesRead: 0 });
});

test('asking for the last lines only reads the end of the file', async () => {
  // 100 lines of 9 bytes; the last 2 lines are 18 bytes, plus the "\n" before them.
  const content = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`).join('');
  const path = await fixture(content);
  const r = await tailFile(path, { lines: 2, chunkBytes: 1 });
  assert.deepEqual(r.lines, ['line 098', 'line 099']);
  assert.equal(r.bytesRead, 19);
});

const longLineCases: Case[] = [
  {
    name: 'long line among normal lines',
    content: 'first\nshort\n' + 'xxxxx0123456789' + '\nend\n',
    lines: 3,
    maxLineBytes: 10,
    expected: ['short', '…0123456789', 'end'],
    cutLines: 1,
  },
  { name: 'exactly maxLineBytes is not cut', content: 'abcdefghij\nz\n', lines: 2, maxLineBytes: 10, expected: ['abcdefghij', 'z'], cutLines: 0 },
  { name: 'one byte over is cut', content: 'abcdefghijk\nz\n', lines: 2, maxLineBytes: 10, expected: ['…bcdefghijk', 'z'], cutLines: 1 },
  { name: 'the CR of CRLF does not count', content: 'abcdefghij\r\nz\r\n', lines: 2, maxLineBytes: 10, expected: ['abcdefghij', 'z'], cutLines: 0 },
  { name: 'long CRLF line is cut without its CR', content: 'abcdefghijkl\r\nz\r\n', lines: 2, maxLineBytes: 10, expected: ['…cdefghijkl', 'z'], cutLines: 1 },
  { name: 'long last line without newline', content: 'a\n0123456789ABCDEF', lines: 5, maxLineBytes: 4, expected: ['a', '…CDEF'], cutLines: 1 },
  { name: 'two long lines', content: 'aaaaaaa1\nbbbbbbb2\n', lines: 5, maxLineBytes: 3, expected: ['…aa1', '…bb2'], cutLines: 2 },
];

test('lines longer than maxLineBytes are cut to their end, prefixed with "…"', async () => {
  for (const c of longLineCases) {
    const path = await fixture(c.content);
    const size = Buffer.byteLength(c.content);
    for (const chunkBytes of SMALL_CHUNKS) {
      const r = await tailFile(path, { lines: c.lines, maxLineBytes: c.maxLineBytes, chunkBytes });
      const label = `${c.name} (chunkBytes ${chunkBytes})`;
      assert.deepEqual(r.lines, c.expected, label);
      assert.equal(r.cutLines, c.cutLines, label);
      assertBounded(r, size, c.lines, c.maxLineBytes, chunkBytes);
    }
  }
});

test('the budget exactly covers N maximal CRLF lines: nothing is cut', async () => {
  // Needed: 3 lines * 5 bytes ("ccc\r\n") + the "\n" before them = 16 = 3 * (3 + 2) + 1.
  const content = 'aaa\r\nbbb\r\nccc\r\nddd\r\neee\r\n';
  const path = await fixture(content);
  const r = await tailFile(path, { lines: 3, maxLineBytes: 3, chunkBytes: 1 });
  assert.deepEqual(r.lines, ['ccc', 'ddd', 'eee']);
  assert.equal(r.cutLines, 0);
  assert.equal(r.bytesRead, 16);
});

test('when the budget runs out inside a line, that line comes back cut as the oldest', async () => {
  // Budget 3 * (4 + 2) + 1 = 19 bytes: "\n" + 14 C + "\n" = 16, then 3 B's -> spent
  // before seeing the "\n" that starts the B line, so it cannot be known whole.
  const content = 'x\nBBB\n' + 'C'.repeat(14) + '\n';
  const path = await fixture(content);
  const r = await tailFile(path, { lines: 3, maxLineBytes: 4, chunkBytes: 1 });
  assert.deepEqual(r.lines, ['…BBB', '…CCCC']);
  assert.equal(r.cutLines, 2);
  assert.equal(r.bytesRead, 19);
});

test('lines longer than chunkBytes, newlines exactly on chunk boundaries', async () => {
  // Chunks go backward from the end, so with 16-byte lines every chunk ends on a "\n".
  const on = ['A'.repeat(15), 'B'.repeat(15), 'C'.repeat(15), 'D'.repeat(15)];
  const cases: Case[] = [
    { name: 'newline at every chunk end', content: on.map((l) => l + '\n').join(''), lines: 3, expected: on.slice(1) },
    // Without the final newline, the boundaries fall one byte later: "\n" starts each chunk.
    { name: 'newline at every chunk start', content: on.join('\n'), lines: 3, expected: on.slice(1) },
    {
      name: 'lines of 15..50 bytes',
      content: ['e'.repeat(15), 'f'.repeat(16), 'g'.repeat(17), 'h'.repeat(31), 'i'.repeat(32), 'j'.repeat(33), 'k'.repeat(50)].join('\n') + '\n',
      lines: 6,
      expected: ['f'.repeat(16), 'g'.repeat(17), 'h'.repeat(31), 'i'.repeat(32), 'j'.repeat(33), 'k'.repeat(50)],
    },
    { name: 'empty line at a chunk boundary', content: 'a'.repeat(15) + '\n\n' + 'b'.repeat(14) + '\n', lines: 3, expected: ['a'.repeat(15), '', 'b'.repeat(14)] },
  ];
  for (const c of cases) {
    const path = await fixture(c.content);
    for (const chunkBytes of [15, 16, 17]) {
      const r = await tailFile(path, { lines: c.lines, chunkBytes });
      assert.deepEqual(r.lines, c.expected, `${c.name} (chunkBytes ${chunkBytes})`);
      assert.equal(r.cutLines, 0);
      assertBounded(r, Buffer.byteLength(c.content), c.lines, undefined, chunkBytes);
    }
  }
});

test('multibyte text split across chunks decodes intact', async () => {
  const lines = ['café crème', '日本語のテキスト', 'smile 🙂🙂 ok', 'é', '🙂', 'mixé 日本 🙂 end'];
  const content = lines.join('\n') + '\n';
  const path = await fixture(content);
  for (let chunkBytes = 1; chunkBytes <= 9; chunkBytes++) {
    const r = await tailFile(path, { lines: lines.length, chunkBytes });
    assert.deepEqual(r.lines, lines, `chunkBytes ${chunkBytes}`);
    assert.ok(!r.lines.join('').includes('\uFFFD'));
    assert.equal(r.cutLines, 0);
  }
});

test('a cut falling inside a multibyte character moves forward to the next whole one', async () => {
  // 日本語 is E6 97 A5 | E6 9C AC | E8 AA 9E; 🙂 is F0 9F 99 82; é is C3 A9.
  const cases: Case[] = [
    { name: '日本語 keep 4 (1 continuation byte)', content: '日本語\n', lines: 1, maxLineBytes: 4, expected: ['…語'] },
    { name: '日本語 keep 5 (2 continuation bytes)', content: '日本語\n', lines: 1, maxLineBytes: 5, expected: ['…語'] },
    { name: '日本語 keep 6 (on a boundary)', content: '日本語\n', lines: 1, maxLineBytes: 6, expected: ['…本語'] },
    { name: '日本語 keep 8', content: '日本語\n', lines: 1, maxLineBytes: 8, expected: ['…本語'] },
    { name: 'a🙂🙂 keep 5', content: 'a🙂🙂', lines: 1, maxLineBytes: 5, expected: ['…🙂'] },
    { name: 'a🙂🙂 keep 7 (3 continuation bytes)', content: 'a🙂🙂', lines: 1, maxLineBytes: 7, expected: ['…🙂'] },
    { name: 'a🙂🙂 keep 8', content: 'a🙂🙂', lines: 1, maxLineBytes: 8, expected: ['…🙂🙂'] },
    { name: 'ééé keep 3', content: 'ééé\r\n', lines: 1, maxLineBytes: 3, expected: ['…é'] },
    { name: 'mixed lines', content: 'ok\nxé日🙂\nfin\n', lines: 3, maxLineBytes: 6, expected: ['ok', '…🙂', 'fin'], cutLines: 1 },
  ];
  for (const c of cases) {
    const path = await fixture(c.content);
    for (const chunkBytes of SMALL_CHUNKS) {
      const r = await tailFile(path, { lines: c.lines, maxLineBytes: c.maxLineBytes, chunkBytes });
      const label = `${c.name} (chunkBytes ${chunkBytes})`;
      assert.deepEqual(r.lines, c.expected, label);
      assert.equal(r.cutLines, c.cutLines ?? 1, label);
      assert.ok(!r.lines.join('').includes('\uFFFD'), label);
    }
  }
});

test('a budget running out inside a multibyte character yields no U+FFFD', async () => {
  const content = '日本語🙂é'.repeat(1000); // 15 bytes per repeat, no newline
  const path = await fixture(content);
  for (const [maxLineBytes, chunkBytes] of [[5, 3], [7, 5], [10, 1], [13, 7]] as const) {
    const r = await tailFile(path, { lines: 1, maxLineBytes, chunkBytes });
    const label = `maxLineBytes ${maxLineBytes}, chunkBytes ${chunkBytes}`;
    assert.equal(r.lines.length, 1, label);
    const line = r.lines[0] ?? '';
    assert.ok(line.startsWith('…'), label);
    assert.ok(!line.includes('\uFFFD'), label);
    assert.ok(content.endsWith(line.slice(1)), label);
    assert.ok(Buffer.byteLength(line.slice(1)) <= maxLineBytes, label);
    assert.equal(r.cutLines, 1, label);
    assert.equal(r.bytesRead, bound(1, maxLineBytes, chunkBytes), label);
  }
});

test('a 20 MiB file: 10 lines cost a bounded read', async () => {
  const path = join(dir, 'big.log');
  const handle = await open(path, 'w');
  const total = 320_000; // lines of 66 bytes -> ~20 MiB
  const pad = '-'.repeat(56);
  try {
    for (let i = 0; i < total; i += 10_000) {
      let block = '';
      for (let j = i; j < i + 10_000; j++) block += `${String(j).padStart(8, '0')} ${pad}\n`;
      await handle.write(block);
    }
  } finally {
    await handle.close();
  }
  const size = total * 66;
  const r = await tailFile(path, { lines: 10 });
  const expected = Array.from({ length: 10 }, (_, k) => `${String(total - 10 + k).padStart(8, '0')} ${pad}`);
  assert.deepEqual(r.lines, expected);
  assert.equal(r.cutLines, 0);
  assert.ok(r.bytesRead <= bound(10), `bytesRead ${r.bytesRead}`);
  assert.ok(r.bytesRead * 100 < size, `bytesRead ${r.bytesRead} vs size ${size}`);
});

test('a single 8 MiB line with no newline: one cut line, bounded read', async () => {
  const digits = '0123456789';
  const giant = digits.repeat((8 * 1024 * 1024) / 10 + 1); // ~8 MiB
  const path = await fixture(giant);
  for (const lines of [1, 5]) {
    const r = await tailFile(path, { lines });
    assert.deepEqual(r.lines, ['…' + giant.slice(-4096)], `lines ${lines}`);
    assert.equal(r.cutLines, 1);
    assert.equal(r.bytesRead, bound(lines));
  }
});

test('a giant line between normal lines stops the scan there', async () => {
  const giant = 'G'.repeat(2 * 1024 * 1024 - 4) + 'tail';
  const content = 'head1\nhead2\n' + giant + '\nt1\nt2\n';
  const path = await fixture(content);
  const r = await tailFile(path, { lines: 5, maxLineBytes: 8, chunkBytes: 4096 });
  assert.deepEqual(r.lines, ['…GGGGtail', 't1', 't2']);
  assert.equal(r.cutLines, 1);
  assert.equal(r.bytesRead, bound(5, 8, 4096));
});

test('a directory is refused, not read', async () => {
  const sub = join(dir, 'a-directory');
  await mkdir(sub);
  const r = await tailFile(sub, { lines: 5 });
  assert.deepEqual(r, { lines: [], cutLines: 0, missing: false, bytesRead: 0, refused: 'it is a folder, not a regular file' });
});

// Files that are not the log they claim to be (THREATS.md 15): each would show a canary's content
// or hang if it were followed or opened blocking.
test('a log file that is a symbolic link to a secret is refused; the secret is not read', async () => {
  const secret = await fixture('CANARY-SECRET\n');
  const link = join(dir, 'link.log');
  await symlink(secret, link);
  const r = await tailFile(link, { lines: 5 });
  assert.equal(r.refused, 'it is a symbolic link');
  assert.deepEqual(r.lines, []);
  assert.equal(r.bytesRead, 0);
});

test('a log file checked, then swapped for a link to a secret, is refused', async () => {
  const path = await fixture('the app\'s line\n');
  const { ref } = await inspectLogPath(path, 'out');
  const secret = await fixture('CANARY-SECRET\n');
  await rm(path);
  await symlink(secret, path);
  const r = await tailFile(ref, { lines: 5 });
  assert.equal(r.refused, 'it is a symbolic link');
  assert.ok(!JSON.stringify(r).includes('CANARY'));
});

test('a log file checked, then replaced by another file, is refused', async () => {
  const path = await fixture('the app\'s line\n');
  const { ref } = await inspectLogPath(path, 'out');
  const other = await fixture('CANARY-OTHER\n');
  await rename(other, path);
  const r = await tailFile(ref, { lines: 5 });
  assert.match(r.refused ?? '', /replaced/);
  assert.deepEqual(r.lines, []);
});

test('the file resolve checked is read', async () => {
  const path = await fixture('one\ntwo\n');
  const { ref } = await inspectLogPath(path, 'out');
  const r = await tailFile(ref, { lines: 1 });
  assert.deepEqual(r.lines, ['two']);
  assert.equal(r.refused, undefined);
});


test('a FIFO is refused at once instead of blocking the read', { skip: !hasMkfifo, timeout: 5_000 }, async () => {
  const fifo = join(dir, 'fifo.log');
  execFileSync('mkfifo', [fifo]);
  const r = await tailFile(fifo, { lines: 5 });
  assert.equal(r.refused, 'it is a FIFO, not a regular file');
});

test('a device is refused', async () => {
  const r = await tailFile('/dev/zero', { lines: 5 });
  assert.equal(r.refused, 'it is a device, not a regular file');
  assert.equal(r.bytesRead, 0);
});

test('invalid options throw a RangeError', async () => {
  const path = await fixture('a\n');
  await assert.rejects(tailFile(path, { lines: -1 }), RangeError);
  await assert.rejects(tailFile(path, { lines: 1.5 }), RangeError);
  await assert.rejects(tailFile(path, { lines: 1, maxLineBytes: 0 }), RangeError);
  await assert.rejects(tailFile(path, { lines: 1, chunkBytes: 0 }), RangeError);
});

test('the file handle is closed on success and on error', { skip: !existsSync('/proc/self/fd') }, async () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const path = await fixture('a\nb\n');
  const sub = join(dir, 'another-directory');
  await mkdir(sub);
  const fdsBefore = openFds();
  for (let i = 0; i < 20; i++) {
    await tailFile(path, { lines: 1 });
    assert.ok((await tailFile(sub, { lines: 1 })).refused);
  }
  assert.equal(openFds(), fdsBefore);
});

// Property check against a plain split-based oracle, on generated text mixing
// ASCII, multibyte characters, CRLF and empty lines. Only runs the cases where
// the budget covers the lines (otherwise the budget rule decides, tested above).
test('matches a split-based oracle on generated text', async () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = ['a', 'b', 'é', '日', '🙂', ' ', '\r'];
  let checked = 0;
  for (let round = 0; round < 40; round++) {
    const fileLines: string[] = [];
    const count = rand(12);
    for (let i = 0; i < count; i++) {
      let s = '';
      const len = rand(14);
      for (let k = 0; k < len; k++) s += alphabet[rand(alphabet.length)];
      fileLines.push(s + (rand(3) === 0 ? '\r' : ''));
    }
    const content = fileLines.join('\n') + (rand(2) === 0 ? '\n' : '');
    const path = await fixture(content);
    for (let lines = 1; lines <= 6; lines++) {
      for (const maxLineBytes of [4, 9, 30]) {
        for (const chunkBytes of [1, 3, 8, 64]) {
          // Oracle.
          const all = content === '' ? [] : content.split('\n');
          if (content.endsWith('\n')) all.pop();
          const last = all.slice(-lines);
          const needed = Buffer.byteLength(last.join('\n')) + (content.endsWith('\n') ? 1 : 0) + (all.length > lines ? 1 : 0);
          if (needed > bound(lines, maxLineBytes, chunkBytes)) continue;
          let cut = 0;
          const expected = last.map((l) => {
            let b = Buffer.from(l.endsWith('\r') ? l.slice(0, -1) : l);
            if (b.length <= maxLineBytes) return b.toString();
            cut++;
            b = b.subarray(b.length - maxLineBytes);
            let s = 0;
            while (s < 3 && s < b.length && ((b[s] ?? 0) & 0xc0) === 0x80) s++;
            return '…' + b.subarray(s).toString();
          });
          const r = await tailFile(path, { lines, maxLineBytes, chunkBytes });
          const label = `round ${round}, lines ${lines}, max ${maxLineBytes}, chunk ${chunkBytes}: ${JSON.stringify(content)}`;
          assert.deepEqual(r.lines, expected, label);
          assert.equal(r.cutLines, cut, label);
          assert.ok(!r.lines.join('').includes('\uFFFD'), label);
          assertBounded(r, Buffer.byteLength(content), lines, maxLineBytes, chunkBytes);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 1000, `only ${checked} cases checked`);
});
