// Following a log file with a cursor: forward reads bounded per call, every line exactly once
// across appends, a flush (truncation), a copy-then-truncate rotation (pm2-logrotate) and a
// rename rotation (pm2_reload_logs after mv); the cursor as client input; grep; time order.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdtemp, realpath, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectLogPath } from '../../src/pm2/log-path.js';
import { tailFile } from '../../src/pm2/tail.js';
import { CursorError, decodeCursor, encodeCursor, pathKey, type FilePosition } from '../../src/pm2/tail-cursor.js';
import { followFile, rotatedCandidates } from '../../src/pm2/tail-follow.js';
import { GrepError, compileGrep, type LineFilter } from '../../src/pm2/line-pattern.js';
import { interleaveByTime } from '../../src/pm2/tail-time.js';

let dir = '';
let counter = 0;

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pm2-mcp-follow-')));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const numbered = (from: number, to: number, tag = 'L') => Array.from({ length: to - from }, (_, i) => `${tag}${from + i}`);
const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

/** A follower of one log file as pm2_tail_logs drives it: a plain tail first, then reads with the position. */
class Follower {
  position: FilePosition | undefined;
  madeAt = 0;
  lost: string[] = [];
  rotated: string[] = [];
  constructor(readonly path: string) {}

  async tail(lines: number, grep?: LineFilter): Promise<{ lines: string[]; waiting: number }> {
    const ref = (await inspectLogPath(this.path, 'out')).ref;
    const madeAt = Date.now();
    if (!this.position) {
      const r = await tailFile(ref, { lines, ...(grep ? { grep } : {}) });
      this.position = r.position;
      this.madeAt = madeAt;
      return { lines: r.lines, waiting: 0 };
    }
    const candidates = await rotatedCandidates(ref.path, 'out', this.position, this.madeAt);
    const outcome = await followFile(ref, candidates, this.position, { lines, ...(grep ? { grep } : {}) });
    assert.ok('followed' in outcome, JSON.stringify(outcome));
    const f = outcome.followed;
    try {
      if (f.lost) this.lost.push(f.lost);
      if (f.rotated) this.rotated.push(f.rotated);
      this.position = await f.positionAfter();
      this.madeAt = madeAt;
      return { lines: f.lines.map((l) => l.text), waiting: f.waiting };
    } finally {
      await f.close();
    }
  }

  /** Reads until nothing waits; every reply within `lines`. */
  async drain(lines: number, grep?: LineFilter): Promise<string[]> {
    const all: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const r = await this.tail(lines, grep);
      assert.ok(r.lines.length <= lines);
      all.push(...r.lines);
      if (r.waiting === 0) return all;
    }
    throw new Error('never drained');
  }
}

async function logFile(content: string): Promise<string> {
  const path = join(dir, `app${counter++}-out.log`);
  await writeFile(path, content);
  return path;
}

describe('a cursor returns every line exactly once', () => {
  test('appends between tails', async () => {
    const path = await logFile(text(numbered(0, 10)));
    const f = new Follower(path);
    assert.deepEqual((await f.tail(3)).lines, numbered(7, 10));
    assert.deepEqual((await f.tail(3)).lines, [], 'nothing new');
    await appendFile(path, text(numbered(10, 25)));
    assert.deepEqual(await f.drain(4), numbered(10, 25));
    await appendFile(path, text(numbered(25, 26)));
    assert.deepEqual((await f.tail(60)).lines, ['L25']);
    assert.deepEqual(f.lost, []);
  });

  test('with a cursor, lines bounds the reply to the oldest lines after it, and says more wait', async () => {
    const path = await logFile('start\n');
    const f = new Follower(path);
    await f.tail(1);
    await appendFile(path, text(numbered(0, 10)));
    const first = await f.tail(4);
    assert.deepEqual(first.lines, numbered(0, 4));
    assert.equal(first.waiting, 6 * 3, 'L4..L9 wait');
    assert.deepEqual((await f.tail(4)).lines, numbered(4, 8));
    const last = await f.tail(4);
    assert.deepEqual(last.lines, numbered(8, 10));
    assert.equal(last.waiting, 0);
  });

  test('a line still being written is returned once, whole, when its newline comes', async () => {
    const path = await logFile('a\n');
    const f = new Follower(path);
    await f.tail(5);
    await appendFile(path, 'b\nhalf');
    assert.deepEqual((await f.tail(5)).lines, ['b']);
    await appendFile(path, ' done\n');
    assert.deepEqual((await f.tail(5)).lines, ['half done']);
  });

  test('a flush (truncation to 0) between tails: the lines after it, and the reply says lines may be lost', async () => {
    const path = await logFile(text(numbered(0, 5)));
    const f = new Follower(path);
    await f.tail(10);
    await appendFile(path, text(numbered(5, 7)));
    await truncate(path, 0); // pm2 flush
    await appendFile(path, text(numbered(7, 9)));
    assert.deepEqual((await f.tail(10)).lines, numbered(7, 9));
    assert.equal(f.lost.length, 1);
    assert.match(f.lost[0]!, /emptied since the cursor/);
  });

  test('a flush, then more written than there was: the digest before the offset tells it from growth', async () => {
    const path = await logFile(text(numbered(0, 3, 'old')));
    const f = new Follower(path);
    await f.tail(10);
    await truncate(path, 0);
    await appendFile(path, text(numbered(0, 20, 'new')));
    assert.deepEqual(await f.drain(100), numbered(0, 20, 'new'));
    assert.match(f.lost[0]!, /emptied and written again/);
  });

  test('pm2-logrotate (copy to name__date.log, then truncate): the rest from the copy, then the new lines', async () => {
    const path = await logFile(text(numbered(0, 5)));
    const f = new Follower(path);
    await f.tail(10);
    await appendFile(path, text(numbered(5, 9)));
    await copyFile(path, path.replace(/\.log$/, '__2025-01-01_00-00-00.log'));
    await truncate(path, 0);
    await appendFile(path, text(numbered(9, 30))); // longer than the offset: a digest tells it
    assert.deepEqual(await f.drain(3), numbered(5, 30));
    assert.deepEqual(f.lost, []);
    assert.ok(f.rotated.length >= 1 && f.rotated.every((r) => r.endsWith('__2025-01-01_00-00-00.log')), 'said, on each reply read in the copy');
  });

  test('a rename rotation then a reopen (pm2_reload_logs): the rest from the renamed file, then the new one', async () => {
    const path = await logFile(text(numbered(0, 5)));
    const f = new Follower(path);
    await f.tail(10);
    await appendFile(path, text(numbered(5, 9)));
    await rename(path, `${path}.1`);
    await writeFile(path, text(numbered(9, 12)));
    assert.deepEqual(await f.drain(2), numbered(5, 12), 'bounded replies stop inside the renamed file and go on from there');
    assert.deepEqual(f.lost, []);
  });

  test('a rename whose old file is gone: the new file, and the loss said', async () => {
    const path = await logFile(text(numbered(0, 5)));
    const f = new Follower(path);
    await f.tail(10);
    await rm(path);
    await writeFile(path, text(numbered(9, 12)));
    assert.deepEqual(await f.drain(10), numbered(9, 12));
    // A new file may get the old one's inode number back: then it reads as emptied, a loss all the same.
    assert.match(f.lost[0]!, /replaced by a new file|emptied since the cursor/);
  });

  test('grep applies before the lines bound, and the cursor moves past lines that do not match', async () => {
    const path = await logFile('');
    const f = new Follower(path);
    await f.tail(10);
    const lines = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? `ERROR ${i}` : `info ${i}`));
    await appendFile(path, text(lines));
    const grep = await compileGrep('/^error \\d+$/i');
    assert.deepEqual(await f.drain(3, grep), lines.filter((l) => l.startsWith('ERROR')));
    assert.deepEqual((await f.tail(3, grep)).lines, []);
  });
});

describe('cost', () => {
  test('a forward read is bounded by the lines asked, not by what was written since', async () => {
    const path = await logFile('x\n');
    const f = new Follower(path);
    await f.tail(1);
    await appendFile(path, Buffer.alloc(8 * 1024 * 1024, 'y\n'));
    const ref = (await inspectLogPath(path, 'out')).ref;
    const outcome = await followFile(ref, [], f.position!, { lines: 10 });
    assert.ok('followed' in outcome);
    try {
      assert.equal(outcome.followed.lines.length, 10);
      assert.ok(outcome.followed.bytesRead <= 10 * 4098 + 65536, `read ${outcome.followed.bytesRead}`);
      assert.ok(outcome.followed.waiting > 8_000_000);
    } finally {
      await outcome.followed.close();
    }
  });

  test('one huge line after the cursor: shown cut once, its rest skipped, the next line read', async () => {
    const path = await logFile('x\n');
    const f = new Follower(path);
    await f.tail(1);
    await appendFile(path, `${'z'.repeat(1_000_000)}\nafter\n`);
    const all = await f.drain(1);
    assert.equal(all.length, 2);
    assert.ok(all[0]!.endsWith('…') && all[0]!.length <= 4097, 'cut at the bound');
    assert.equal(all[1], 'after');
  });
});

describe('the cursor is client input', () => {
  test('round trip', () => {
    const positions = new Map([[pathKey('/a/out.log'), { dev: 1, ino: 2, offset: 30, before: 'abcdefghijklmnop', midLine: false }]]);
    const c = decodeCursor(encodeCursor({ madeAt: 5, positions }));
    assert.equal(c.madeAt, 5);
    assert.deepEqual([...c.positions], [...positions]);
  });

  test('it carries no path in clear', () => {
    const c = encodeCursor({ madeAt: 1, positions: new Map([[pathKey('/secret/place/out.log'), { dev: 1, ino: 2, offset: 0, before: '', midLine: false }]]) });
    assert.ok(!Buffer.from(c, 'base64url').toString().includes('secret'));
  });

  const forged: Array<[string, string]> = [
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['another version', Buffer.from(JSON.stringify({ v: 2, t: 0, f: [] })).toString('base64url')],
    ['a path instead of a key', Buffer.from(JSON.stringify({ v: 1, t: 0, f: [['/etc/passwd', 1, 2, 0, '', 0]] })).toString('base64url')],
    ['a negative offset', Buffer.from(JSON.stringify({ v: 1, t: 0, f: [['AAAAAAAAAAAAAAAA', 1, 2, -5, '', 0]] })).toString('base64url')],
    ['an extra key', Buffer.from(JSON.stringify({ v: 1, t: 0, f: [], path: '/etc/passwd' })).toString('base64url')],
    ['too long', 'A'.repeat(9000)],
  ];
  for (const [what, cursor] of forged) {
    test(`refused: ${what}`, () => {
      assert.throws(() => decodeCursor(cursor), CursorError);
    });
  }

  test('an offset past the end reads as a truncation, never as a read past the file', async () => {
    const path = await logFile(text(numbered(0, 3)));
    const ref = (await inspectLogPath(path, 'out')).ref;
    const outcome = await followFile(ref, [], { dev: ref.dev!, ino: ref.ino!, offset: 10 ** 12, before: 'AAAAAAAAAAAAAAAA', midLine: false }, { lines: 10 });
    assert.ok('followed' in outcome);
    try {
      assert.deepEqual(outcome.followed.lines.map((l) => l.text), numbered(0, 3));
      assert.ok(outcome.followed.lost);
    } finally {
      await outcome.followed.close();
    }
  });

  test('only copies next to the file, named as rotators name them, are candidates: the cursor\'s identity picks among them', async () => {
    const path = await logFile('a\n');
    const other = join(dir, 'unrelated.log');
    await writeFile(other, 'secret\n');
    const ref = (await inspectLogPath(other, 'out')).ref;
    // A position naming the unrelated file's identity: it is not next to `path` by a rotator's name.
    const found = await rotatedCandidates(path, 'out', { dev: ref.dev!, ino: ref.ino!, offset: 0, before: '', midLine: false }, 0);
    assert.deepEqual(found, []);
  });
});

describe('grep', () => {
  test('a literal substring, and /regex/ in linear time', async () => {
    assert.equal((await compileGrep('a.b'))('xa.by'), true);
    assert.equal((await compileGrep('a.b'))('xaxby'), false, 'a literal is literal');
    assert.equal((await compileGrep('/a.b/'))('xaxby'), true);
    const evil = await compileGrep('/(a+)+$/');
    const t0 = performance.now();
    assert.equal(evil(`${'a'.repeat(4000)}!`), false);
    assert.ok(performance.now() - t0 < 1000, 'no exponential backtracking');
  });

  test('refused: too long, or not RE2', async () => {
    await assert.rejects(compileGrep('x'.repeat(201)), GrepError);
    await assert.rejects(compileGrep('/(a)\\1/'), GrepError);
  });
});

describe('combined: time order', () => {
  test('interleaved by pm2\'s time prefix, out first on a tie', () => {
    const out = ['2025-01-01T10:00:00: o1', '2025-01-01T10:00:02: o2'];
    const err = ['2025-01-01T10:00:01: e1', '2025-01-01T10:00:02: e2'];
    assert.deepEqual(interleaveByTime(out, err, (s) => s), ['2025-01-01T10:00:00: o1', '2025-01-01T10:00:01: e1', '2025-01-01T10:00:02: o2', '2025-01-01T10:00:02: e2']);
  });
  test('a line without a time: the order is not known', () => {
    assert.equal(interleaveByTime(['2025-01-01T10:00:00: o1'], ['plain'], (s) => s), undefined);
  });
});
