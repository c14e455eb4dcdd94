// Every denial says what the owner can change: the config key that would allow the call and the
// file it goes in, or why no key can (a hard refusal, a preset's deny pattern, a request that
// names nothing). One row per rule of src/policy/evaluate.ts and src/policy/start-rules.ts.
import { startApp } from '../helpers/fixtures.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileResolved, resolveInterpreterPath } from '../../src/commands/load-policy.js';
import type { Pm2McpConfig } from '../../src/model/config.js';
import type { CanonicalRequest, ProcessRef, StartApp } from '../../src/model/requests.js';
import type { PresetName } from '../../src/model/tools.js';
import { withServerFacts, type CompiledPolicy } from '../../src/policy/compile.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { merge, presetConfig, type Plain } from '../helpers/policies.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-hints-')));
after(() => rmSync(ROOT, { recursive: true, force: true }));
const CONFIG = join(ROOT, 'pm2-mcp.config.json');
const HOME = join(ROOT, 'pm2home');
const NODE = resolveInterpreterPath('node')!;

/** A strict policy that lets the agent start and manage apps/*, from the config file CONFIG. */
const OPEN: Pm2McpConfig = {
  tools: { pm2_start_process: 'allow', pm2_restart_process: 'allow', pm2_stop_process: 'allow', pm2_flush_logs: 'allow', pm2_reload_logs: 'allow' },
  start: { scripts: ['apps/**'], cwd: ['.', 'apps/**'], interpreters: ['node'], env: { allow: ['*'] }, maxInstances: 4 },
  processes: { names: ['*'], max: 10 },
};

function policy(over: Pm2McpConfig = {}, opts: { preset?: PresetName; configFile?: string | null } = {}): CompiledPolicy {
  const preset = opts.preset ?? 'strict';
  const configFile = opts.configFile === null ? undefined : (opts.configFile ?? CONFIG);
  const fromFile = merge(OPEN as Plain, over as Plain) as Pm2McpConfig;
  // The deny lists accumulate as src/config/merge.ts does: the preset's, then the file's.
  const base = presetConfig(preset);
  const config = merge(base as Plain, fromFile as Plain) as Pm2McpConfig;
  const envDeny = [...(base.start?.env?.deny ?? []), ...(fromFile.start?.env?.deny ?? [])];
  const exclude = [...(base.start?.scriptsExclude ?? []), ...(fromFile.start?.scriptsExclude ?? [])];
  config.start = { ...config.start, env: { ...config.start?.env, deny: envDeny }, scriptsExclude: exclude };
  const compiled = compileResolved({
    config,
    root: ROOT,
    sources: [`preset ${preset} (policies/${preset}.json)`, ...(configFile ? [configFile] : [])],
    preset,
    configFiles: configFile ? [configFile] : [],
    ...(configFile ? { configFile } : {}),
    presetConfig: base,
  });
  return withServerFacts(compiled, { pm2Home: HOME, pm2LogDir: join(HOME, 'logs'), ownFiles: [join(HOME, 'pm2-mcp', 'audit.jsonl')] });
}

function app(over: Partial<StartApp> = {}): StartApp {
  return startApp({ name: 'api', script: join(ROOT, 'apps', 'api.js'), cwd: join(ROOT, 'apps'), interpreter: { name: 'node', path: NODE }, ...over });
}

const start = (apps: StartApp[], extra: Partial<Extract<CanonicalRequest, { kind: 'start' }>> = {}): CanonicalRequest => ({ kind: 'start', operation: 'pm2_start_process', apps, ...extra });
const proc = (over: Partial<ProcessRef> = {}): ProcessRef => ({ pm_id: 1, name: 'api', namespace: 'default', cwd: join(ROOT, 'apps'), ...over });
const operate = (operation: string, processes: ProcessRef[], extra: Partial<Extract<CanonicalRequest, { kind: 'operate' }>> = {}): CanonicalRequest => ({
  kind: 'operate',
  operation,
  target: { asked: processes[0]?.name ?? 'all', kind: 'name', processes },
  updateEnv: false,
  ...extra,
});

/**
 * key: the hint names a config key and the file it goes in. none: it says no config key changes
 * this. preset: the pattern is the preset's, which no config removes, and the hint names what to
 * use instead.
 */
type Expect = { kind: 'key'; key: string } | { kind: 'none' } | { kind: 'preset'; instead: string };

interface Row {
  name: string;
  request: CanonicalRequest;
  policy?: CompiledPolicy;
  rule: string;
  expect: Expect;
}

const key = (k: string): Expect => ({ kind: 'key', key: k });
const NONE: Expect = { kind: 'none' };

const ROWS: Row[] = [
  // evaluate.ts: tools, reads, the start as a whole
  { name: 'a tool the preset turns off', request: operate('pm2_delete_process', [proc()]), rule: 'tools.pm2_delete_process', expect: key('"tools": { "pm2_delete_process": "allow" }') },
  { name: 'a tool no policy knows', request: { kind: 'daemon', operation: 'pm2_bogus' }, rule: 'tools.unknown', expect: NONE },
  { name: 'too many log lines', request: { kind: 'read', operation: 'pm2_tail_logs', targets: [proc()], lines: 100_000 }, rule: 'logs.maxLines', expect: key('logs.maxLines') },
  { name: 'a wait longer than allowed', request: start([app()], { wait: { until: 'online', timeoutMs: 10_000_000 } }), rule: 'start.maxWaitMs', expect: key('start.maxWaitMs') },
  { name: 'an ecosystem file not allowed', request: start([], { ecosystemFile: join(ROOT, 'eco.json') }), rule: 'start.ecosystemFiles', expect: key('start.ecosystemFiles') },
  { name: 'a start of no app', request: start([]), rule: 'start', expect: NONE },
  { name: 'past processes.max', request: start([app()], { managed: 10 }), rule: 'processes.max', expect: key('processes.max') },
  // start-rules.ts: the hard rules
  { name: 'pm2-mcp itself', request: start([app({ serverEntry: true })]), rule: 'processes.server', expect: NONE },
  { name: 'an env name of a pm2 field', request: start([app({ env: { exec_mode: 'x' } })]), rule: 'start.env.pm2Field', expect: NONE },
  { name: 'an env name of a dangerous family', request: start([app({ env: { LD_PRELOAD: '/x.so' } })]), rule: 'start.env.family.dynamic-linker', expect: NONE },
  { name: 'an interpreter that does not fit the script', request: start([app({ script: join(ROOT, 'apps', 'x.py') })]), rule: 'start.interpreters.fit', expect: key('start.runWith') },
  { name: 'a log file that is the audit log', request: start([app({ logFiles: { out: join(HOME, 'pm2-mcp', 'audit.jsonl') } })]), rule: 'logs.ownFile', expect: NONE },
  { name: 'a log file inside PM2_HOME', request: start([app({ logFiles: { out: join(HOME, 'dump.pm2') } })]), rule: 'logs.pm2Home', expect: NONE },
  { name: 'a log path that is not normalized', request: start([app({ logFiles: { out: `${ROOT}/apps/../x.log` } })]), rule: 'logs.path', expect: NONE },
  // start-rules.ts: what the config allows
  { name: 'a working folder not allowed', request: start([app({ cwd: join(ROOT, 'elsewhere') })]), rule: 'start.cwd', expect: key('start.cwd') },
  { name: 'a script not allowed', request: start([app({ script: join(ROOT, 'tools', 'x.js') })]), rule: 'start.scripts', expect: key('start.scripts') },
  { name: 'a script the preset excludes', request: start([app({ script: join(ROOT, 'apps', 'node_modules', 'x.js') })]), rule: 'start.scriptsExclude', expect: { kind: 'preset', instead: 'start.scripts' } },
  {
    name: 'a script the config excludes',
    request: start([app({ script: join(ROOT, 'apps', 'secret', 'x.js') })]),
    policy: policy({ start: { scriptsExclude: ['apps/secret/**'] } }),
    rule: 'start.scriptsExclude',
    expect: key('start.scriptsExclude'),
  },
  { name: 'an interpreter not allowed', request: start([app({ script: join(ROOT, 'apps', 'x.py'), interpreter: { name: 'python3', path: '/usr/bin/python3' } })]), rule: 'start.interpreters', expect: key('start.interpreters') },
  { name: 'an interpreter argument not allowed', request: start([app({ interpreterArgs: ['--inspect'] })]), rule: 'start.interpreterArgs', expect: key('start.interpreterArgs') },
  { name: 'a log file the policy does not allow', request: start([app({ logFiles: { out: join(ROOT, 'logs', 'a.log') } })]), rule: 'start.logFiles', expect: key('start.logFiles') },
  { name: 'an env name the preset denies', request: start([app({ env: { GITHUB_TOKEN: 'x' } })]), rule: 'start.env.deny', expect: { kind: 'preset', instead: 'start.env.passThrough' } },
  { name: 'an env name the config denies', request: start([app({ env: { APP_KEY: 'x' } })]), policy: policy({ start: { env: { deny: ['APP_KEY'] } } }), rule: 'start.env.deny', expect: key('start.env.deny') },
  { name: 'an env name not allowed', request: start([app({ env: { FOO: 'x' } })]), policy: policy({ start: { env: { allow: ['PORT'] } } }), rule: 'start.env.allow', expect: key('start.env.allow') },
  { name: 'too many instances', request: start([app({ instances: 8 })]), rule: 'start.maxInstances', expect: key('start.maxInstances') },
  { name: 'watch mode', request: start([app({ watch: true })]), rule: 'start.watch', expect: key('"start": { "watch": true }') },
  { name: 'a start outside the processes in scope', request: start([app()]), policy: policy({ processes: { names: ['web'] } }), rule: 'processes.scope', expect: key('processes.names') },
  // evaluate.ts: restart, reload, stop, delete, flush and the daemon
  { name: 'a pm2-mcp server as a target', request: operate('pm2_stop_process', [proc({ server: true })]), rule: 'processes.server', expect: NONE },
  { name: 'updateEnv', request: operate('pm2_restart_process', [proc()], { updateEnv: true }), rule: 'processes.updateEnv', expect: key('"processes": { "updateEnv": true }') },
  { name: 'all', request: { ...operate('pm2_stop_process', [proc()]), target: { asked: 'all', kind: 'all', processes: [proc()] } } as CanonicalRequest, rule: 'processes.allowAll', expect: key('"processes": { "allowAll": true }') },
  { name: 'a process out of scope', request: operate('pm2_stop_process', [proc({ name: 'db' })]), policy: policy({ processes: { names: ['web'] } }), rule: 'processes.scope', expect: key('processes.names') },
  { name: 'no process named', request: { kind: 'operate', operation: 'pm2_stop_process', target: null, updateEnv: false }, rule: 'processes.scope', expect: NONE },
  { name: 'a restart of a stored script no longer allowed', request: operate('pm2_restart_process', [proc()], { stored: [app({ script: join(ROOT, 'tools', 'x.js') })] }), rule: 'start.scripts', expect: key('start.scripts') },
  { name: 'a flush of a file outside the log folders', request: operate('pm2_flush_logs', [proc()], { files: [{ stream: 'out', path: join(ROOT, 'x.log') }] }), rule: 'logs.outsidePolicy', expect: key('start.logFiles') },
  { name: 'a daemon call that stops a pm2-mcp server', request: { kind: 'daemon', operation: 'pm2_reload_logs', affects: [proc({ server: true })] }, rule: 'processes.server', expect: NONE },
];

function assertHint(row: Row, hint: string | undefined, file: string): void {
  assert.ok(hint, `${row.name}: the denial has a hint`);
  const e = row.expect;
  if (e.kind === 'key') {
    assert.ok(hint.includes(e.key), `${row.name}: the hint names ${e.key}: ${hint}`);
    assert.ok(hint.includes(file), `${row.name}: the hint names the file ${file}: ${hint}`);
  } else if (e.kind === 'none') {
    assert.match(hint, /no config/, `${row.name}: the hint says why no config key allows it: ${hint}`);
  } else {
    assert.match(hint, /preset .* no config removes a preset's/, `${row.name}: the hint says the preset's pattern stays: ${hint}`);
    assert.ok(hint.includes(e.instead), `${row.name}: the hint names ${e.instead} instead: ${hint}`);
    assert.ok(!/^remove /.test(hint), `${row.name}: it does not say to remove the preset's pattern: ${hint}`);
  }
}

describe('every denial names what would allow it, or why nothing does', () => {
  const base = policy();
  for (const row of ROWS) {
    test(row.name, () => {
      const d = evaluate(row.request, row.policy ?? base);
      assert.equal(d.effect, 'deny', `${row.name}: ${d.reason}`);
      assert.equal(d.ruleId, row.rule, `${row.name}: ${d.reason}`);
      assertHint(row, d.hint, CONFIG);
    });
  }

  test('every rule id of the table above is one the policy has', () => {
    // A new rule is a new row: the ids the rows cover, against the ids that exist in the tables.
    const covered = new Set(ROWS.map((r) => r.rule.replace(/^start\.env\.family\..*/, 'start.env.family').replace(/^logs\.(ownFile|pm2Home|path)$/, 'logs.files').replace(/^tools\.(?!unknown).*/, 'tools.<tool>')));
    for (const id of ['tools.<tool>', 'tools.unknown', 'logs.maxLines', 'start.maxWaitMs', 'start.ecosystemFiles', 'start', 'processes.max', 'processes.server', 'start.env.pm2Field', 'start.env.family', 'start.interpreters.fit', 'logs.files', 'start.cwd', 'start.scripts', 'start.scriptsExclude', 'start.interpreters', 'start.interpreterArgs', 'start.logFiles', 'start.env.deny', 'start.env.allow', 'start.maxInstances', 'start.watch', 'processes.scope', 'processes.updateEnv', 'processes.allowAll', 'logs.outsidePolicy']) {
      assert.ok(covered.has(id), `no row for ${id}`);
    }
  });
});

describe('with no config file, a hint says `pm2-mcp init`', () => {
  const none = policy({}, { configFile: null });
  for (const row of ROWS.filter((r) => r.expect.kind === 'key' && r.policy === undefined)) {
    test(row.name, () => {
      const d = evaluate(row.request, none);
      assert.equal(d.ruleId, row.rule);
      assert.match(d.hint ?? '', /a pm2-mcp\.config\.json \(none is found from .*: `pm2-mcp init` writes one\)/, d.hint);
    });
  }
});

describe('a deny pattern from a file the config extends is removed from that file', () => {
  test('the hint names the files of the chain', () => {
    const extended = join(ROOT, 'base.json');
    const p = { ...policy({ start: { env: { deny: ['APP_KEY'] } } }), sources: ['preset strict (policies/strict.json)', extended, CONFIG] };
    const d = evaluate(start([app({ env: { APP_KEY: 'x' } })]), p);
    assert.equal(d.ruleId, 'start.env.deny');
    assert.match(d.hint ?? '', new RegExp(`remove "APP_KEY" from start\\.env\\.deny in the file of the chain that lists it \\(${CONFIG.replace(/[.]/g, '\\.')}, ${extended.replace(/[.]/g, '\\.')}\\)`));
  });
});
