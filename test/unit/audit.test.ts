// The audit log in-process (no pm2): canonical JSON, the records against their JSON Schema, the
// hash chain and a table of tampering that verify must catch at the exact line, rotation across
// files, secrets that must never be written, concurrent writers (one and several instances), the
// refusal to pretend when the file can't be written, stale locks, and what `audit tail` shows.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rename, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { AuditLog, serverRecord } from '../../src/audit/audit-log.js';
import type { AuditEffect, CallerInfo, DecisionEntry, OutcomeEntry } from '../../src/audit/auditor.js';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { GENESIS, hashOf, seal } from '../../src/audit/chain.js';
import { chainFiles, rotatedFiles } from '../../src/audit/files.js';
import type { AuditRecord, DecisionRecord, OutcomeRecord, PolicyRecord } from '../../src/audit/records.js';
import { plainLine, recentDecisions } from '../../src/audit/tail.js';
import { verifyChain } from '../../src/audit/verify.js';
import type { CanonicalRequest, StartApp } from '../../src/model/requests.js';
import { startApp as app } from '../helpers/fixtures.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schemas', 'audit-record.schema.json'), 'utf8')) as object;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SECRET = 'sk-live-abc123SECRET';
const OTHER_SECRET = 'ghp_unitSECRETxyz789';

// Formats are not validated by ajv here (ajv-formats is not a dependency): the uuid is checked by a regex.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validateRecord = ajv.compile(SCHEMA);

const POLICY: PolicyRecord = { sources: ['/repo/pm2-mcp.config.json', 'preset:standard'], sha256: 'a'.repeat(64), preset: 'standard', mode: 'enforce' };
const CALLER: CallerInfo = { transport: 'stdio', principal: 'local', client: { name: 'unit-client', version: '9.9.9' } };

let tmp = '';
let counter = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pm2-mcp-audit-'));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A fresh folder per test: rotated files are found by listing the log's folder. */
async function freshDir(): Promise<string> {
  const dir = join(tmp, `d${counter++}`);
  await mkdir(dir);
  return dir;
}

function newLog(file: string, opts: { maxBytes?: number; fsync?: boolean; mode?: 'enforce' | 'audit'; lockWaitMs?: number } = {}): AuditLog {
  return new AuditLog({ file, fsync: opts.fsync ?? false, maxBytes: opts.maxBytes ?? 50 * 1024 * 1024, policy: { ...POLICY, mode: opts.mode ?? 'enforce' }, server: serverRecord('test'), ...(opts.lockWaitMs !== undefined ? { lockWaitMs: opts.lockWaitMs } : {}) });
}

function readRequest(operation = 'pm2_list_processes'): CanonicalRequest {
  return { kind: 'read', operation, targets: [] };
}

function startApp(env: Record<string, string>): StartApp {
  return app({ interpreter: { name: 'node', path: process.execPath }, args: ['--port', '3000'], env });
}

function decisionEntry(over: Partial<DecisionEntry> = {}): DecisionEntry {
  const effect: AuditEffect = over.effect ?? 'allow';
  return {
    decisionId: randomUUID(),
    operation: 'pm2_list_processes',
    request: readRequest(),
    decision: { effect: effect === 'allow' ? 'allow' : 'deny', ruleId: 'tools.pm2_list_processes', reason: `pm2_list_processes is ${effect === 'allow' ? 'allowed' : 'denied'}` },
    effect,
    caller: CALLER,
    ...over,
  };
}

function outcomeEntry(decisionId: string, over: Partial<OutcomeEntry> = {}): OutcomeEntry {
  return { decisionId, ok: true, durationMs: 12.345678, affected: [0, 1], ...over };
}

function linesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file} does not end with a newline`);
  return text.split('\n').slice(0, -1);
}

function recordsOf(file: string): AuditRecord[] {
  return linesOf(file).map((l) => JSON.parse(l) as AuditRecord);
}

/** Six records: decision allow + outcome, decision deny, decision allow + outcome, decision would_deny. */
async function sixRecords(file: string): Promise<void> {
  const log = newLog(file);
  const d1 = decisionEntry();
  await log.decision(d1);
  await log.outcome(outcomeEntry(d1.decisionId));
  await log.decision(decisionEntry({ operation: 'pm2_kill_daemon', request: { kind: 'daemon', operation: 'pm2_kill_daemon' }, effect: 'deny', decision: { effect: 'deny', ruleId: 'tools.pm2_kill_daemon', reason: 'pm2_kill_daemon is off' } }));
  const d3 = decisionEntry({ operation: 'pm2_start_process', request: { kind: 'start', operation: 'pm2_start_process', apps: [startApp({ NODE_ENV: 'production' })] } });
  await log.decision(d3);
  await log.outcome(outcomeEntry(d3.decisionId, { affected: [3] }));
  await log.decision(decisionEntry({ effect: 'would_deny', decision: { effect: 'deny', ruleId: 'start.cwd', reason: 'cwd is outside the allowed folders' } }));
}

// =============================================================================================

describe('canonicalJson', () => {
  test('the same value whatever order its keys were built in', () => {
    const a = { b: 1, a: { y: [1, { d: 4, c: 3 }], x: 'x' }, c: null };
    const b = { c: null, a: { x: 'x', y: [1, { c: 3, d: 4 }] }, b: 1 };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"a":{"x":"x","y":[1,{"c":3,"d":4}]},"b":1,"c":null}');
  });

  test('arrays keep their order; nested arrays and objects are canonical too', () => {
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    assert.equal(canonicalJson([[{ b: 2, a: 1 }], []]), '[[{"a":1,"b":2}],[]]');
    assert.equal(canonicalJson({ z: {}, y: [] }), '{"y":[],"z":{}}');
  });

  test('undefined properties are dropped (as JSON.stringify does); undefined in an array is null', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(canonicalJson({ a: { b: undefined } }), '{"a":{}}');
    assert.equal(canonicalJson([undefined, 1]), '[null,1]');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson({ a: undefined, b: 1 }), canonicalJson({ b: 1 }));
  });

  test('scalars and strings serialize as JSON does, without white space', () => {
    for (const v of [0, -1.5, 1e21, true, false, null, 'é 日本語 🙂', 'quote " and \\ and \n', '\u2028']) assert.equal(canonicalJson(v), JSON.stringify(v));
    assert.equal(canonicalJson({ 'b c': 1, a: 'x' }), '{"a":"x","b c":1}');
  });

  test('it round-trips: parsing the canonical form gives the same canonical form', () => {
    const v = { k: [1, 'two', { three: 3, four: [4] }], e: '\u0000\u001f' };
    assert.equal(canonicalJson(JSON.parse(canonicalJson(v))), canonicalJson(v));
  });
});

// =============================================================================================

describe('records and the chain', () => {
  let file = '';

  before(async () => {
    file = join(await freshDir(), 'audit.jsonl');
    const log = newLog(file, { fsync: true });
    const d1 = decisionEntry();
    await log.decision(d1);
    await log.outcome(outcomeEntry(d1.decisionId));
    const d2 = decisionEntry({ caller: { transport: 'http', sessionId: 'sess-1', principal: 'ci' }, effect: 'deny', decision: { effect: 'deny', ruleId: 'processes.scope', reason: 'out of scope', hint: 'add it to processes.names' } });
    await log.decision(d2);
    await log.decision(decisionEntry({ operation: 'pm2_start_process', request: { kind: 'start', operation: 'pm2_start_process', apps: [startApp({ NODE_ENV: 'dev' })] }, effect: 'would_deny' }));
    await log.outcome(outcomeEntry(randomUUID(), { ok: false, error: 'pm2 said no', affected: [] }));
    await log.decision(decisionEntry({ request: null, args: { lines: -1 }, effect: 'deny', decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'Invalid arguments' } }));
  });

  test('every record validates against schemas/audit-record.schema.json, decision_id a uuid', () => {
    const records = recordsOf(file);
    assert.equal(records.length, 6);
    for (const [i, r] of records.entries()) {
      assert.ok(validateRecord(r), `line ${i + 1}: ${ajv.errorsText(validateRecord.errors)}`);
      assert.match(r.decision_id, UUID, `line ${i + 1}`);
    }
  });

  test('a decision carries tool, effect, rule, reason, caller, policy and server', () => {
    const [d1, , d2] = recordsOf(file) as DecisionRecord[];
    assert.equal(d1!.kind, 'decision');
    assert.equal(d1!.tool, 'pm2_list_processes');
    assert.equal(d1!.effect, 'allow');
    assert.equal(d1!.rule, 'tools.pm2_list_processes');
    assert.deepEqual(d1!.input, readRequest());
    assert.deepEqual(d1!.caller, { transport: 'stdio', session_id: null, client: { name: 'unit-client', version: '9.9.9' }, principal: 'local', os_user: d1!.caller.os_user });
    assert.ok(d1!.caller.os_user.length > 0);
    assert.deepEqual(d1!.policy, POLICY);
    assert.deepEqual(d1!.server, { version: 'test', pid: process.pid, host: hostname() });
    assert.deepEqual(d2!.caller, { transport: 'http', session_id: 'sess-1', client: null, principal: 'ci', os_user: d1!.caller.os_user });
    assert.equal(d2!.effect, 'deny');
  });

  test('an outcome carries ok, error, duration in ms (µs precision) and the affected pm_ids', () => {
    const records = recordsOf(file);
    const o1 = records[1] as OutcomeRecord;
    assert.equal(o1.kind, 'outcome');
    assert.equal(o1.decision_id, records[0]!.decision_id);
    assert.deepEqual([o1.ok, o1.error, o1.duration_ms, o1.affected], [true, null, 12.346, [0, 1]]);
    const failed = records[4] as OutcomeRecord;
    assert.deepEqual([failed.ok, failed.error, failed.affected], [false, 'pm2 said no', []]);
  });

  test('the timestamps are ISO 8601 UTC with milliseconds and never go backward', () => {
    const stamps = recordsOf(file).map((r) => r.timestamp);
    for (const t of stamps) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual([...stamps].sort(), stamps);
  });

  test('the first record\'s prev is 64 zeros; each prev is the hash of the line before', () => {
    const records = recordsOf(file);
    assert.equal(GENESIS, '0'.repeat(64));
    assert.equal(records[0]!.prev, GENESIS);
    for (let i = 1; i < records.length; i++) assert.equal(records[i]!.prev, records[i - 1]!.hash, `line ${i + 1}`);
  });

  test('each hash is the sha256 of the canonical JSON of the record without its hash', () => {
    for (const r of recordsOf(file)) {
      assert.match(r.hash, HEX64);
      const { hash: _hash, ...body } = r;
      assert.equal(r.hash, createHash('sha256').update(canonicalJson(body)).digest('hex'));
      assert.equal(r.hash, hashOf(r as unknown as Record<string, unknown>));
    }
  });

  test('verifyChain: intact, with the right count and the one file', async () => {
    assert.deepEqual(await verifyChain(file), { status: 'intact', files: [file], records: 6 });
  });

  test('an empty log is intact with 0 records', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'empty.jsonl'), '');
    assert.deepEqual(await verifyChain(join(dir, 'empty.jsonl')), { status: 'intact', files: [join(dir, 'empty.jsonl')], records: 0 });
  });

  test('a new writer on an existing log continues its chain', async () => {
    const dir = await freshDir();
    const f = join(dir, 'audit.jsonl');
    await sixRecords(f);
    const lastHash = recordsOf(f).at(-1)!.hash;
    await newLog(f).decision(decisionEntry());
    assert.equal(recordsOf(f).at(-1)!.prev, lastHash);
    assert.deepEqual(await verifyChain(f), { status: 'intact', files: [f], records: 7 });
  });

  test('a refused call whose arguments are missing still writes a record with an input field', async () => {
    const f = join(await freshDir(), 'audit.jsonl');
    await newLog(f).decision(decisionEntry({ request: null, effect: 'deny', decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'no arguments' } }));
    const [r] = recordsOf(f);
    assert.ok(validateRecord(r), ajv.errorsText(validateRecord.errors));
  });
});

// =============================================================================================
// The tamper table: each case changes a copy of a six-record log; verify must report the first
// line where the chain no longer holds, and say what is wrong with it.

interface Tamper {
  name: string;
  change: (lines: string[]) => string;
  line: number;
  why: RegExp;
}

const EDITED = /the record was edited: its content does not match its hash/;
const LINKS = /prev is not the hash of the record before it: a record was removed, inserted or moved/;
const TORN = /the last line is not terminated: a torn or truncated write/;
const NOT_JSON = /not a JSON record/;

const joinLines = (lines: string[]) => `${lines.join('\n')}\n`;
const editLine = (lines: string[], i: number, edit: (r: Record<string, unknown>) => void): string[] =>
  lines.map((l, j) => {
    if (j !== i) return l;
    const r = JSON.parse(l) as Record<string, unknown>;
    edit(r);
    return JSON.stringify(r);
  });

const TAMPERS: Tamper[] = [
  { name: 'edit the reason of a decision', change: (ls) => joinLines(editLine(ls, 2, (r) => (r.reason = 'nothing to see'))), line: 3, why: EDITED },
  { name: 'turn an allow into a deny', change: (ls) => joinLines(editLine(ls, 0, (r) => (r.effect = 'deny'))), line: 1, why: EDITED },
  { name: 'turn a deny into an allow', change: (ls) => joinLines(editLine(ls, 2, (r) => (r.effect = 'allow'))), line: 3, why: EDITED },
  { name: 'move a timestamp by one millisecond', change: (ls) => joinLines(editLine(ls, 4, (r) => (r.timestamp = new Date(Date.parse(r.timestamp as string) + 1).toISOString()))), line: 5, why: EDITED },
  { name: 'edit one character of the raw text', change: (ls) => joinLines(ls.map((l, i) => (i === 3 ? l.replace('"name":"web"', '"name":"wob"') : l))), line: 4, why: EDITED },
  { name: 'change the affected pm_ids of an outcome', change: (ls) => joinLines(editLine(ls, 1, (r) => (r.affected = []))), line: 2, why: EDITED },
  { name: 'add a field', change: (ls) => joinLines(editLine(ls, 2, (r) => (r.note = 'added'))), line: 3, why: EDITED },
  {
    name: 'edit a field and recompute that record\'s hash: caught at the next record',
    change: (ls) => joinLines(editLine(ls, 2, (r) => {
      r.reason = 'rewritten';
      r.hash = hashOf(r);
    })),
    line: 4,
    why: LINKS,
  },
  {
    name: 'edit the first record and recompute its hash: caught at the second',
    change: (ls) => joinLines(editLine(ls, 0, (r) => {
      r.effect = 'deny';
      r.hash = hashOf(r);
    })),
    line: 2,
    why: LINKS,
  },
  { name: 'remove a middle record', change: (ls) => joinLines(ls.filter((_, i) => i !== 2)), line: 3, why: LINKS },
  { name: 'remove the first record', change: (ls) => joinLines(ls.slice(1)), line: 1, why: /the chain does not start at its beginning/ },
  { name: 'remove the first two records', change: (ls) => joinLines(ls.slice(2)), line: 1, why: /the chain does not start at its beginning/ },
  {
    name: 'insert a forged record that links to the one before and has a correct own hash: caught at the next',
    change: (ls) => {
      const before = JSON.parse(ls[1]!) as AuditRecord;
      const { hash: _h, prev: _p, ...body } = JSON.parse(ls[0]!) as AuditRecord;
      const forged = seal({ ...body, decision_id: randomUUID(), tool: 'pm2_kill_daemon' } as Record<string, unknown>, before.hash);
      assert.equal(forged.hash, hashOf(forged));
      return joinLines([...ls.slice(0, 2), JSON.stringify(forged), ...ls.slice(2)]);
    },
    line: 4,
    why: LINKS,
  },
  {
    name: 'insert a forged first record with prev 0…0 and a correct own hash: caught at the next',
    change: (ls) => {
      const { hash: _h, prev: _p, ...body } = JSON.parse(ls[0]!) as AuditRecord;
      return joinLines([JSON.stringify(seal({ ...body, decision_id: randomUUID() } as Record<string, unknown>, GENESIS)), ...ls]);
    },
    line: 2,
    why: LINKS,
  },
  { name: 'swap two records', change: (ls) => joinLines([ls[0]!, ls[1]!, ls[3]!, ls[2]!, ls[4]!, ls[5]!]), line: 3, why: LINKS },
  { name: 'swap the first two records', change: (ls) => joinLines([ls[1]!, ls[0]!, ...ls.slice(2)]), line: 1, why: /the chain does not start at its beginning/ },
  { name: 'duplicate a record', change: (ls) => joinLines([...ls.slice(0, 3), ls[2]!, ...ls.slice(3)]), line: 4, why: LINKS },
  { name: 'duplicate the last record', change: (ls) => joinLines([...ls, ls[5]!]), line: 7, why: LINKS },
  { name: 'a torn last line: no trailing newline', change: (ls) => ls.join('\n'), line: 6, why: TORN },
  { name: 'a torn last line: half a line', change: (ls) => `${ls.slice(0, 5).join('\n')}\n${ls[5]!.slice(0, Math.floor(ls[5]!.length / 2))}`, line: 6, why: TORN },
  { name: 'a half line ended by a newline', change: (ls) => joinLines([...ls.slice(0, 5), ls[5]!.slice(0, 100)]), line: 6, why: NOT_JSON },
  { name: 'a non-JSON line in the middle', change: (ls) => joinLines([...ls.slice(0, 2), 'hello, auditor', ...ls.slice(2)]), line: 3, why: NOT_JSON },
  { name: 'an empty line in the middle', change: (ls) => joinLines([...ls.slice(0, 2), '', ...ls.slice(2)]), line: 3, why: NOT_JSON },
  { name: 'a JSON value that is not a record', change: (ls) => joinLines([...ls.slice(0, 2), '[1,2,3]', ...ls.slice(2)]), line: 3, why: /no hash or prev field/ },
  { name: 'a record without its hash field', change: (ls) => joinLines(editLine(ls, 3, (r) => delete r.hash)), line: 4, why: /no hash or prev field/ },
  { name: 'a record without its prev field', change: (ls) => joinLines(editLine(ls, 3, (r) => delete r.prev)), line: 4, why: /no hash or prev field/ },
];

describe('verifyChain catches tampering at the exact line', () => {
  let base: string[] = [];
  let dir = '';

  before(async () => {
    dir = await freshDir();
    await sixRecords(join(dir, 'base.jsonl'));
    base = linesOf(join(dir, 'base.jsonl'));
    assert.equal(base.length, 6);
    assert.equal((await verifyChain(join(dir, 'base.jsonl'))).status, 'intact');
  });

  for (const [i, t] of TAMPERS.entries()) {
    test(t.name, async () => {
      const file = join(dir, `tampered-${i}.jsonl`);
      await writeFile(file, t.change([...base]));
      const r = await verifyChain(file);
      assert.equal(r.status, 'broken', JSON.stringify(r));
      if (r.status !== 'broken') return;
      assert.equal(r.file, file);
      assert.equal(r.line, t.line, r.why);
      assert.match(r.why, t.why);
      if (!TORN.test(r.why)) assert.equal(r.records, t.line - 1, 'the records before the break are counted');
    });
  }

  test('a torn last line: the records before it are counted', async () => {
    const file = join(dir, 'torn-count.jsonl');
    await writeFile(file, base.join('\n'));
    const r = await verifyChain(file);
    assert.equal(r.status, 'broken');
    assert.equal(r.status === 'broken' && r.records, 5);
  });

  test('a line that is JSON null is reported as broken, not thrown', async () => {
    const file = join(dir, 'null-line.jsonl');
    await writeFile(file, joinLines([...base.slice(0, 2), 'null', ...base.slice(2)]));
    const r = await verifyChain(file);
    assert.equal(r.status, 'broken');
    assert.equal(r.status === 'broken' && r.line, 3);
  });

  test('an unreadable file: status unreadable with the file and why', async () => {
    const missing = join(dir, 'missing.jsonl');
    const r = await verifyChain(missing);
    assert.equal(r.status, 'unreadable');
    assert.equal(r.status === 'unreadable' && r.file, missing);
    assert.match(r.status === 'unreadable' ? r.why : '', /ENOENT/);
    const aDir = join(dir, 'a-folder.jsonl');
    await mkdir(aDir);
    const d = await verifyChain(aDir);
    assert.equal(d.status, 'unreadable');
    assert.match(d.status === 'unreadable' ? d.why : '', /EISDIR/);
  });
});

// =============================================================================================

describe('the writer after a torn write', () => {
  test('a record appended after a torn last line lands on a line of its own', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    await sixRecords(file);
    await truncate(file, statSync(file).size - 40);
    const d = decisionEntry();
    await newLog(file).decision(d);
    const parsed = readFileSync(file, 'utf8').split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l) as AuditRecord];
      } catch {
        return [];
      }
    });
    assert.ok(parsed.some((r) => r.decision_id === d.decisionId), 'the record written after the torn line cannot be read');
  });
});

// =============================================================================================

/** 30 records (15 decisions, each with its outcome) into a log that rotates at 2000 bytes. */
async function rotatedLog(file: string, maxBytes = 2000): Promise<void> {
  const log = newLog(file, { maxBytes });
  for (let i = 0; i < 15; i++) {
    const d = decisionEntry({ operation: 'pm2_describe_process', request: readRequest(`pm2_describe_process#${i}`) });
    await log.decision(d);
    await log.outcome(outcomeEntry(d.decisionId, { affected: [i] }));
  }
}

describe('rotation', () => {
  const MAX = 2000;
  let dir = '';
  let file = '';

  before(async () => {
    dir = await freshDir();
    file = join(dir, 'audit.jsonl');
    await rotatedLog(file, MAX);
  });

  test('FILE.1, FILE.2 … exist, none grows past maxBytes by more than its last record', async () => {
    const rotated = await rotatedFiles(file);
    assert.ok(rotated.length >= 3, `only ${rotated.length} rotated files`);
    assert.deepEqual(rotated, rotated.map((_, i) => `${file}.${i + 1}`));
    const maxLine = Math.max(...(await chainFiles(file)).flatMap((f) => linesOf(f).map((l) => Buffer.byteLength(l) + 1)));
    for (const f of await chainFiles(file)) {
      const size = statSync(f).size;
      const lines = linesOf(f);
      assert.ok(lines.length >= 1, `${f} is empty`);
      assert.ok(size <= MAX + maxLine, `${f} is ${size} bytes`);
      // It was under maxBytes before its last record was appended.
      assert.ok(size - Buffer.byteLength(lines.at(-1)!) - 1 < MAX, `${f} was rotated late`);
    }
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.lock')), [], 'a lock file was left behind');
  });

  test('the chain runs across the files: each file starts with the hash of the one before', async () => {
    const files = await chainFiles(file);
    let prev = GENESIS;
    let count = 0;
    for (const f of files) {
      for (const r of recordsOf(f)) {
        assert.equal(r.prev, prev, `${basename(f)}`);
        prev = r.hash;
        count++;
      }
    }
    assert.equal(count, 30);
  });

  test('verify follows the chain across them: intact, total count right, every file named', async () => {
    const r = await verifyChain(file);
    assert.deepEqual(r, { status: 'intact', files: await chainFiles(file), records: 30 });
  });

  test('removing FILE.1 is detected: the chain does not start at its beginning', async () => {
    const copy = join(await freshDir(), 'audit.jsonl');
    await rotatedLog(copy, MAX);
    await unlink(`${copy}.1`);
    const r = await verifyChain(copy);
    assert.equal(r.status, 'broken');
    if (r.status !== 'broken') return;
    assert.equal(r.file, `${copy}.2`);
    assert.equal(r.line, 1);
    assert.match(r.why, /does not start at its beginning/);
  });

  test('removing a middle rotated file is detected at the first record after the gap', async () => {
    const copy = join(await freshDir(), 'audit.jsonl');
    await rotatedLog(copy, MAX);
    await unlink(`${copy}.2`);
    const r = await verifyChain(copy);
    assert.equal(r.status, 'broken');
    if (r.status !== 'broken') return;
    assert.equal(r.file, `${copy}.3`);
    assert.equal(r.line, 1);
    assert.match(r.why, LINKS);
    assert.equal(r.records, linesOf(`${copy}.1`).length);
  });

  test('tampering in FILE.2 is reported with that file\'s name and line', async () => {
    const copy = join(await freshDir(), 'audit.jsonl');
    await rotatedLog(copy, MAX);
    const lines = linesOf(`${copy}.2`);
    assert.ok(lines.length >= 2);
    await writeFile(`${copy}.2`, joinLines(editLine(lines, 1, (r) => (r.ok = false))));
    const r = await verifyChain(copy);
    assert.equal(r.status, 'broken');
    if (r.status !== 'broken') return;
    assert.equal(r.file, `${copy}.2`);
    assert.equal(r.line, 2);
    assert.match(r.why, EDITED);
    assert.equal(r.records, linesOf(`${copy}.1`).length + 1);
  });

  test('a writer whose FILE is missing continues from the newest rotated file', async () => {
    const copy = join(await freshDir(), 'audit.jsonl');
    await rotatedLog(copy, MAX);
    const n = (await rotatedFiles(copy)).length;
    await rename(copy, `${copy}.${n + 1}`);
    await newLog(copy, { maxBytes: MAX }).decision(decisionEntry());
    assert.deepEqual(await verifyChain(copy), { status: 'intact', files: await chainFiles(copy), records: 31 });
  });

  test('a rotated file left with an unterminated line does not stop verify from naming it', async () => {
    const copy = join(await freshDir(), 'audit.jsonl');
    await rotatedLog(copy, MAX);
    const text = readFileSync(`${copy}.1`, 'utf8');
    await writeFile(`${copy}.1`, text.slice(0, -1));
    const r = await verifyChain(copy);
    assert.equal(r.status, 'broken');
    assert.equal(r.status === 'broken' && r.file, `${copy}.1`);
  });

  test('verify of a live log that rotates meanwhile never reports a break', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const log = newLog(file, { maxBytes: 1024 });
    await log.decision(decisionEntry());
    let done = false;
    const writer = (async () => {
      for (let i = 0; i < 150; i++) await log.decision(decisionEntry());
      done = true;
    })();
    const alarms: string[] = [];
    while (!done) {
      const r = await verifyChain(file);
      if (r.status !== 'intact') alarms.push(`${r.status}: ${r.why}`);
    }
    await writer;
    assert.equal((await verifyChain(file)).status, 'intact');
    assert.deepEqual(alarms, []);
  });
});

// =============================================================================================

describe('no secret is written', () => {
  test('a start request\'s env values are replaced by a marker, names kept', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const request: CanonicalRequest = { kind: 'start', operation: 'pm2_start_process', apps: [startApp({ STRIPE_API_KEY: SECRET, GITHUB_TOKEN: OTHER_SECRET }), startApp({ DB_PASSWORD: `${SECRET}-2` })] };
    await newLog(file).decision(decisionEntry({ operation: 'pm2_start_process', request }));
    const text = readFileSync(file, 'utf8');
    for (const s of [SECRET, OTHER_SECRET, 'sk-live', 'ghp_']) assert.ok(!text.includes(s), `${s} reached the audit log`);
    const [r] = recordsOf(file) as DecisionRecord[];
    const apps = (r!.input as { apps: StartApp[] }).apps;
    assert.deepEqual(apps[0]!.env, { STRIPE_API_KEY: '[redacted]', GITHUB_TOKEN: '[redacted]' });
    assert.deepEqual(apps[1]!.env, { DB_PASSWORD: '[redacted]' });
    // The caller's object is untouched: the action still gets the real values.
    assert.equal(request.kind === 'start' && request.apps[0]!.env.STRIPE_API_KEY, SECRET);
  });

  test('raw arguments (a call refused before resolving) keep env names, never their values', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const args = { script: 'app.js', instances: 0, env: { STRIPE_API_KEY: SECRET, N: 5, NESTED: { deep: OTHER_SECRET } }, apps: [{ env: { TOKEN: `${SECRET}-in-array` } }] };
    await newLog(file).decision(decisionEntry({ operation: 'pm2_start_process', request: null, args, effect: 'deny', decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'instances: too small' } }));
    const text = readFileSync(file, 'utf8');
    for (const s of [SECRET, OTHER_SECRET]) assert.ok(!text.includes(s), `${s} reached the audit log`);
    const [r] = recordsOf(file) as DecisionRecord[];
    assert.deepEqual(r!.input, { script: 'app.js', instances: 0, env: { STRIPE_API_KEY: '[redacted]', N: '[redacted]', NESTED: '[redacted]' }, apps: [{ env: { TOKEN: '[redacted]' } }] });
    assert.equal(args.env.STRIPE_API_KEY, SECRET, 'the arguments object was changed');
    assert.ok(validateRecord(r), ajv.errorsText(validateRecord.errors));
  });

  test('raw arguments whose env is not an object (a string or a list of NAME=value) do not write the values', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const log = newLog(file);
    await log.decision(decisionEntry({ operation: 'pm2_start_process', request: null, args: { script: 'app.js', env: `STRIPE_API_KEY=${SECRET}` }, effect: 'deny' }));
    await log.decision(decisionEntry({ operation: 'pm2_start_process', request: null, args: { script: 'app.js', env: [`GITHUB_TOKEN=${OTHER_SECRET}`] }, effect: 'deny' }));
    const text = readFileSync(file, 'utf8');
    for (const s of [SECRET, OTHER_SECRET]) assert.ok(!text.includes(s), `${s} reached the audit log`);
  });
});

// =============================================================================================

describe('concurrent writers', () => {
  const assertWhole = async (file: string, expectedIds: string[]) => {
    const files = await chainFiles(file);
    const records = files.flatMap((f) => linesOf(f).map((l, i) => {
      try {
        return JSON.parse(l) as AuditRecord;
      } catch {
        throw new Error(`${basename(f)} line ${i + 1} is not JSON: ${l.slice(0, 80)}`);
      }
    }));
    assert.equal(records.length, expectedIds.length);
    assert.deepEqual(records.map((r) => r.decision_id).sort(), [...expectedIds].sort());
    assert.deepEqual(await verifyChain(file), { status: 'intact', files, records: expectedIds.length });
    assert.ok(!existsSync(`${file}.lock`), 'the lock file was left behind');
  };

  test('200 concurrent decision() calls on one AuditLog', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const log = newLog(file);
    const entries = Array.from({ length: 200 }, () => decisionEntry());
    await Promise.all(entries.map((e) => log.decision(e)));
    await assertWhole(file, entries.map((e) => e.decisionId));
  });

  test('200 concurrent decision() calls on two AuditLog instances of the same file', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const logs = [newLog(file), newLog(file)];
    const entries = Array.from({ length: 200 }, () => decisionEntry());
    await Promise.all(entries.map((e, i) => logs[i % 2]!.decision(e)));
    await assertWhole(file, entries.map((e) => e.decisionId));
  });

  test('decisions and outcomes from three instances, rotating at 4096 bytes, fsync on', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    const logs = [0, 1, 2].map(() => newLog(file, { maxBytes: 4096, fsync: true }));
    const entries = Array.from({ length: 60 }, () => decisionEntry());
    await Promise.all(entries.map(async (e, i) => {
      await logs[i % 3]!.decision(e);
      await logs[(i + 1) % 3]!.outcome(outcomeEntry(e.decisionId));
    }));
    assert.ok((await rotatedFiles(file)).length >= 3);
    await assertWhole(file, entries.flatMap((e) => [e.decisionId, e.decisionId]));
  });
});

// =============================================================================================

describe('when the log cannot be written, decision() rejects', () => {
  // mkdir -p under a regular file fails with EEXIST on Node 20 (ENOTDIR on others).
  const underAFile = (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR' || err.code === 'EEXIST';

  test('a file under a regular file (ENOTDIR)', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'a-regular-file'), 'x');
    const log = newLog(join(dir, 'a-regular-file', 'audit.jsonl'));
    await assert.rejects(log.decision(decisionEntry()), underAFile);
    // Again: a failure is not remembered as success.
    await assert.rejects(log.decision(decisionEntry()), underAFile);
    await assert.rejects(log.outcome(outcomeEntry(randomUUID())), underAFile);
    assert.equal(readFileSync(join(dir, 'a-regular-file'), 'utf8'), 'x');
  });

  test('a file path that is a directory (EISDIR), and no lock file is left behind', async () => {
    const dir = await freshDir();
    const file = join(dir, 'audit.jsonl');
    await mkdir(file);
    await assert.rejects(newLog(file).decision(decisionEntry()), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
    assert.deepEqual(readdirSync(dir), ['audit.jsonl']);
  });

  test('after a refused append the log goes on once it can be written again', async () => {
    const dir = await freshDir();
    const file = join(dir, 'audit.jsonl');
    await mkdir(file);
    const log = newLog(file);
    await assert.rejects(log.decision(decisionEntry()));
    await rm(file, { recursive: true });
    await log.decision(decisionEntry());
    assert.deepEqual(await verifyChain(file), { status: 'intact', files: [file], records: 1 });
  });

  const root = process.getuid?.() === 0;
  test('a read-only file (EACCES)', { skip: root ? 'runs as root, and root writes to a 0400 file anyway' : false }, async () => {
    const dir = await freshDir();
    const file = join(dir, 'audit.jsonl');
    await writeFile(file, '');
    await chmod(file, 0o400);
    await assert.rejects(newLog(file).decision(decisionEntry()), (err: NodeJS.ErrnoException) => err.code === 'EACCES');
  });

  test('a read-only folder (EACCES on the lock)', { skip: root ? 'runs as root, and root writes into a 0500 folder anyway' : false }, async () => {
    const dir = await freshDir();
    await chmod(dir, 0o500);
    try {
      await assert.rejects(newLog(join(dir, 'audit.jsonl')).decision(decisionEntry()), (err: NodeJS.ErrnoException) => err.code === 'EACCES');
    } finally {
      await chmod(dir, 0o700);
    }
  });
});

// =============================================================================================

describe('the lock file', () => {
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', '']);
    assert.ok(r.pid && r.status === 0);
    return r.pid;
  };

  test('a stale lock of a dead process is broken and the append proceeds', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    await writeFile(`${file}.lock`, String(deadPid()));
    const started = Date.now();
    await newLog(file).decision(decisionEntry());
    assert.ok(Date.now() - started < 2_000, `it took ${Date.now() - started} ms`);
    assert.equal(recordsOf(file).length, 1);
    assert.ok(!existsSync(`${file}.lock`));
  });

  test('a lock of a live process is never broken for being old: stale means its holder is gone', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    await writeFile(`${file}.lock`, String(process.pid));
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await assert.rejects(newLog(file, { lockWaitMs: 300 }).decision(decisionEntry()), /the audit log lock .* is held by pid \d+ \(alive\)/);
    assert.equal(existsSync(file) ? recordsOf(file).length : 0, 0);
  });

  test('an empty lock (its writer died before writing its pid) is broken once older than 1 s', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    await writeFile(`${file}.lock`, '');
    const old = new Date(Date.now() - 5_000);
    await utimes(`${file}.lock`, old, old);
    await newLog(file).decision(decisionEntry());
    assert.equal(recordsOf(file).length, 1);
  });

  test('a live lock is waited for, and the append follows once it is released', async () => {
    const file = join(await freshDir(), 'audit.jsonl');
    await writeFile(`${file}.lock`, String(process.pid));
    let done = false;
    const pending = newLog(file).decision(decisionEntry()).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'the append did not wait for the lock');
    assert.equal(existsSync(file) ? readFileSync(file, 'utf8') : '', '');
    await unlink(`${file}.lock`);
    await pending;
    assert.equal(recordsOf(file).length, 1);
  });
});

// =============================================================================================

describe('audit tail: recentDecisions and plainLine', () => {
  let file = '';
  const ids: string[] = [];

  before(async () => {
    file = join(await freshDir(), 'audit.jsonl');
    const log = newLog(file, { maxBytes: 3000 });
    // 1 allow ok, 2 deny, 3 would_deny failed, 4 allow (no outcome yet), 5 deny, 6 allow ok
    const plan: Array<{ effect: AuditEffect; outcome?: Partial<OutcomeEntry> }> = [
      { effect: 'allow', outcome: { ok: true, durationMs: 4.5 } },
      { effect: 'deny' },
      { effect: 'would_deny', outcome: { ok: false, error: 'script not found' } },
      { effect: 'allow' },
      { effect: 'deny' },
      { effect: 'allow', outcome: { ok: true, durationMs: 1 } },
    ];
    for (const [i, p] of plan.entries()) {
      const e = decisionEntry({ effect: p.effect, operation: `tool_${i + 1}`, decision: { effect: p.effect === 'allow' ? 'allow' : 'deny', ruleId: `rule.${i + 1}`, reason: `reason ${i + 1}` } });
      ids.push(e.decisionId);
      await log.decision(e);
      if (p.outcome) await log.outcome(outcomeEntry(e.decisionId, p.outcome));
    }
    // Something that is not JSON is skipped, not fatal.
    await appendFile(file, 'garbage\n');
    assert.ok((await rotatedFiles(file)).length >= 1, 'the tail fixture should span rotated files');
  });

  test('the last N decisions, oldest first, each joined with its outcome', async () => {
    const last3 = await recentDecisions(file, { lines: 3, denied: false });
    assert.deepEqual(last3.map((d) => d.decision.decision_id), ids.slice(3));
    assert.deepEqual(last3.map((d) => d.outcome?.ok), [undefined, undefined, true]);
    const all = await recentDecisions(file, { lines: 100, denied: false });
    assert.deepEqual(all.map((d) => d.decision.decision_id), ids);
    assert.deepEqual(all.map((d) => d.outcome?.decision_id), [ids[0], undefined, ids[2], undefined, undefined, ids[5]]);
  });

  test('--denied keeps deny and would_deny only', async () => {
    const denied = await recentDecisions(file, { lines: 100, denied: true });
    assert.deepEqual(denied.map((d) => d.decision.effect), ['deny', 'would_deny', 'deny']);
    assert.deepEqual(denied.map((d) => d.decision.decision_id), [ids[1], ids[2], ids[4]]);
    const last1 = await recentDecisions(file, { lines: 1, denied: true });
    assert.deepEqual(last1.map((d) => d.decision.decision_id), [ids[4]]);
  });

  test('plainLine: time, who, tool, effect, rule and reason, then the outcome', async () => {
    const all = await recentDecisions(file, { lines: 100, denied: false });
    const lines = all.map(plainLine);
    const ts = all.map((d) => d.decision.timestamp);
    assert.equal(lines[0], `${ts[0]}  local (unit-client 9.9.9)  tool_1  allow  rule.1: reason 1 → ok 4.5 ms`);
    assert.equal(lines[1], `${ts[1]}  local (unit-client 9.9.9)  tool_2  deny  rule.2: reason 2`);
    assert.equal(lines[2], `${ts[2]}  local (unit-client 9.9.9)  tool_3  would_deny  rule.3: reason 3 → failed: script not found`);
    assert.equal(lines[3], `${ts[3]}  local (unit-client 9.9.9)  tool_4  allow  rule.4: reason 4`);
    const noClient = plainLine({ decision: { ...all[0]!.decision, caller: { ...all[0]!.decision.caller, client: null, principal: 'ci' } } });
    assert.equal(noClient, `${ts[0]}  ci  tool_1  allow  rule.1: reason 1`);
  });

  test('a missing log has no decisions', async () => {
    assert.deepEqual(await recentDecisions(join(await freshDir(), 'none.jsonl'), { lines: 5, denied: false }), []);
  });

  test('the raw text of the fixture is JSON lines apart from the garbage line', async () => {
    const text = await readFile(file, 'utf8');
    assert.ok(text.endsWith('garbage\n'));
  });
});
