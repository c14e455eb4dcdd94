// The audit log end to end: the built binary, the SDK's Client and a real pm2 daemon. A decision is
// on disk before its action runs (the started script itself reads the log), every call leaves
// exactly one decision, four servers share one log, a log that can't be written refuses every
// call, no secret reaches the file, rotation and `audit verify` across files, would_deny in audit
// mode, and the shapes of `audit tail` and `audit verify`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { call, CLI, connect, destroyHome, isAlive, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { assertRefused } from '../helpers/fixtures.js';

const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const APP = join(ROOT, 'test', 'fixtures', 'app.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validateRecord = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'audit-record.schema.json'), 'utf8')) as object);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PLAIN_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}local \(pm2-mcp-tests 1\.0\.0\) {2}\S+ {2}(allow|deny|would_deny) {2}\S+: /;

interface Decision {
  kind: 'decision';
  decision_id: string;
  timestamp: string;
  tool: string;
  effect: 'allow' | 'deny' | 'would_deny';
  rule: string;
  reason: string;
  input: unknown;
  caller: { transport: string; session_id: string | null; client: { name: string; version: string } | null; principal: string; os_user: string };
  policy: { sources: string[]; sha256: string; preset: string; mode: string };
  server: { version: string; pid: number; host: string };
  prev: string;
  hash: string;
}
interface Outcome {
  kind: 'outcome';
  decision_id: string;
  timestamp: string;
  ok: boolean;
  error: string | null;
  duration_ms: number;
  affected: number[];
}
type AuditLine = Decision | Outcome;

// ---------------------------------------------------------------------------------------------
// Helpers: child processes with a clean environment (no PM2_* of the test runner leaks in).

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

function runNode(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end();
  });
}

/** `pm2-mcp audit …` (or any command) attached to `home`. */
function pm2mcp(args: string[], cwd: string, home: string): Promise<Ran> {
  return runNode([CLI, ...args], { cwd, env: cleanEnv({ PM2_MCP_HOME: home }) });
}

/** `pm2 jlist` output: a daemon spawned by that very command prints its banner first. */
function jlistOf(stdout: string): Array<{ name: string }> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Array<{ name: string }>;
}

/** The pm2 CLI on `home`, as a person at a terminal would use it. */
async function pm2(home: string, args: string[], cwd: string): Promise<string> {
  const r = await runNode([PM2_BIN, ...args], { cwd, env: cleanEnv({ PM2_HOME: home }), timeoutMs: 30_000 });
  assert.equal(r.code, 0, `pm2 ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function writeJson(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

/** Every line of one file, parsed; a line that is not JSON fails the test with its number. */
/** The records once every allowed decision has its outcome: outcomes are written after the reply. */
async function settledRecordsIn(file: string): Promise<AuditLine[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const records = recordsIn(file);
    const outcomes = new Set(records.filter((r) => r.kind === 'outcome').map((r) => r.decision_id));
    const pending = records.some((r) => r.kind === 'decision' && r.effect !== 'deny' && !outcomes.has(r.decision_id));
    if (!pending || Date.now() > deadline) return records;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function recordsIn(file: string): AuditLine[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), `${file} does not end with a newline`);
  return text.slice(0, -1).split('\n').map((l, i) => {
    try {
      return JSON.parse(l) as AuditLine;
    } catch {
      throw new Error(`${file} line ${i + 1} is not JSON: ${l.slice(0, 120)}`);
    }
  });
}

const decisionsIn = (records: AuditLine[]) => records.filter((r): r is Decision => r.kind === 'decision');
const outcomeOf = (records: AuditLine[], d: Decision) => records.find((r): r is Outcome => r.kind === 'outcome' && r.decision_id === d.decision_id);


// =============================================================================================
// (a) (d) (g): one server, every kind of call, the decision on disk before the action.

describe('every call leaves one decision, written before anything runs', () => {
  const SECRET = 'sk-live-abc123SECRET';
  const SECRET_INVALID = 'sk-live-invalid456SECRET';
  const SECRET_RESOLVE = 'sk-live-resolve789SECRET';
  const SECRET_DENIED = 'sk-live-denied000SECRET';
  let home: string;
  let dir: string;
  let logDir: string;
  let auditFile: string;
  let marker: string;
  let s: Session;
  let calls = 0;
  const tool = async (name: string, args: Record<string, unknown> = {}) => {
    calls++;
    return call(s.client, name, args);
  };

  before(async () => {
    home = await makeTempDir('pm2mcp-audh-');
    dir = await makeTempDir('pm2mcp-aud-cwd-');
    logDir = await makeTempDir('pm2mcp-aud-log-');
    auditFile = join(logDir, 'audit.jsonl');
    marker = join(dir, 'marker-snapshot.txt');
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'standard' });
    writeFileSync(join(dir, 'app.js'), readFileSync(APP, 'utf8'));
    // Its first statement copies the audit log as it is at the moment the script runs.
    writeFileSync(join(dir, 'marker.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, require('fs').readFileSync(${JSON.stringify(auditFile)}, 'utf8'));\nsetInterval(() => {}, 1 << 30);\n`);
    s = await connect({ home, cwd: dir, args: ['--audit-file', auditFile] });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    for (const d of [dir, logDir]) await rm(d, { recursive: true, force: true });
  });

  test('the server says where it writes', () => {
    assert.match(s.stderr(), new RegExp(`pm2-mcp: audit log ${auditFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test('the start\'s decision is on disk before the script runs; its outcome follows', async () => {
    const r = await tool('pm2_start_process', { script: 'marker.js', name: 'marker' });
    assert.equal(r.isError, undefined, textOf(r));
    const started = (r.structuredContent as { started: Array<{ pm_id: number }> }).started.map((p) => p.pm_id);
    assert.equal(started.length, 1);
    await waitFor(() => existsSync(marker) || undefined, 'the marker script to run');
    const records = await settledRecordsIn(auditFile);
    const index = records.findIndex((x) => x.kind === 'decision' && x.tool === 'pm2_start_process' && (x.input as { apps: Array<{ name: string }> }).apps[0]?.name === 'marker');
    assert.ok(index >= 0, 'no decision record for the start');
    const d = records[index] as Decision;
    assert.equal(d.effect, 'allow');
    // The script saw its own decision in the log when it ran.
    const seen = readFileSync(marker, 'utf8');
    assert.ok(seen.includes(d.decision_id), 'the decision was not on disk when the script ran');
    assert.ok(Date.parse(d.timestamp) <= statSync(marker).mtimeMs, `decision at ${d.timestamp}, marker at ${new Date(statSync(marker).mtimeMs).toISOString()}`);
    const o = outcomeOf(records, d);
    assert.ok(o, 'no outcome record');
    assert.ok(records.indexOf(o) > index, 'the outcome comes before its decision');
    assert.equal(o.ok, true);
    assert.equal(o.error, null);
    assert.deepEqual(o.affected, started);
    assert.ok(Date.parse(o.timestamp) >= Date.parse(d.timestamp));
  });

  test('no env value reaches the file: an allowed start, an invalid call, a resolve failure, a denial', async () => {
    const ok = await tool('pm2_start_process', { script: 'app.js', name: 'secretive', env: { STRIPE_API_KEY: SECRET, TAG: 'secretive' } });
    assert.equal(ok.isError, undefined, textOf(ok));
    const online = await waitFor(async () => {
      const l = await tool('pm2_describe_process', { process: 'secretive' });
      const p = (l.structuredContent as { processes: Array<{ status: string; pid?: number }> }).processes[0];
      return p?.status === 'online' && p.pid ? p : undefined;
    }, 'secretive online');
    // The value did reach the app: it is only the log that must not hold it.
    assert.ok(readFileSync(`/proc/${online.pid}/environ`, 'utf8').split('\0').includes(`STRIPE_API_KEY=${SECRET}`));
    assertRefused(await tool('pm2_start_process', { script: 'app.js', name: 'bad', instances: 0, env: { GITHUB_TOKEN: SECRET_INVALID } }), /^INVALID_ARGUMENTS: /, 'instances 0');
    assertRefused(await tool('pm2_start_process', { script: 'no-such-script.js', env: { DB_PASSWORD: SECRET_RESOLVE } }), /./, 'a missing script');
    assertRefused(await tool('pm2_start_process', { script: 'app.js', name: 'preload', env: { LD_PRELOAD: SECRET_DENIED } }), /^POLICY_DENIED: /, 'LD_PRELOAD');
    const text = readFileSync(auditFile, 'utf8');
    for (const v of [SECRET, SECRET_INVALID, SECRET_RESOLVE, SECRET_DENIED, 'sk-live']) assert.ok(!text.includes(v), `${v} reached the audit log`);
    const starts = decisionsIn(recordsIn(auditFile)).filter((d) => d.tool === 'pm2_start_process').slice(-4);
    assert.deepEqual(starts.map((d) => d.effect), ['allow', 'deny', 'deny', 'deny']);
    assert.equal(starts[1]!.rule, 'arguments.invalid');
    assert.match(starts[2]!.rule, /^resolve\./);
    assert.match(starts[3]!.rule, /^start\.env/);
    assert.deepEqual((starts[0]!.input as { apps: Array<{ env: Record<string, string> }> }).apps[0]!.env, { STRIPE_API_KEY: '[redacted]', TAG: '[redacted]' });
    assert.deepEqual((starts[1]!.input as { env: Record<string, string> }).env, { GITHUB_TOKEN: '[redacted]' });
    assert.deepEqual((starts[2]!.input as { env: Record<string, string> }).env, { DB_PASSWORD: '[redacted]' });
  });

  test('reads, denials, invalid arguments, unknown processes and resources each leave a decision', async () => {
    assert.equal((await tool('pm2_list_processes')).isError, undefined);
    assert.equal((await tool('pm2_tail_logs', { process: 'secretive', lines: 5 })).isError, undefined);
    assertRefused(await tool('pm2_kill_daemon'), /^POLICY_DENIED: Denied by rule tools\.pm2_kill_daemon/, 'kill_daemon');
    assertRefused(await tool('pm2_tail_logs', { process: 'secretive', lines: -1 }), /^INVALID_ARGUMENTS: /, 'lines -1');
    assertRefused(await tool('pm2_list_processes', { bogus: true }), /^INVALID_ARGUMENTS: .*unknown argument "bogus"/, 'an unknown key');
    assertRefused(await tool('pm2_describe_process', { process: 'nope' }), /^PROCESS_NOT_FOUND: /, 'an unknown process');
    calls++;
    await s.client.readResource({ uri: 'pm2://processes' });
    calls++;
    await assert.rejects(s.client.readResource({ uri: 'pm2://process/999' }), /PROCESS_NOT_FOUND/);
    calls++;
    await s.client.listResources();
    calls++;
    await s.client.complete({ ref: { type: 'ref/resource', uri: 'pm2://process/{id}' }, argument: { name: 'id', value: '' } });

    const records = await settledRecordsIn(auditFile);
    const decisions = decisionsIn(records);
    assert.equal(decisions.length, calls, `${calls} calls made, ${decisions.length} decisions written`);
    const last = decisions.slice(-10);
    assert.deepEqual(last.map((d) => [d.tool, d.effect]), [
      ['pm2_list_processes', 'allow'],
      ['pm2_tail_logs', 'allow'],
      ['pm2_kill_daemon', 'deny'],
      ['pm2_tail_logs', 'deny'],
      ['pm2_list_processes', 'deny'],
      ['pm2_describe_process', 'deny'],
      ['pm2://processes', 'allow'],
      ['pm2://process/{id}', 'deny'],
      ['resources/list', 'allow'],
      ['resources/list', 'allow'],
    ]);
    assert.equal(last[2]!.rule, 'tools.pm2_kill_daemon');
    assert.equal(last[3]!.rule, 'arguments.invalid');
    assert.deepEqual(last[3]!.input, { process: 'secretive', lines: -1 }, 'the arguments as sent');
    assert.deepEqual(last[4]!.input, { bogus: true });
    assert.equal(last[5]!.rule, 'resolve.PROCESS_NOT_FOUND');
    assert.equal(last[7]!.rule, 'resolve.PROCESS_NOT_FOUND');
    // Allowed calls have an ok outcome; refused ones have none.
    for (const d of decisions) {
      const o = outcomeOf(records, d);
      if (d.effect === 'allow') {
        assert.ok(o, `${d.tool} has no outcome`);
        assert.equal(o.ok, true, `${d.tool}: ${o.error}`);
        assert.ok(o.duration_ms >= 0);
      } else assert.equal(o, undefined, `the refused ${d.tool} has an outcome`);
    }
    assert.equal(records.length, decisions.length + decisions.filter((d) => d.effect === 'allow').length);
  });

  test('every record validates; caller, policy and server say who, under what, where', async () => {
    const records = await settledRecordsIn(auditFile);
    const me = userInfo().username;
    for (const [i, r] of records.entries()) {
      assert.ok(validateRecord(r), `line ${i + 1}: ${ajv.errorsText(validateRecord.errors)}`);
      assert.match(r.decision_id, UUID);
    }
    const decisions = decisionsIn(records);
    assert.equal(new Set(decisions.map((d) => d.decision_id)).size, decisions.length, 'a decision_id repeats');
    for (const d of decisions) {
      assert.deepEqual(d.caller, { transport: 'stdio', session_id: null, client: { name: 'pm2-mcp-tests', version: '1.0.0' }, principal: 'local', os_user: me });
      assert.equal(d.policy.preset, 'standard');
      assert.equal(d.policy.mode, 'enforce');
      assert.match(d.policy.sha256, /^[0-9a-f]{64}$/);
      assert.ok(d.policy.sources.some((src) => src.endsWith(join(dir.split('/').pop()!, 'pm2-mcp.config.json'))), `sources: ${d.policy.sources.join(', ')}`);
      assert.deepEqual(d.policy, decisions[0]!.policy);
      assert.equal(d.server.version, VERSION);
      assert.equal(d.server.host, hostname());
      assert.equal(d.server.pid, decisions[0]!.server.pid);
    }
    const pid = decisions[0]!.server.pid;
    assert.ok(Number.isInteger(pid) && pid !== process.pid && isAlive(pid), `server pid ${pid} is not the live server`);
  });

  test('audit verify: intact, one file', async () => {
    const n = recordsIn(auditFile).length;
    const r = await pm2mcp(['audit', 'verify', auditFile], logDir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `intact: ${n} records in 1 file (${auditFile})\n`);
  });

  test('audit tail -n 3: three plain lines, the newest last', async () => {
    const r = await pm2mcp(['audit', 'tail', '-n', '3', auditFile], logDir, home);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, PLAIN_LINE);
    const decisions = decisionsIn(recordsIn(auditFile)).slice(-3);
    lines.forEach((l, i) => assert.ok(l.startsWith(`${decisions[i]!.timestamp}  local`), l));
    assert.match(lines[0]!, / {2}pm2:\/\/process\/\{id\} {2}deny {2}resolve\.PROCESS_NOT_FOUND: /);
    assert.match(lines[2]!, / {2}resources\/list {2}allow {2}\S+: .* → ok [\d.]+ ms$/);
  });

  test('audit tail --denied: refusals only', async () => {
    const r = await pm2mcp(['audit', 'tail', '--denied', '-n', '100', auditFile], logDir, home);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const denied = decisionsIn(recordsIn(auditFile)).filter((d) => d.effect !== 'allow');
    assert.equal(lines.length, denied.length);
    for (const l of lines) {
      assert.match(l, PLAIN_LINE);
      assert.match(l, / {2}deny {2}/);
      assert.doesNotMatch(l, /→/);
    }
  });

  test('audit tail --json: one decision object a line, its outcome inside', async () => {
    const r = await pm2mcp(['audit', 'tail', '--json', '-n', '5', auditFile], logDir, home);
    assert.equal(r.code, 0, r.stderr);
    const objs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Decision & { outcome?: Outcome });
    assert.equal(objs.length, 5);
    const expected = decisionsIn(recordsIn(auditFile)).slice(-5);
    assert.deepEqual(objs.map((o) => o.decision_id), expected.map((d) => d.decision_id));
    for (const o of objs) {
      assert.equal(o.kind, 'decision');
      if (o.effect === 'allow') assert.equal(o.outcome?.ok, true);
      else assert.equal(o.outcome, undefined);
    }
    const deniedJson = await pm2mcp(['audit', 'tail', '--json', '--denied', auditFile], logDir, home);
    for (const l of deniedJson.stdout.trimEnd().split('\n')) assert.equal((JSON.parse(l) as Decision).effect, 'deny');
  });

  test('audit verify of a missing file exits 2', async () => {
    const missing = join(logDir, 'no-such-audit.jsonl');
    const r = await pm2mcp(['audit', 'verify', missing], logDir, home);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^unreadable: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOENT`));
  });

  test('an env sent as a string (refused as invalid) does not put its value in the file', async () => {
    const value = 'sk-live-asString111SECRET';
    assertRefused(await call(s.client, 'pm2_start_process', { script: 'app.js', env: `STRIPE_API_KEY=${value}` }), /^INVALID_ARGUMENTS: /, 'env as a string');
    assert.ok(!readFileSync(auditFile, 'utf8').includes(value), 'the value reached the audit log');
  });

  test('stdout carried only JSON-RPC throughout', () => {
    assert.deepEqual(s.protocolErrors, []);
  });
});

// =============================================================================================
// (b) Four servers, one PM2_HOME, one log, 100 concurrent calls.

describe('four servers share one log', () => {
  let home: string;
  let dir: string;
  let auditFile: string;
  const sessions: Session[] = [];

  before(async () => {
    home = await makeTempDir('pm2mcp-aud4h-');
    dir = await makeTempDir('pm2mcp-aud4-');
    auditFile = join(dir, 'logs', 'shared.jsonl');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'standard' });
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(dir, 'app.js'), readFileSync(APP, 'utf8'));
    // The daemon and one app, started by a person with the pm2 CLI (no audit record of its own).
    await pm2(home, ['start', join(dir, 'app.js'), '--name', 'shared'], dir);
    sessions.push(...(await Promise.all([0, 1, 2, 3].map(() => connect({ home, cwd: dir, args: ['--audit-file', auditFile] })))));
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  test('25 calls each at once: exactly 100 decisions, every line JSON, the chain intact', async () => {
    const results = await Promise.all(sessions.flatMap((s) => Array.from({ length: 25 }, (_, i) => {
      if (i % 3 === 0) return call(s.client, 'pm2_list_processes');
      if (i % 3 === 1) return call(s.client, 'pm2_describe_process', { process: 'shared' });
      return call(s.client, 'pm2_start_process', { script: 'app.js', name: `never-${i}`, env: { LD_PRELOAD: '/tmp/evil.so' } });
    })));
    const refused = results.filter((r) => r.isError);
    assert.equal(refused.length, 4 * 8);
    for (const r of refused) assert.match(textOf(r), /^POLICY_DENIED: /);
    const records = await settledRecordsIn(auditFile);
    const decisions = decisionsIn(records);
    assert.equal(decisions.length, 100);
    const perServer = new Map<number, number>();
    for (const d of decisions) perServer.set(d.server.pid, (perServer.get(d.server.pid) ?? 0) + 1);
    assert.deepEqual([...perServer.values()], [25, 25, 25, 25]);
    assert.equal(records.length, 100 + 4 * 17, 'one outcome per allowed call');
    const v = await pm2mcp(['audit', 'verify', auditFile], dir, home);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^intact: 168 records in 1 file/);
    assert.ok(!existsSync(`${auditFile}.lock`), 'a lock file was left behind');
    const names = jlistOf(await pm2(home, ['jlist'], dir)).map((p) => p.name);
    assert.deepEqual(names, ['shared'], 'a denied start ran');
  });
});

// =============================================================================================
// (c) A log that can't be written: every call is refused and nothing runs.

describe('when the audit log cannot be written, nothing runs', () => {
  let home: string;
  let dir: string;
  let s: Session;
  let canary: string;

  before(async () => {
    home = await makeTempDir('pm2mcp-audxh-');
    dir = await makeTempDir('pm2mcp-audx-');
    canary = join(dir, 'canary');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'standard' });
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(dir, 'payload.js'), `require('fs').writeFileSync(${JSON.stringify(canary)}, 'ran');\nsetInterval(() => {}, 1 << 30);\n`);
    writeFileSync(join(dir, 'a-regular-file'), 'not a folder\n');
    s = await connect({ home, cwd: dir, args: ['--audit-file', join(dir, 'a-regular-file', 'audit.jsonl')] });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  test('a read is refused with AUDIT_UNAVAILABLE and the reason; stderr says so', async () => {
    const r = await call(s.client, 'pm2_list_processes');
    assertRefused(r, /^AUDIT_UNAVAILABLE: The audit log could not be written, so nothing was run: .*a-regular-file.*(a part of that path is a file|ENOTDIR|EEXIST)/, 'a list');
    assert.equal((r._meta as Record<string, { code: string }>)['pm2-mcp/error']!.code, 'AUDIT_UNAVAILABLE');
    assert.match(s.stderr(), /pm2-mcp: The audit log could not be written, so nothing was run: /);
    await assert.rejects(s.client.readResource({ uri: 'pm2://processes' }), /AUDIT_UNAVAILABLE/);
  });

  test('a start is refused and runs nothing', async () => {
    assertRefused(await call(s.client, 'pm2_start_process', { script: 'payload.js', name: 'payload' }), /^AUDIT_UNAVAILABLE: /, 'a start');
    assertRefused(await call(s.client, 'pm2_start_process', { script: 'payload.js', name: 'payload', bogus: 1 }), /^AUDIT_UNAVAILABLE: /, 'an invalid start');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(!existsSync(canary), 'the payload ran');
    assert.deepEqual(jlistOf(await pm2(home, ['jlist'], dir)), [], 'a process exists');
    assert.equal(readFileSync(join(dir, 'a-regular-file'), 'utf8'), 'not a folder\n');
  });
});

// =============================================================================================
// (e) Rotation at audit.maxBytes, and verify across the files.

describe('rotation and verify across files', () => {
  let home: string;
  let dir: string;
  let auditFile: string;

  before(async () => {
    home = await makeTempDir('pm2mcp-audrh-');
    dir = await makeTempDir('pm2mcp-audr-');
    auditFile = join(dir, 'log', 'audit.jsonl');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'readonly', audit: { maxBytes: 4096 } });
    const s = await connect({ home, cwd: dir, args: ['--audit-file', auditFile] });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => call(s.client, 'pm2_describe_process', { process: `p${i}` })));
    } finally {
      await s.close();
    }
  });

  after(async () => {
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  test('FILE.1, FILE.2 … exist, each near maxBytes', () => {
    assert.ok(existsSync(`${auditFile}.1`) && existsSync(`${auditFile}.2`) && existsSync(`${auditFile}.3`), 'fewer than 3 rotated files');
    for (let n = 1; existsSync(`${auditFile}.${n}`); n++) assert.ok(statSync(`${auditFile}.${n}`).size < 4096 + 2048, `${auditFile}.${n} is ${statSync(`${auditFile}.${n}`).size} bytes`);
  });

  test('audit verify follows the chain and names the files', async () => {
    const r = await pm2mcp(['audit', 'verify', auditFile], dir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const m = /^intact: (\d+) records in (\d+) files \((.*)\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), 40, 'one decision per call (all refused: no outcomes)');
    assert.ok(Number(m[2]) >= 4);
    const named = m[3]!.split(', ');
    assert.equal(named[0], `${auditFile}.1`);
    assert.equal(named.at(-1), auditFile);
    const tail = await pm2mcp(['audit', 'tail', '--json', '-n', '40', auditFile], dir, home);
    assert.equal(tail.stdout.trimEnd().split('\n').length, 40, 'tail reads across the rotated files');
  });

  test('one character edited in FILE.1: exit 1, the file and line printed', async () => {
    const first = `${auditFile}.1`;
    const text = readFileSync(first, 'utf8');
    const lines = text.split('\n');
    assert.ok(lines[1]!.includes('"tool":"pm2_describe_process"'));
    lines[1] = lines[1]!.replace('"tool":"pm2_describe_process"', '"tool":"pm2_describe_procesS"');
    writeFileSync(first, lines.join('\n'));
    const r = await pm2mcp(['audit', 'verify', auditFile], dir, home);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, `broken: ${first} line 2: the record was edited: its content does not match its hash (1 records before it are intact)\n`);
  });
});

// =============================================================================================
// (f) mode audit: a start strict denies runs, and its decision says would_deny.

describe('mode audit writes would_deny', () => {
  let home: string;
  let dir: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-audah-');
    dir = await makeTempDir('pm2mcp-auda-');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'strict', mode: 'audit' });
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(dir, 'app.js'), readFileSync(APP, 'utf8'));
    // No --audit-file: the default, $PM2_HOME/pm2-mcp/audit.jsonl.
    s = await connect({ home, cwd: dir });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  test('the start runs; its decision is would_deny with the rule that would have denied it', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'audited' });
    assert.equal(r.isError, undefined, textOf(r));
    const ids = (r.structuredContent as { started: Array<{ pm_id: number }> }).started.map((p) => p.pm_id);
    const listed = await waitFor(async () => {
      const l = await call(s.client, 'pm2_list_processes');
      return (l.structuredContent as { processes: Array<{ name: string; status: string; pid?: number }> }).processes.find((p) => p.name === 'audited' && p.status === 'online');
    }, 'the audited app online');
    assert.ok(listed.pid && isAlive(listed.pid));
    const file = join(home, 'pm2-mcp', 'audit.jsonl');
    const records = recordsIn(file);
    const start = decisionsIn(records).find((d) => d.tool === 'pm2_start_process')!;
    assert.equal(start.effect, 'would_deny');
    assert.match(start.rule, /^start\./);
    assert.deepEqual([start.policy.preset, start.policy.mode], ['strict', 'audit']);
    const o = outcomeOf(records, start);
    assert.equal(o?.ok, true);
    assert.deepEqual(o?.affected, ids);
    // `audit tail` without FILE finds the default log through PM2_MCP_HOME and the config.
    const tail = await pm2mcp(['audit', 'tail', '--denied'], dir, home);
    assert.equal(tail.code, 0, tail.stderr);
    assert.match(tail.stdout, / {2}pm2_start_process {2}would_deny {2}start\.\S+: .* → ok [\d.]+ ms\n$/);
  });
});
