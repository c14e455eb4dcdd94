// Log files as a weapon (THREATS.md 9, 14, 15): the pure rule over log paths (src/policy/log-files.ts),
// the claims that keep two processes out of one log file (src/pm2/log-claims.ts), and the I/O
// checks of a log path at resolve and at use time (src/pm2/log-path.ts), attack cases included.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js';
import { logFileRefusal, type LogFileUse } from '../../src/policy/log-files.js';
import type { LogFileRef, ServerFacts, StartApp } from '../../src/model/requests.js';
import { claimsOf, existingClaims, sharedLogFile, type LogClaim } from '../../src/pm2/log-claims.js';
import { inspectLogPath, inspectStoredLogPath, openLogFile, storedLogFileRefusal, type OpenedLogFile } from '../../src/pm2/log-path.js';
import { hasMkfifo } from '../helpers/fifo.js';
import { startApp } from '../helpers/fixtures.js';

// ─── the pure rule ───────────────────────────────────────────────────────────────────────────

const HOME = '/srv/pm2home';
const PROJ = '/work/proj';
const AUDIT = `${HOME}/pm2-mcp/audit.jsonl`;
const AUDIT_IN_LOGS = `${PROJ}/logs/audit.jsonl`; // an audit file a team put inside an allowed log folder
const CONFIG = `${PROJ}/pm2-mcp.config.json`;
const SERVER: ServerFacts = { pm2Home: HOME, pm2LogDir: `${HOME}/logs`, ownFiles: [AUDIT, AUDIT_IN_LOGS, CONFIG] };

/** `server: 'none'` is a policy compiled without server facts, as for `check` and `explain`. */
function policy(logFiles: string[], server: ServerFacts | 'none' = SERVER, mode: 'enforce' | 'audit' = 'enforce'): CompiledPolicy {
  const facts = server === 'none' ? {} : { server };
  return compilePolicy({ config: { mode, start: { logFiles } }, root: PROJ, sources: [], preset: 'standard', configFile: CONFIG, configFiles: [CONFIG], ...facts }, new Map());
}

const P = policy(['logs/**']);
const ALL_USES: LogFileUse[] = ['start', 'restart', 'tail', 'flush'];
const WRITES: LogFileUse[] = ['start', 'restart', 'flush'];

interface RuleCase {
  name: string;
  path: string;
  uses?: LogFileUse[];
  policy?: CompiledPolicy;
  /** undefined: allowed */
  ruleId?: string;
  hard?: boolean;
}

const RULE_CASES: RuleCase[] = [
  // pm2-mcp's own files: hard, for every use, whatever start.logFiles says
  { name: 'the audit log', path: AUDIT, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'a rotation of the audit log (audit.jsonl.3)', path: `${AUDIT}.3`, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'the audit log lock (audit.jsonl.lock)', path: `${AUDIT}.lock`, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'an audit log inside an allowed log folder', path: AUDIT_IN_LOGS, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'its rotation audit.jsonl.12, in the allowed folder', path: `${AUDIT_IN_LOGS}.12`, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'its lock, in the allowed folder', path: `${AUDIT_IN_LOGS}.lock`, uses: WRITES, ruleId: 'logs.ownFile', hard: true },
  { name: 'the config file', path: CONFIG, uses: ALL_USES, ruleId: 'logs.ownFile', hard: true },
  { name: 'an own file under permissive ("/**" log files)', path: AUDIT_IN_LOGS, uses: WRITES, policy: policy(['/**']), ruleId: 'logs.ownFile', hard: true },
  { name: 'an own file in audit mode stays hard', path: CONFIG, uses: WRITES, policy: policy(['/**'], SERVER, 'audit'), ruleId: 'logs.ownFile', hard: true },
  { name: 'own files given unnormalized are still recognised', path: CONFIG, uses: ['start'], policy: policy(['/**'], { ...SERVER, ownFiles: [`${PROJ}//pm2-mcp.config.json`] }), ruleId: 'logs.ownFile', hard: true },
  { name: 'not own: a longer name (audit.jsonl2)', path: `${PROJ}/logs/audit.jsonl2`, uses: WRITES },
  { name: 'not own: another suffix (audit.jsonl.bak)', path: `${PROJ}/logs/audit.jsonl.bak`, uses: WRITES },
  { name: 'not own: a suffix with digits and more (audit.jsonl.3x)', path: `${PROJ}/logs/audit.jsonl.3x`, uses: WRITES },
  // PM2_HOME's internals: hard
  { name: 'PM2_HOME/dump.pm2', path: `${HOME}/dump.pm2`, uses: ALL_USES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/pm2.log (the daemon\'s log)', path: `${HOME}/pm2.log`, uses: ALL_USES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/rpc.sock', path: `${HOME}/rpc.sock`, uses: ALL_USES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/pids/api-0.pid', path: `${HOME}/pids/api-0.pid`, uses: ALL_USES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/pm2-mcp-start.lock', path: `${HOME}/pm2-mcp-start.lock`, uses: WRITES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/pm2-mcp/ (audit folder) other file', path: `${HOME}/pm2-mcp/other.jsonl`, uses: ALL_USES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME itself', path: HOME, uses: WRITES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME/logs itself (a folder, not a child)', path: `${HOME}/logs`, uses: WRITES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'below PM2_HOME/logs, not a direct child', path: `${HOME}/logs/sub/x.log`, uses: WRITES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'prefix trick: PM2_HOME/logs-evil/x.log', path: `${HOME}/logs-evil/x.log`, uses: WRITES, ruleId: 'logs.pm2Home', hard: true },
  { name: 'PM2_HOME internals even when start.logFiles allows "/**"', path: `${HOME}/dump.pm2`, uses: WRITES, policy: policy(['/**']), ruleId: 'logs.pm2Home', hard: true },
  { name: 'prefix trick: /srv/pm2home-evil is not PM2_HOME', path: `${HOME}-evil/dump.pm2`, uses: ['start'], ruleId: 'start.logFiles' },
  // paths that are not plain: refused, never interpreted
  { name: 'PM2_HOME/logs/../dump.pm2 (not normalized)', path: `${HOME}/logs/../dump.pm2`, uses: ALL_USES, ruleId: 'logs.path', hard: true },
  { name: 'a "." segment', path: `${PROJ}/logs/./x.log`, uses: ALL_USES, ruleId: 'logs.path', hard: true },
  { name: 'a double slash', path: `${PROJ}//logs/x.log`, uses: ALL_USES, ruleId: 'logs.path', hard: true },
  { name: 'a trailing slash', path: `${HOME}/logs/x.log/`, uses: ALL_USES, ruleId: 'logs.path', hard: true },
  { name: 'a relative path', path: 'logs/x.log', uses: ALL_USES, ruleId: 'logs.path', hard: true },
  { name: 'a NUL byte', path: `${PROJ}/logs/x.log\0.sh`, uses: ALL_USES, ruleId: 'logs.path', hard: true },
  // pm2's default folder and start.logFiles
  { name: 'PM2_HOME/logs/x-out.log (pm2\'s default folder)', path: `${HOME}/logs/x-out.log`, uses: ALL_USES },
  { name: 'PM2_HOME/logs/x-out-3.log', path: `${HOME}/logs/x-out-3.log`, uses: ALL_USES },
  { name: 'pm2\'s default folder even with no start.logFiles', path: `${HOME}/logs/x-error.log`, uses: ALL_USES, policy: policy([]) },
  { name: 'a path start.logFiles allows', path: `${PROJ}/logs/app.log`, uses: ALL_USES },
  { name: 'deeper in start.logFiles', path: `${PROJ}/logs/a/b/app.log`, uses: ALL_USES },
  { name: 'outside start.logFiles: start', path: `${PROJ}/app.log`, uses: ['start', 'restart'], ruleId: 'start.logFiles' },
  { name: 'outside start.logFiles: flush', path: `${PROJ}/app.log`, uses: ['flush'], ruleId: 'logs.outsidePolicy' },
  { name: 'outside start.logFiles: tail reads it', path: `${PROJ}/app.log`, uses: ['tail'] },
  { name: '/etc/cron.d/x: start', path: '/etc/cron.d/x', uses: ['start', 'restart'], ruleId: 'start.logFiles' },
  { name: '/etc/cron.d/x: flush', path: '/etc/cron.d/x', uses: ['flush'], ruleId: 'logs.outsidePolicy' },
  { name: 'prefix trick: /work/proj/logs-evil', path: `${PROJ}/logs-evil/x.log`, uses: ['start'], ruleId: 'start.logFiles' },
  { name: '/dev/null is a write too: start', path: '/dev/null', uses: ['start'], policy: policy([]), ruleId: 'start.logFiles' },
  { name: '/dev/null is a write too: flush', path: '/dev/null', uses: ['flush'], policy: policy([]), ruleId: 'logs.outsidePolicy' },
  // no server facts (check, explain): no default folder, no PM2_HOME; only the config files are own
  { name: 'no server: nothing is pm2\'s default folder', path: `${HOME}/logs/x.log`, uses: ['start'], policy: policy(['logs/**'], 'none'), ruleId: 'start.logFiles' },
  { name: 'no server: start.logFiles still allows', path: `${PROJ}/logs/x.log`, uses: ['start', 'flush'], policy: policy(['logs/**'], 'none') },
  { name: 'no server: the config files are still own', path: CONFIG, uses: ['start', 'tail'], policy: policy(['/**'], 'none'), ruleId: 'logs.ownFile', hard: true },
  { name: 'ownFiles empty: the audit path is just a path', path: AUDIT_IN_LOGS, uses: ['start'], policy: policy(['logs/**'], { pm2Home: HOME, pm2LogDir: `${HOME}/logs`, ownFiles: [] }) },
  { name: 'ownFiles empty: PM2_HOME still guarded', path: `${HOME}/dump.pm2`, uses: ['start'], policy: policy(['/**'], { pm2Home: HOME, pm2LogDir: `${HOME}/logs`, ownFiles: [] }), ruleId: 'logs.pm2Home', hard: true },
];

describe('logFileRefusal', () => {
  for (const c of RULE_CASES) {
    for (const use of c.uses ?? ['start']) {
      test(`${c.name} [${use}] → ${c.ruleId ?? 'allowed'}${c.hard ? ' (hard)' : ''}`, () => {
        const d = logFileRefusal({ stream: 'out', path: c.path }, c.policy ?? P, use);
        assert.equal(d?.ruleId, c.ruleId, d?.reason);
        if (d) {
          assert.equal(d.effect, 'deny');
          assert.equal(d.hard === true, c.hard === true, `hard: ${String(d.hard)}`);
          assert.ok(d.reason.includes(JSON.stringify(c.path)), d.reason);
          assert.ok(d.hint, 'a denial says what would allow it (or that nothing does)');
        }
      });
    }
  }

  test('the hint of a soft denial names start.logFiles and the relative path', () => {
    const d = logFileRefusal({ stream: 'err', path: `${PROJ}/app.log` }, P, 'start');
    assert.match(d?.hint ?? '', /"app\.log" to start\.logFiles in .*pm2-mcp\.config\.json/);
    assert.match(d?.reason ?? '', /the err log file/);
  });
});

// ─── two processes, one log file ─────────────────────────────────────────────────────────────

function app(name: string, logFiles: StartApp['logFiles'] = {}): StartApp {
  return startApp({ name, script: `${PROJ}/server.js`, cwd: PROJ, logFiles });
}

const LOGS = `${HOME}/logs`;
const existing = (owner: string, ...paths: string[]): LogClaim[] => existingClaims(owner, paths.map((path) => ({ stream: 'out', path })));

interface ClaimCase {
  name: string;
  apps: StartApp[];
  others: LogClaim[];
  shared: boolean;
}

const CLAIM_CASES: ClaimCase[] = [
  { name: 'api-server after api_server (pm2 maps "_" to "-")', apps: [app('api-server')], others: existing('"api_server" (pm_id 0)', `${LOGS}/api-server-out.log`), shared: true },
  { name: 'a non-merged log of that name (-<pm_id>)', apps: [app('api-server')], others: existing('"api_server" (pm_id 3)', `${LOGS}/api-server-out-3.log`), shared: true },
  { name: 'its error log', apps: [app('api-server')], others: existing('"api_server" (pm_id 0)', `${LOGS}/api-server-error-0.log`), shared: true },
  { name: 'case differs only (a case-insensitive disk)', apps: [app('API')], others: existing('"api" (pm_id 0)', `${LOGS}/api-out.log`), shared: true },
  { name: 'a prefix is another name: api vs api-server', apps: [app('api')], others: existing('"api-server" (pm_id 0)', `${LOGS}/api-server-out.log`, `${LOGS}/api-server-error.log`), shared: false },
  { name: 'not a pm_id suffix: api-out-x.log', apps: [app('api')], others: existing('"x" (pm_id 0)', `${LOGS}/api-out-x.log`), shared: false },
  { name: 'the same file name in another folder', apps: [app('api')], others: existing('"api2" (pm_id 0)', `${PROJ}/logs/api-out.log`), shared: false },
  { name: 'a dot is a dot, not any character', apps: [app('a.b')], others: existing('"aXb" (pm_id 0)', `${LOGS}/aXb-out.log`), shared: false },
  { name: 'an explicit file another process writes', apps: [app('web', { out: `${PROJ}/logs/x.log` })], others: existing('"old" (pm_id 2)', `${PROJ}/logs/x.log`), shared: true },
  { name: 'an explicit combined file that is another\'s out file', apps: [app('web', { combined: `${PROJ}/logs/x.log` })], others: existing('"old" (pm_id 2)', `${PROJ}/logs/x.log`), shared: true },
  { name: 'an explicit file naming another\'s default file', apps: [app('web', { err: `${LOGS}/api-out-0.log` })], others: existing('"api" (pm_id 0)', `${LOGS}/api-out-0.log`), shared: true },
  { name: 'explicit files of one request, shared', apps: [app('a', { out: `${PROJ}/logs/x.log` }), app('b', { err: `${PROJ}/logs/x.log` })], others: [], shared: true },
  { name: 'one app of a request naming another\'s default file', apps: [app('a', { out: `${LOGS}/b-out.log` }), app('b')], others: [], shared: true },
  { name: 'two names of one request differing by case', apps: [app('Web'), app('web')], others: [], shared: true },
  { name: 'an app\'s own out and err in one file is its own business', apps: [app('a', { out: `${PROJ}/logs/a.log`, err: `${PROJ}/logs/a.log` })], others: [], shared: false },
  { name: 'different names, different files', apps: [app('a'), app('b')], others: existing('"c" (pm_id 0)', `${LOGS}/c-out-0.log`), shared: false },
];

describe('sharedLogFile', () => {
  for (const c of CLAIM_CASES) {
    test(`${c.name} → ${c.shared ? 'refused' : 'fine'}`, () => {
      const mine = c.apps.flatMap((a) => claimsOf(a, LOGS));
      const shared = sharedLogFile(mine, [...c.others, ...mine]);
      assert.equal(shared !== undefined, c.shared, JSON.stringify(shared));
    });
  }
  test('an app with no log files claims pm2\'s default out and err files, and no combined file', () => {
    assert.deepEqual(claimsOf(app('api'), LOGS).map((c) => c.stream), ['out', 'err']);
    assert.deepEqual(claimsOf(app('api', { combined: '/x/c.log' }), LOGS).map((c) => c.stream), ['out', 'err', 'combined']);
  });
});

// ─── the I/O checks ──────────────────────────────────────────────────────────────────────────

describe('inspectLogPath and openLogFile', () => {
  let dir = '';
  let canary = '';
  let socket: Server | undefined;

  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-logpath-')));
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'outside'));
    canary = join(dir, 'outside', 'secret.txt');
    writeFileSync(canary, 'CANARY-SECRET\n');
    writeFileSync(join(dir, 'logs', 'app.log'), 'line\n');
    symlinkSync(canary, join(dir, 'logs', 'link.log'));
    symlinkSync(join(dir, 'outside', 'nope.log'), join(dir, 'logs', 'dangling.log'));
    mkdirSync(join(dir, 'logs', 'folder.log'));
    symlinkSync(join(dir, 'logs'), join(dir, 'linked-logs'));
    if (hasMkfifo) execFileSync('mkfifo', [join(dir, 'logs', 'fifo.log')]);
  });
  after(async () => {
    await new Promise<void>((r) => (socket ? socket.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kinds: Array<[string, string, string, boolean]> = [
    ['a regular file', 'logs/app.log', 'regular file', true],
    ['an absent file', 'logs/new.log', 'absent', false],
    ['a symbolic link to a file', 'logs/link.log', 'symbolic link', false],
    ['a dangling symbolic link', 'logs/dangling.log', 'symbolic link', false],
    ['a folder', 'logs/folder.log', 'folder', false],
  ];
  for (const [what, rel, kind, identity] of kinds) {
    test(`inspect: ${what} is a ${kind}`, async () => {
      const state = await inspectLogPath(join(dir, rel), 'out');
      assert.equal(state.kind, kind);
      assert.equal(state.folderExists, true);
      assert.equal(state.ref.path, join(dir, rel));
      assert.equal(state.ref.ino !== undefined, identity, 'only a regular file carries an identity');
    });
  }
  test('inspect: a FIFO', { skip: !hasMkfifo }, async () => {
    assert.equal((await inspectLogPath(join(dir, 'logs/fifo.log'), 'out')).kind, 'FIFO');
  });
  test('inspect: /dev/null is a device', async () => {
    assert.equal((await inspectLogPath('/dev/null', 'out')).kind, 'device');
  });
  test('inspect: a folder reached through a link counts by its real path', async () => {
    const state = await inspectLogPath(join(dir, 'linked-logs', 'app.log'), 'err');
    assert.equal(state.ref.path, join(dir, 'logs', 'app.log'));
    assert.equal(state.ref.stream, 'err');
  });
  test('inspect: a missing folder', async () => {
    const state = await inspectLogPath(join(dir, 'nope', 'x.log'), 'out');
    assert.equal(state.folderExists, false);
  });

  async function opened(rel: string, mode: 'read' | 'write', ref?: LogFileRef): Promise<OpenedLogFile> {
    const result = await openLogFile(ref ?? (await inspectLogPath(join(dir, rel), 'out')).ref, mode);
    if ('handle' in result) await result.handle.close();
    return result;
  }

  for (const mode of ['read', 'write'] as const) {
    test(`open (${mode}): a regular file opens`, async () => {
      assert.ok('handle' in (await opened('logs/app.log', mode)));
    });
    test(`open (${mode}): a link to a file outside is refused, the canary untouched`, async () => {
      const r = await opened('logs/link.log', mode);
      assert.deepEqual(r, { refused: 'it is a symbolic link' });
      assert.equal(readFileSync(canary, 'utf8'), 'CANARY-SECRET\n');
    });
    test(`open (${mode}): a folder is refused`, async () => {
      const r = await opened('logs/folder.log', mode);
      assert.ok('refused' in r, JSON.stringify(r));
      assert.match(r.refused, /folder/);
    });
    test(`open (${mode}): /dev/null is refused as a device`, async () => {
      const r = await openLogFile({ stream: 'out', path: '/dev/null' }, mode);
      assert.ok('refused' in r, JSON.stringify(r));
      assert.match(r.refused, /device|not a regular file/);
    });
    test(`open (${mode}): a FIFO is refused, at once`, { skip: !hasMkfifo, timeout: 5_000 }, async () => {
      const r = await opened('logs/fifo.log', mode);
      assert.ok('refused' in r, JSON.stringify(r));
      assert.match(r.refused, /FIFO/);
    });
    test(`open (${mode}): a unix socket is refused`, async () => {
      const path = join(dir, 'logs', `sock-${mode}.log`);
      socket = createServer();
      await new Promise<void>((r) => socket!.listen(path, () => r()));
      const r = await opened(`logs/sock-${mode}.log`, mode);
      await new Promise<void>((res) => socket!.close(() => res()));
      socket = undefined;
      assert.ok('refused' in r, JSON.stringify(r));
    });
    test(`open (${mode}): a file that is absent is missing, and is not created`, async () => {
      assert.deepEqual(await opened('logs/absent.log', mode), { missing: true });
      assert.equal(existsSync(join(dir, 'logs', 'absent.log')), false);
    });
  }

  test('open: a file replaced after the check (same path, another inode) is refused', async () => {
    const path = join(dir, 'logs', 'swapped.log');
    writeFileSync(path, 'checked\n');
    const { ref } = await inspectLogPath(path, 'out');
    writeFileSync(`${path}.new`, 'swapped in\n');
    renameSync(`${path}.new`, path);
    const r = await openLogFile(ref, 'write');
    assert.ok('refused' in r, JSON.stringify(r));
    assert.match(r.refused, /replaced/);
    assert.equal(readFileSync(path, 'utf8'), 'swapped in\n');
  });

  test('open: a file replaced by a link after the check is refused', async () => {
    const path = join(dir, 'logs', 'became-link.log');
    writeFileSync(path, 'checked\n');
    const { ref } = await inspectLogPath(path, 'out');
    rmSync(path);
    symlinkSync(canary, path);
    assert.deepEqual(await openLogFile(ref, 'write'), { refused: 'it is a symbolic link' });
    assert.equal(readFileSync(canary, 'utf8'), 'CANARY-SECRET\n');
  });

  test('stored: a path pm2 writes whose folder is still its real path is as it was', async () => {
    const state = await inspectStoredLogPath(join(dir, 'logs', 'app.log'), 'out', join(dir, 'pm2home', 'logs'));
    assert.equal(state.moved, undefined);
    assert.ok(state.ref.ino !== undefined);
  });

  test('stored: a folder swapped for a link since the start was allowed is "moved", whatever it leads to', async () => {
    const folder = join(dir, 'stored');
    mkdirSync(join(dir, 'stored-target'));
    writeFileSync(join(dir, 'stored-target', 'x.log'), 'CANARY-STORED\n');
    symlinkSync(join(dir, 'stored-target'), folder);
    const state = await inspectStoredLogPath(join(folder, 'x.log'), 'out', join(dir, 'pm2home', 'logs'));
    assert.match(state.moved ?? '', /now leads to/);
    assert.equal(state.kind, 'regular file', 'a regular file behind the link: only the folder check can tell');
  });

  test('stored: pm2\'s default folder as pm2 spells it may be reached through a link', async () => {
    mkdirSync(join(dir, 'realhome', 'logs'), { recursive: true });
    symlinkSync(join(dir, 'realhome'), join(dir, 'linkhome'));
    writeFileSync(join(dir, 'realhome', 'logs', 'api-out-0.log'), 'x\n');
    const state = await inspectStoredLogPath(join(dir, 'linkhome', 'logs', 'api-out-0.log'), 'out', join(dir, 'linkhome', 'logs'));
    assert.equal(state.moved, undefined);
    assert.equal(state.ref.path, join(dir, 'realhome', 'logs', 'api-out-0.log'));
  });

  test('restart: a stored log file that became a link, a FIFO or a folder, or whose folder moved, is not reopened', async () => {
    const pm2Logs = join(dir, 'pm2home', 'logs');
    const cases: Array<[string, RegExp | undefined]> = [
      [join(dir, 'logs', 'app.log'), undefined],
      [join(dir, 'logs', 'never-written.log'), undefined],
      [join(dir, 'logs', 'link.log'), /is a symbolic link/],
      [join(dir, 'logs', 'dangling.log'), /is a symbolic link/],
      [join(dir, 'logs', 'folder.log'), /is a folder/],
      [join(dir, 'linked-logs', 'app.log'), /now leads to/],
      ...(hasMkfifo ? [[join(dir, 'logs', 'fifo.log'), /is a FIFO/] as [string, RegExp]] : []),
    ];
    for (const [path, expected] of cases) {
      const { refused } = await storedLogFileRefusal(path, 'out', pm2Logs);
      if (expected) assert.match(refused ?? '', expected, path);
      else assert.equal(refused, undefined, path);
    }
  });

  test('open: a folder swapped for a link after the check is refused', async () => {
    const folder = join(dir, 'swapdir');
    mkdirSync(folder);
    writeFileSync(join(folder, 'x.log'), 'checked\n');
    const { ref } = await inspectLogPath(join(folder, 'x.log'), 'out');
    // The file has no identity in this ref, as for a file absent at resolve time: only the folder check can tell.
    const noIdentity: LogFileRef = { stream: 'out', path: ref.path };
    renameSync(folder, `${folder}.old`);
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'x.log'), 'CANARY-ELSEWHERE\n');
    symlinkSync(join(dir, 'elsewhere'), folder);
    for (const r of [await openLogFile(ref, 'write'), await openLogFile(noIdentity, 'write'), await openLogFile(noIdentity, 'read')]) {
      assert.ok('refused' in r, JSON.stringify(r));
      assert.match(r.refused, /now leads to/);
    }
    assert.equal(readFileSync(join(dir, 'elsewhere', 'x.log'), 'utf8'), 'CANARY-ELSEWHERE\n');
  });
});
