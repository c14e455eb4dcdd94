// Bounds of the audit log (src/audit/): a decision record's input is kept by its sha256 and a
// summary past MAX_INPUT_BYTES, reason / error / client strings are cut; the chain's last line is
// found in O(line); and everything `pm2-mcp audit tail` / `audit verify` print is escaped, in
// text and in JSON. Attack rows: YAML-alias style expansions (one array shared by every app),
// inputs forged to look truncated, ESC / CSI sequences, bidirectional and invisible characters.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { AuditLog, MAX_CLIENT_CHARS, MAX_INPUT_BYTES, MAX_TEXT_CHARS, MAX_TOOL_CHARS, canonicalDigest, cut, serverRecord, type TruncatedInput } from '../../src/audit/audit-log.js';
import type { CallerInfo, DecisionEntry } from '../../src/audit/auditor.js';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { lastLineSync } from '../../src/audit/files.js';
import type { AuditRecord, DecisionRecord, OutcomeRecord, PolicyRecord } from '../../src/audit/records.js';
import { jsonLine, plainLine, recentDecisions, safe, safeJson } from '../../src/audit/tail.js';
import { verifyChain } from '../../src/audit/verify.js';
import { audit } from '../../src/commands/audit.js';
import { parseCli } from '../../src/options.js';
import { redactRequest } from '../../src/policy/redact-request.js';
import type { CanonicalRequest, StartApp } from '../../src/model/requests.js';
import { startApp as app, startRequest } from '../helpers/fixtures.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validateRecord = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'audit-record.schema.json'), 'utf8')) as object);
const POLICY: PolicyRecord = { sources: ['preset:standard'], sha256: 'a'.repeat(64), preset: 'standard', mode: 'enforce' };
const CALLER: CallerInfo = { transport: 'stdio', principal: 'local', client: { name: 'unit-client', version: '1.0.0' } };
const SECRET = 'sk-live-boundsSECRET42';
/** Every character a terminal must never receive raw, as the attacks below use them. */
const UNSAFE_RAW = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

let tmp = '';
let counter = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pm2-mcp-audit-bounds-'));
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function freshFile(name = 'audit.jsonl'): Promise<string> {
  const dir = join(tmp, `d${counter++}`);
  await mkdir(dir);
  return join(dir, name);
}

function newLog(file: string): AuditLog {
  return new AuditLog({ file, fsync: false, maxBytes: 50 * 1024 * 1024, policy: POLICY, server: serverRecord('test') });
}

function startEntry(apps: StartApp[], over: Partial<DecisionEntry> = {}): DecisionEntry {
  return {
    decisionId: randomUUID(),
    operation: 'pm2_start_process',
    request: startRequest(apps),
    decision: { effect: 'allow', ruleId: 'start', reason: 'allowed' },
    effect: 'allow',
    caller: CALLER,
    ...over,
  };
}

function records(file: string): AuditRecord[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
}

async function writeOne(entry: DecisionEntry): Promise<{ file: string; record: DecisionRecord; line: string }> {
  const file = await freshFile();
  const log = newLog(file);
  await log.decision(entry);
  await log.flush();
  const line = readFileSync(file, 'utf8').trimEnd();
  const record = JSON.parse(line) as DecisionRecord;
  assert.ok(validateRecord(record), JSON.stringify(validateRecord.errors));
  assert.equal((await verifyChain(file)).status, 'intact');
  return { file, record, line };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// =============================================================================================

describe('lastLineSync: the last line in O(line)', () => {
  const CHUNK = 65536;
  const long = (n: number, ch = 'x') => ch.repeat(n);
  const cases: Array<{ name: string; content: string | Buffer; expected: string | undefined }> = [
    { name: 'an empty file', content: '', expected: undefined },
    { name: 'only newlines', content: '\n\n\n', expected: undefined },
    { name: 'one line, no newline', content: 'abc', expected: 'abc' },
    { name: 'one line with its newline', content: 'abc\n', expected: 'abc' },
    { name: 'two lines', content: 'a\nb\n', expected: 'b' },
    { name: 'two lines, the last without newline', content: 'a\nb', expected: 'b' },
    { name: 'several trailing newlines', content: 'a\nb\n\n\n', expected: 'b' },
    { name: 'a leading newline', content: '\nb\n', expected: 'b' },
    { name: 'multi-byte characters', content: 'x\né🙂\u202e\n', expected: 'é🙂\u202e' },
    { name: 'a carriage return is part of the line', content: 'a\nb\r\n', expected: 'b\r' },
    { name: 'a line of exactly one chunk', content: `a\n${long(CHUNK)}\n`, expected: long(CHUNK) },
    { name: 'a line one byte short of a chunk', content: `a\n${long(CHUNK - 1)}\n`, expected: long(CHUNK - 1) },
    { name: 'a line one byte past a chunk', content: `a\n${long(CHUNK + 1)}\n`, expected: long(CHUNK + 1) },
    { name: 'the line\'s newline exactly at a chunk boundary', content: `${long(CHUNK - 1)}\n${long(CHUNK)}`, expected: long(CHUNK) },
    { name: 'a whole file of one long line, no newline', content: long(3 * CHUNK + 7), expected: long(3 * CHUNK + 7) },
    // 🙂 is four bytes: with an odd lead they straddle every chunk boundary; decoded once, whole.
    { name: 'emoji straddling chunk boundaries', content: `a\nz${long(CHUNK, '🙂')}\n`, expected: `z${long(CHUNK, '🙂')}` },
    { name: 'trailing newlines longer than a chunk', content: `a\nlast${'\n'.repeat(CHUNK + 5)}`, expected: 'last' },
    { name: 'a record, then a torn fragment', content: '{"hash":"h1"}\n{"hash":"h2', expected: '{"hash":"h2' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const file = await freshFile('f.txt');
      writeFileSync(file, c.content);
      assert.equal(lastLineSync(file), c.expected);
    });
  }

  test('a missing file has no last line', async () => {
    assert.equal(lastLineSync(join(tmp, 'nope', 'missing.jsonl')), undefined);
  });

  test('a 12 MiB last line is found whole and fast (the old scan re-decoded the tail per chunk: seconds)', async () => {
    const file = await freshFile('big.jsonl');
    const line = `{"hash":"${'b'.repeat(12 * 1024 * 1024)}"}`;
    writeFileSync(file, `{"hash":"first"}\n${line}\n\n`);
    const t0 = performance.now();
    const found = lastLineSync(file);
    const ms = performance.now() - t0;
    assert.equal(found?.length, line.length);
    assert.equal(found, line);
    // O(line) takes ~50 ms here; the quadratic scan took ~8 s for this size. A wide margin both ways.
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  test('the writer continues the chain after a multi-megabyte record', async () => {
    const file = await freshFile();
    const log = newLog(file);
    // A reason is cut, an input hashed: to get a long line, the caller's session id (not bounded) is long.
    await log.decision({ ...startEntry([app()]), caller: { ...CALLER, sessionId: 's'.repeat(3 * 1024 * 1024) } });
    await log.flush();
    await newLog(file).decision(startEntry([app()]));
    const all = records(file);
    assert.equal(all.length, 2);
    assert.equal(all[1]!.prev, all[0]!.hash);
    assert.equal((await verifyChain(file)).status, 'intact');
  });
});

describe('cut', () => {
  const cases: Array<{ name: string; text: string; max: number; expected?: string; check?: (out: string) => void }> = [
    { name: 'short text is kept', text: 'abc', max: 10, expected: 'abc' },
    { name: 'text of exactly max is kept', text: 'x'.repeat(64), max: 64, expected: 'x'.repeat(64) },
    { name: 'long text is cut to max, the cut said', text: 'x'.repeat(1000), max: 64, check: (o) => {
      assert.equal(o.length, 64);
      assert.ok(o.endsWith('… [1000 characters, cut]'), o);
      assert.ok(o.startsWith('xxxx'));
    } },
    { name: 'never half a surrogate pair', text: `${'x'.repeat(35)}${'🙂'.repeat(100)}`, max: 64, check: (o) => {
      assert.ok(o.length <= 64);
      assert.doesNotMatch(o, /\p{Cs}/u, 'a lone surrogate was left');
    } },
    { name: 'a max smaller than the note', text: 'x'.repeat(100), max: 5, check: (o) => assert.ok(o.startsWith('… ['), o) },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = cut(c.text, c.max);
      if (c.expected !== undefined) assert.equal(out, c.expected);
      c.check?.(out);
    });
  }

  test('the surrogate guard matters: every cut position of an emoji run stays well formed', () => {
    for (let max = 30; max < 40; max++) assert.doesNotMatch(cut('🙂'.repeat(50), max), /\p{Cs}/u, `max ${max}`);
  });
});

describe('canonicalDigest: the sha256 and size of canonicalJson, without building it', () => {
  const shared = Array.from({ length: 2000 }, (_, i) => `arg-${i}-é`);
  const values: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 12.5],
    ['a string with quotes and controls', 'a"b\\c\n\u001b[31m'],
    ['unicode: é, 🙂, U+202E, a lone surrogate', 'é🙂\u202e\ud800'],
    ['an empty object and array', { a: {}, b: [] }],
    ['keys in any order', { b: 1, a: 2, c: { z: 1, y: [3, 2, 1] } }],
    ['undefined dropped in objects, null in arrays', { a: undefined, b: [undefined, 1] }],
    ['a canonical request', redactRequest({ kind: 'start', operation: 'pm2_start_process', apps: [app({ env: { A: SECRET } })] })],
    // Past the 64 KiB flush of pending text, with multi-byte characters on both sides of it.
    ['a shared array referenced 50 times (a YAML alias expansion)', { apps: Array.from({ length: 50 }, () => ({ args: shared })) }],
  ];
  for (const [name, value] of values) {
    test(name, () => {
      const json = canonicalJson(value);
      assert.deepEqual(canonicalDigest(value), { sha256: sha256(json), bytes: Buffer.byteLength(json) });
    });
  }
});

describe('a decision record\'s input is bounded', () => {
  test('an ordinary start is kept verbatim', async () => {
    const apps = [app({ env: { NODE_ENV: 'x' } })];
    const { record } = await writeOne(startEntry(apps));
    assert.deepEqual(record.input, redactRequest({ kind: 'start', operation: 'pm2_start_process', apps }));
  });

  test('YAML-alias style expansion: one 20,000-item args array shared by 50 apps is kept as sha256 + summary', async () => {
    const shared = Array.from({ length: 20_000 }, (_, i) => `--flag-${i}`);
    const apps = Array.from({ length: 50 }, (_, i) => app({
      name: `app-${i}`,
      script: `/repo/apps/${i}.js`,
      args: shared,
      env: { SECRET_TOKEN: SECRET },
      origin: { kind: 'ecosystem', file: '/repo/ecosystem.yaml', index: i },
    }));
    const entry = startEntry(apps);
    const { record, line } = await writeOne(entry);
    const expectedJson = canonicalJson(redactRequest(entry.request!));
    assert.ok(Buffer.byteLength(expectedJson) > 10 * 1024 * 1024, 'the input should be megabytes');
    assert.ok(line.length < 8 * 1024, `the record is ${line.length} bytes`);
    const input = record.input as TruncatedInput;
    assert.equal(input.truncated, true);
    assert.equal(input.sha256, sha256(expectedJson), 'sha256 of the canonical JSON of the redacted input');
    assert.equal(input.bytes, Buffer.byteLength(expectedJson));
    assert.deepEqual(input.summary, {
      kind: 'start',
      operation: 'pm2_start_process',
      apps: [0, 1, 2, 3, 4].map((i) => ({ name: `app-${i}`, script: `/repo/apps/${i}.js` })),
      ecosystem_file: '/repo/ecosystem.yaml',
      counts: { apps: 50, env: 50, args: 50 * 20_000 },
    });
    assert.ok(!line.includes(SECRET), 'no env value is written');
  });

  test('the summary cuts each name: 5 apps with 100 KB names stay small', async () => {
    const apps = Array.from({ length: 8 }, (_, i) => app({ name: `${i}${'n'.repeat(100_000)}`, script: `/repo/${'s'.repeat(100_000)}.js` }));
    const { record, line } = await writeOne(startEntry(apps));
    const input = record.input as TruncatedInput;
    assert.equal(input.summary.apps?.length, 5);
    for (const a of input.summary.apps ?? []) assert.ok(a.name.length <= 256 && a.script.length <= 256);
    assert.ok(line.length < 8 * 1024, `the record is ${line.length} bytes`);
  });

  // The bound itself, to the byte: arguments as sent of canonical size MAX and MAX + 1.
  const padded = (size: number) => {
    const overhead = Buffer.byteLength(canonicalJson({ pad: '' }));
    return { pad: 'x'.repeat(size - overhead) };
  };
  for (const [size, truncated] of [[MAX_INPUT_BYTES - 1, false], [MAX_INPUT_BYTES, false], [MAX_INPUT_BYTES + 1, true]] as const) {
    test(`arguments of exactly ${size} bytes are ${truncated ? 'truncated' : 'kept'}`, async () => {
      const args = padded(size);
      assert.equal(Buffer.byteLength(canonicalJson(args)), size);
      const { record } = await writeOne({ ...startEntry([]), request: null, args, decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'bad' }, effect: 'deny' });
      if (truncated) assert.equal((record.input as TruncatedInput).sha256, sha256(canonicalJson(args)));
      else assert.deepEqual(record.input, args);
    });
  }

  test('large arguments as sent: kind "arguments", their first keys, name and script', async () => {
    const args = { name: 'n'.repeat(1000), script: './x.js', env: { K: SECRET }, junk: 'j'.repeat(200_000), a: 1, b: 2, c: 3 };
    const { record, line } = await writeOne({ ...startEntry([]), request: null, args, decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'bad' }, effect: 'deny' });
    const input = record.input as TruncatedInput;
    assert.equal(input.truncated, true);
    assert.equal(input.summary.kind, 'arguments');
    assert.equal(input.summary.operation, 'pm2_start_process');
    assert.deepEqual(input.summary.keys, ['name', 'script', 'env', 'junk', 'a']);
    assert.deepEqual(input.summary.counts, { keys: 7 });
    assert.equal(input.summary.apps?.[0]?.script, './x.js');
    assert.ok(input.summary.apps![0]!.name.length <= 256);
    // The hash is of the redacted arguments: no secret can be confirmed from it by the log's reader.
    assert.equal(input.sha256, sha256(canonicalJson({ ...args, env: { K: '[redacted]' } })));
    assert.ok(!line.includes(SECRET));
  });

  test('a large operate request: its target and first processes', async () => {
    const processes = Array.from({ length: 3000 }, (_, i) => ({ pm_id: i, name: `p-${i}-${'q'.repeat(30)}`, namespace: 'default', cwd: '/repo' }));
    const request: CanonicalRequest = { kind: 'operate', operation: 'pm2_stop_process', target: { asked: 'all', kind: 'all', processes }, updateEnv: false };
    const { record } = await writeOne({ ...startEntry([]), operation: 'pm2_stop_process', request });
    const input = record.input as TruncatedInput;
    assert.deepEqual(input.summary.target, { asked: 'all', kind: 'all' });
    assert.deepEqual(input.summary.processes?.map((p) => p.pm_id), [0, 1, 2, 3, 4]);
    assert.deepEqual(input.summary.counts, { processes: 3000 });
  });

  const forgeries: Array<[string, unknown]> = [
    ['a forged truncated marker', { truncated: true, sha256: '0'.repeat(64), bytes: 1, summary: { kind: 'start', operation: 'x', counts: {} } }],
    ['a bare truncated key', { truncated: 'yes' }],
    ['a truncated key set to false', { truncated: false, script: 'x.js' }],
  ];
  for (const [name, args] of forgeries) {
    test(`arguments as sent that look truncated are stored by their hash too: ${name}`, async () => {
      const { record } = await writeOne({ ...startEntry([]), request: null, args, decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'bad' }, effect: 'deny' });
      const input = record.input as TruncatedInput;
      assert.equal(input.sha256, sha256(canonicalJson(args)), 'the marker in the log is ours, over the real arguments');
      assert.equal(input.summary.kind, 'arguments');
    });
  }

  test('the schema holds a truncated input to its shape', async () => {
    const { record } = await writeOne(startEntry(Array.from({ length: 60 }, (_, i) => app({ name: `a${i}`, args: ['x'.repeat(2000)] }))));
    assert.equal((record.input as TruncatedInput).truncated, true);
    const bad: Array<[string, unknown]> = [
      ['no sha256', { ...(record.input as object), sha256: undefined }],
      ['a sha256 that is not hex', { ...(record.input as object), sha256: 'x' }],
      ['a summary with six apps', { ...(record.input as object), summary: { ...(record.input as TruncatedInput).summary, apps: Array(6).fill({ name: 'a', script: 'b' }) } }],
      ['an extra field', { ...(record.input as object), raw: 'everything' }],
      ['a bare marker', { truncated: true }],
    ];
    for (const [name, input] of bad) assert.equal(validateRecord(JSON.parse(JSON.stringify({ ...record, input }))), false, name);
  });

  test('arrays and scalars as arguments are kept (no key to forge)', async () => {
    for (const args of [[1, 2], 'text', 7]) {
      const { record } = await writeOne({ ...startEntry([]), request: null, args, decision: { effect: 'deny', ruleId: 'arguments.invalid', reason: 'bad' }, effect: 'deny' });
      assert.deepEqual(record.input, args);
    }
  });
});

describe('reason, error and the client are cut', () => {
  test('a 1 MB reason is cut to MAX_TEXT_CHARS, the cut said', async () => {
    const reason = `script ${'/x'.repeat(500_000)} is not allowed`;
    const { record } = await writeOne({ ...startEntry([app()]), decision: { effect: 'deny', ruleId: 'start.scripts', reason }, effect: 'deny' });
    assert.equal(record.reason.length, MAX_TEXT_CHARS);
    assert.ok(record.reason.startsWith('script /x/x'));
    assert.ok(record.reason.endsWith(`… [${reason.length} characters, cut]`));
  });

  test('an ordinary reason is kept', async () => {
    const { record } = await writeOne({ ...startEntry([app()]), decision: { effect: 'deny', ruleId: 'start.scripts', reason: 'not in start.scripts' }, effect: 'deny' });
    assert.equal(record.reason, 'not in start.scripts');
  });

  test('an unknown tool called by a 100 KB name: tool and reason are cut', async () => {
    const name = `t${'x'.repeat(100_000)}`;
    const { record } = await writeOne({ ...startEntry([]), operation: name, request: null, args: {}, decision: { effect: 'deny', ruleId: 'tools.unknown', reason: `no tool is named ${name}` }, effect: 'deny' });
    assert.equal(record.tool.length, MAX_TOOL_CHARS);
    assert.ok(record.tool.startsWith('txxx'));
    assert.equal(record.reason.length, MAX_TEXT_CHARS);
  });

  test('a 100 KB client name and version are cut', async () => {
    const { record } = await writeOne({ ...startEntry([app()]), caller: { ...CALLER, client: { name: 'c'.repeat(100_000), version: 'v'.repeat(100_000) } } });
    assert.equal(record.caller.client?.name.length, MAX_CLIENT_CHARS);
    assert.equal(record.caller.client?.version.length, MAX_CLIENT_CHARS);
  });

  test('a 1 MB error in an outcome is cut, and the outcome validates', async () => {
    const file = await freshFile();
    const log = newLog(file);
    const entry = startEntry([app()]);
    await log.decision(entry);
    await log.outcome({ decisionId: entry.decisionId, ok: false, error: `E2BIG ${'e'.repeat(1_000_000)}`, durationMs: 1, affected: [] });
    await log.flush();
    const outcome = records(file)[1] as OutcomeRecord & AuditRecord;
    assert.ok(validateRecord(outcome), JSON.stringify(validateRecord.errors));
    assert.equal(outcome.error?.length, MAX_TEXT_CHARS);
    assert.ok(outcome.error?.startsWith('E2BIG eee'));
  });
});

// =============================================================================================

const ATTACKS: Array<[string, string]> = [
  ['ESC color / clear screen', 'api\u001b[2J\u001b[31mred'],
  ['ESC OSC title and hyperlink', 'x\u001b]0;owned\u0007\u001b]8;;http://evil\u001b\\y'],
  ['C1 CSI (8-bit)', 'a\u009b31mb'],
  ['DEL and a carriage return', 'a\u007f\rb'],
  ['right-to-left override', 'evil\u202egnp.js'],
  ['zero-width space', 'ap\u200bi'],
  ['bidi isolates', '\u2066a\u2069\u2067b\u2068c'],
  ['byte order mark and word joiner', '\ufeffa\u2060b'],
  ['line and paragraph separators', 'a\u2028b\u2029c'],
  ['a lone surrogate', 'a\ud800b'],
  ['a tag character (astral \\p{Cf})', 'a\u{e0041}b'],
];

function hostileDecision(payload: string): DecisionRecord {
  return {
    kind: 'decision',
    decision_id: randomUUID(),
    timestamp: '2025-01-01T00:00:00.000Z',
    tool: `pm2_start_process${payload}`,
    effect: 'deny',
    rule: `start.scripts${payload}`,
    reason: `the name ${payload} in namespace ${payload} is not allowed`,
    input: { kind: 'start', operation: 'pm2_start_process', apps: [app({ name: payload, namespace: payload })] },
    caller: { transport: 'http', session_id: payload, client: { name: `cli${payload}`, version: `1${payload}` }, principal: `tok${payload}`, os_user: 'u' },
    policy: POLICY,
    server: { version: 't', pid: 1, host: 'h' },
  };
}

const hostileOutcome = (d: DecisionRecord, payload: string): OutcomeRecord => ({ kind: 'outcome', decision_id: d.decision_id, timestamp: d.timestamp, ok: false, error: `failed ${payload}`, duration_ms: 1, affected: [] });

describe('audit tail escapes what it prints', () => {
  for (const [name, payload] of ATTACKS) {
    test(`text: ${name} in principal, client, tool, rule, reason and error`, () => {
      const d = hostileDecision(payload);
      const line = plainLine({ decision: d, outcome: hostileOutcome(d, payload) });
      assert.doesNotMatch(line, UNSAFE_RAW, JSON.stringify(line));
      // Each field is there, escaped: the escape of the payload appears once per field.
      const escaped = safe(payload);
      assert.notEqual(escaped, payload, 'the payload should need escaping');
      assert.equal(line.split(escaped).length - 1, 8, line);
    });

    test(`json: ${name} in names and namespaces stays valid JSON, the same value, nothing raw`, () => {
      const d = hostileDecision(payload);
      const o = hostileOutcome(d, payload);
      const text = jsonLine({ decision: d, outcome: o });
      assert.doesNotMatch(text, UNSAFE_RAW, text);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify({ ...d, outcome: o })));
    });
  }

  const safeCases: Array<{ name: string; input: string; out: string }> = [
    { name: 'ESC', input: '\u001b', out: '\\u001b' },
    { name: 'RLO', input: '\u202e', out: '\\u202e' },
    { name: 'ZWSP', input: '\u200b', out: '\\u200b' },
    { name: 'C1 CSI', input: '\u009b', out: '\\u009b' },
    { name: 'tag A, an astral character: both of its units', input: '\u{e0041}', out: '\\udb40\\udc41' },
    { name: 'a backslash is doubled: a name cannot spell a fake escape', input: '\\u202e', out: '\\\\u202e' },
    { name: 'ordinary text, accents and emoji are left alone', input: 'café 🙂 → ok', out: 'café 🙂 → ok' },
  ];
  for (const c of safeCases) {
    test(`safe: ${c.name}`, () => {
      assert.equal(safe(c.input), c.out);
    });
  }

  test('safeJson does not double backslashes (they are JSON\'s own escapes)', () => {
    const text = JSON.stringify({ a: 'x\\y\n\u202e' });
    assert.equal(safeJson(text), '{"a":"x\\\\y\\n\\u202e"}');
  });

  test('a tampered record with fields of the wrong type is printed, not thrown on', () => {
    const d = { ...hostileDecision('\u001b'), caller: null, reason: { evil: '\u202e' } } as unknown as DecisionRecord;
    const line = plainLine({ decision: d });
    assert.doesNotMatch(line, UNSAFE_RAW);
    assert.match(line, /\{"evil":"\\u202e"\}/);
  });
});

describe('pm2-mcp audit (the command) prints escaped lines', () => {
  async function hostileLog(payload: string): Promise<string> {
    const file = await freshFile();
    const log = newLog(file);
    const entry = startEntry([app({ name: payload, namespace: payload })], {
      decision: { effect: 'deny', ruleId: 'processes.names', reason: `name ${payload} refused` },
      effect: 'deny',
      caller: { transport: 'http', principal: `tok${payload}`, client: { name: `cli${payload}`, version: payload } },
    });
    await log.decision(entry);
    await log.flush();
    return file;
  }

  async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const options = parseCli(argv, {});
    assert.ok(options.command === 'audit');
    const code = await audit(options, (l) => lines.push(l));
    return { code, lines };
  }

  for (const [name, payload] of ATTACKS) {
    test(`audit tail: ${name}`, async () => {
      const file = await hostileLog(payload);
      const text = await run(['audit', 'tail', file]);
      assert.equal(text.code, 0);
      assert.equal(text.lines.length, 1);
      assert.doesNotMatch(text.lines[0]!, UNSAFE_RAW, text.lines[0]);
      assert.ok(text.lines[0]!.includes(`name ${safe(payload)} refused`), text.lines[0]);

      const json = await run(['audit', 'tail', '--json', file]);
      assert.equal(json.lines.length, 1);
      assert.doesNotMatch(json.lines[0]!, UNSAFE_RAW, json.lines[0]);
      const parsed = JSON.parse(json.lines[0]!) as DecisionRecord;
      assert.deepEqual(parsed, (await recentDecisions(file, { lines: 1, denied: false }))[0]!.decision, 'the JSON says exactly what the record says');
      const apps = (parsed.input as { apps: StartApp[] }).apps;
      assert.equal(apps[0]!.namespace, payload);
    });
  }

  test('audit verify escapes the file name it reports', async () => {
    const file = await freshFile('audit\u001b[31m\u202e.jsonl');
    const log = newLog(file);
    await log.decision(startEntry([app()]));
    await log.flush();
    const r = await run(['audit', 'verify', file]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.lines[0]!, UNSAFE_RAW);
    assert.match(r.lines[0]!, /^intact: 1 records in 1 file \(.*audit\\u001b\[31m\\u202e\.jsonl\)$/);
  });
});
