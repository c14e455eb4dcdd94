// Attack tables for the policy gate, one block per item 1–10 of THREATS.md. Each start is built
// the way the server builds it: resolveStartApps (real paths, decided interpreter, ecosystem
// apps) then evaluate() against a compiled preset. Every row asserts the exact effect and rule,
// or, for what the resolve stage refuses, the ToolError code.
//
// A row marked { todo: 'HOLE: …' } is an attack that is NOT stopped today: it states the
// expected behaviour and is kept visible without turning the suite red.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveInterpreterPath } from '../../src/commands/load-policy.js';
import { type Pm2McpConfig } from '../../src/model/config.js';
import { TOOL_NAMES, type PresetName, type ToolName } from '../../src/model/tools.js';
import { ToolError, type ToolErrorCode } from '../../src/errors.js';
import { buildStartConfig } from '../../src/pm2/start-config.js';
import { resolveStartApps, type StartArgs } from '../../src/pm2/start-request.js';
import { resolveTarget } from '../../src/pm2/targets.js';
import type { Pm2RawProcess } from '../../src/pm2/types.js';
import { describe as describeProcess, summarize } from '../../src/pm2/views.js';
import { REDACTED } from '../../src/safe-text.js';
import { which } from '../../src/pm2/which.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { redactRequest } from '../../src/policy/redact-request.js';
import type { CanonicalRequest, Effect, ProcessRef, TargetRef } from '../../src/model/requests.js';
import { reloadProcess, restartProcess, startProcess, stopProcess } from '../../src/server/tools/lifecycle.js';
import { refOf } from '../../src/server/tools/targets.js';
import { merge, presetPolicy, type Plain } from '../helpers/policies.js';
import { READ_TOOLS } from '../helpers/fixtures.js';

// ─── the layout ──────────────────────────────────────────────────────────────────────────────
//   ROOT/apps/api/server.js        the legit app (plus exec.js, run.sh, runner, blob, x.ts …)
//   ROOT/apps/worker/w.js
//   ROOT/outside/evil.js           inside ROOT, outside every start glob
//   ROOT/apps/link.js      → ../outside/evil.js
//   ROOT/apps/linkdir      → ../outside
//   ROOT/apps/tmplink      → OUTER (a folder outside ROOT)
//   ROOT/bin/node                  a copy of bash merely called "node"
//   ROOT/bin/node-link     → the real node
//   OUTER/                         outside the root: canaries, log targets, secrets

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-attacks-')));
const OUTER = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-outer-')));
after(() => {
  rmSync(ROOT, { recursive: true, force: true });
  rmSync(OUTER, { recursive: true, force: true });
});

function put(rel: string, content: string | Buffer, mode?: number): string {
  const file = join(ROOT, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  if (mode !== undefined) chmodSync(file, mode);
  return file;
}

put('apps/api/server.js', 'console.log("api");\n');
put('apps/api/exec.js', '#!/usr/bin/env node\nconsole.log("exec");\n', 0o755);
put('apps/api/run.sh', '#!/bin/sh\necho run\n', 0o755);
put('apps/api/runner', 'console.log("a text file without an extension");\n');
put('apps/api/blob', Buffer.from([0x00, 0x01, 0x02, 0x00, 0x41]), 0o755);
put('apps/api/x.ts', 'const x: number = 1;\n');
put('apps/api/with space.js', 'console.log("space");\n');
put('apps/worker/w.js', 'console.log("worker");\n');
put('outside/evil.js', 'console.log("evil");\n');
put('outside/eco.json', JSON.stringify({ apps: [{ name: 'api', script: 'server.js', cwd: '../apps/api' }] }));
symlinkSync('../outside/evil.js', join(ROOT, 'apps/link.js'));
symlinkSync('../outside', join(ROOT, 'apps/linkdir'));
symlinkSync(OUTER, join(ROOT, 'apps/tmplink'));
symlinkSync('../outside/eco.json', join(ROOT, 'apps/eco-link.json'));
mkdirSync(join(ROOT, 'bin'));
copyFileSync('/bin/bash', join(ROOT, 'bin/node'));
chmodSync(join(ROOT, 'bin/node'), 0o755);
const NODE = resolveInterpreterPath('node');
assert.ok(NODE, 'node is on the PATH');
symlinkSync(NODE, join(ROOT, 'bin/node-link'));
// a log file that is a symlink to a file outside the root (THREATS.md item 9)
writeFileSync(join(OUTER, 'target.log'), 'precious\n');
writeFileSync(join(OUTER, 'evil.js'), 'console.log("outer");\n');
symlinkSync(join(OUTER, 'target.log'), join(ROOT, 'apps/api/evil.log'));
symlinkSync(join(OUTER, 'not-yet.log'), join(ROOT, 'apps/api/dangling.log'));

let ecoCount = 0;
/** Writes an ecosystem file under apps/ and returns its path relative to ROOT. */
function eco(content: unknown, ext = 'json'): string {
  const rel = `apps/eco-${++ecoCount}.${ext}`;
  put(rel, typeof content === 'string' ? content : JSON.stringify(content));
  return rel;
}
/** The legit app, as an ecosystem entry next to apps/ (paths relative to the file's folder). */
const API = { name: 'api', script: 'server.js', cwd: 'api' };

// ─── policies ────────────────────────────────────────────────────────────────────────────────

function policy(preset: PresetName, over: Pm2McpConfig = {}): CompiledPolicy {
  return presetPolicy(ROOT, preset, over);
}

const STRICT_OVER: Pm2McpConfig = {
  start: { scripts: ['apps/**/*.js'], cwd: ['apps/**', 'apps'], env: { allow: ['NODE_ENV', 'PORT', 'APP_*'] } },
  processes: { names: ['api', 'worker-*'] },
};
const ECO_FILES = ['apps/*.json', 'apps/*.yaml', 'apps/*.yml'];

const STRICT = policy('strict', STRICT_OVER);
const STRICT_BARE = policy('strict');
const STRICT_ECO = policy('strict', merge(STRICT_OVER as Plain, { start: { ecosystemFiles: ECO_FILES } }) as Pm2McpConfig);
const STRICT_ANY_SCRIPT = policy('strict', merge(STRICT_OVER as Plain, { start: { scripts: ['apps/**'] } }) as Pm2McpConfig);
const STRICT_NO_ENV_DENY = policy('strict', merge(STRICT_OVER as Plain, { start: { env: { deny: [] } } }) as Pm2McpConfig);
const ALLOW_ALL_DENY_SECRET = policy('strict', merge(STRICT_OVER as Plain, { start: { env: { allow: ['*'], deny: ['SECRET_*'] } } }) as Pm2McpConfig);
const STANDARD = policy('standard');
const PERMISSIVE = policy('permissive');
const READONLY = policy('readonly');

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────

async function startRequest(args: StartArgs, p: CompiledPolicy): Promise<Extract<CanonicalRequest, { kind: 'start' }>> {
  const apps = await resolveStartApps(args, ROOT, { jsEcosystemFiles: p.start.jsEcosystemFiles });
  return { kind: 'start', operation: 'pm2_start_process', apps };
}

const opts = (todo?: string) => (todo ? { todo } : {});

interface StartCase {
  name: string;
  args: StartArgs;
  policy: CompiledPolicy;
  effect: Effect;
  ruleId: string;
  /** Something the reason must say (the app, the real path …). */
  reason?: RegExp | string;
  todo?: string;
}

function startCases(cases: StartCase[]): void {
  for (const c of cases) {
    test(`${c.name} → ${c.effect} (${c.ruleId})`, opts(c.todo), async () => {
      const d = evaluate(await startRequest(c.args, c.policy), c.policy);
      assert.deepEqual({ effect: d.effect, ruleId: d.ruleId }, { effect: c.effect, ruleId: c.ruleId }, d.reason);
      if (typeof c.reason === 'string') assert.ok(d.reason.includes(c.reason), `reason ${JSON.stringify(d.reason)} should name ${c.reason}`);
      else if (c.reason) assert.match(d.reason, c.reason);
    });
  }
}

interface RefusalCase {
  name: string;
  args: StartArgs;
  policy: CompiledPolicy;
  code: ToolErrorCode;
  message?: RegExp | string;
  /** A file that must not exist afterwards (nothing was executed). */
  canary?: string;
  todo?: string;
}

async function assertRefused(promise: Promise<unknown>, code: ToolErrorCode, message?: RegExp | string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ToolError, `a ToolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === 'string') assert.ok(err.message.includes(message), `message ${JSON.stringify(err.message)} should include ${JSON.stringify(message)}`);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

function refusalCases(cases: RefusalCase[]): void {
  for (const c of cases) {
    test(`${c.name} → resolve refuses ${c.code}`, opts(c.todo), async () => {
      await assertRefused(startRequest(c.args, c.policy), c.code, c.message);
      if (c.canary) assert.equal(existsSync(c.canary), false, `${c.canary} must not exist: the file was executed`);
    });
  }
}

/** For a hole: the attack must end either refused by resolve or denied by the given rule. */
async function assertStopped(args: StartArgs, p: CompiledPolicy, ruleId: string): Promise<void> {
  let request: CanonicalRequest;
  try {
    request = await startRequest(args, p);
  } catch (err) {
    assert.ok(err instanceof ToolError && err.code === 'START_REFUSED', `refused with START_REFUSED, got ${String(err)}`);
    return;
  }
  const d = evaluate(request, p);
  assert.deepEqual({ effect: d.effect, ruleId: d.ruleId }, { effect: 'deny', ruleId }, d.reason);
}

const apiRef = (over: Partial<ProcessRef> = {}): ProcessRef => ({ pm_id: 1, name: 'api', namespace: 'default', cwd: join(ROOT, 'apps/api'), ...over });

function operate(operation: string, kind: TargetRef['kind'], processes: ProcessRef[], updateEnv = false): CanonicalRequest {
  return { kind: 'operate', operation, target: { asked: kind === 'all' ? 'all' : (processes[0]?.name ?? 'x'), kind, processes }, updateEnv };
}

function decided(request: CanonicalRequest, p: CompiledPolicy): { effect: Effect; ruleId: string } {
  const d = evaluate(request, p);
  return { effect: d.effect, ruleId: d.ruleId };
}

const LEGIT: StartArgs = { script: 'server.js', cwd: 'apps/api', name: 'api' };

// ─── 1. paths ────────────────────────────────────────────────────────────────────────────────

describe('THREATS 1: paths (real paths, resolved against the real cwd)', () => {
  const sleep = realpathSync(which('sleep') ?? '/usr/bin/sleep');
  const canary = join(OUTER, 'touched-by-space');
  startCases([
    { name: 'the legit app', args: LEGIT, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'standard: no cwd (the root), script relative to the root', args: { script: 'apps/api/server.js', name: 'api' }, policy: STANDARD, effect: 'allow', ruleId: 'start' },
    { name: 'a worker', args: { script: 'w.js', cwd: 'apps/worker', name: 'worker-1' }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'an absolute script path inside the globs', args: { script: join(ROOT, 'apps/api/server.js'), cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: '.. out of apps (cwd apps)', args: { script: '../outside/evil.js', cwd: 'apps', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts', reason: join(ROOT, 'outside/evil.js') },
    { name: '.. out of apps (cwd apps/api)', args: { script: '../../outside/evil.js', cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'apps/../outside/evil.js written absolute', args: { script: `${ROOT}/apps/../outside/evil.js`, cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'apps/./api/../../outside/evil.js', args: { script: `${ROOT}/apps/./api/../../outside/evil.js`, cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'a symlink inside apps to a file outside (apps/link.js)', args: { script: join(ROOT, 'apps/link.js'), cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts', reason: join(ROOT, 'outside/evil.js') },
    { name: 'a symlink, relative to cwd apps', args: { script: 'link.js', cwd: 'apps', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'through a symlinked folder (apps/linkdir/evil.js)', args: { script: join(ROOT, 'apps/linkdir/evil.js'), cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'evil.js with cwd outside', args: { script: 'evil.js', cwd: 'outside', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.cwd', reason: join(ROOT, 'outside') },
    { name: 'cwd through a symlinked folder (apps/linkdir)', args: { script: 'evil.js', cwd: 'apps/linkdir', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.cwd' },
    { name: 'cwd outside the root (OUTER via apps/tmplink)', args: { script: join(ROOT, 'apps/api/server.js'), cwd: 'apps/tmplink', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.cwd' },
    { name: 'cwd defaults to the root, which is not in start.cwd', args: { script: 'apps/api/server.js', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.cwd' },
    { name: 'a bare command found on the PATH (sleep)', args: { script: 'sleep', cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts', reason: sleep },
    { name: 'a bare command under standard (outside the root)', args: { script: 'sleep', cwd: 'apps/api', name: 'api' }, policy: STANDARD, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'an absolute system file', args: { script: '/etc/passwd', cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'through a symlinked folder that leaves the root, under standard', args: { script: join(ROOT, 'apps/tmplink/evil.js'), cwd: 'apps/api', name: 'api' }, policy: STANDARD, effect: 'deny', ruleId: 'start.scripts', reason: join(OUTER, 'evil.js') },
    { name: 'a symlink to a file in outside/ under standard (still inside the root)', args: { script: join(ROOT, 'apps/link.js'), cwd: 'apps/api', name: 'api' }, policy: STANDARD, effect: 'allow', ruleId: 'start' },
    { name: 'no globs, no starts (strict with no config)', args: LEGIT, policy: STRICT_BARE, effect: 'deny', ruleId: 'start.cwd' },
  ]);
  refusalCases([
    { name: 'a shell string with a space', args: { script: `server.js; touch ${canary}`, cwd: 'apps/api', name: 'api' }, policy: STRICT, code: 'START_REFUSED', message: 'does not exist', canary },
    { name: 'a bash -c style command', args: { script: `sleep 1 && touch ${canary}`, cwd: 'apps/api', name: 'api' }, policy: STRICT, code: 'START_REFUSED', canary },
    { name: 'a missing file with a slash (no PATH fallback)', args: { script: 'missing.js', cwd: 'apps/api' }, policy: STRICT, code: 'START_REFUSED' },
    { name: 'a folder as the script', args: { script: join(ROOT, 'apps/api') }, policy: STRICT, code: 'START_REFUSED', message: 'not a file' },
    { name: 'a missing cwd', args: { script: 'server.js', cwd: 'apps/nope' }, policy: STRICT, code: 'START_REFUSED', message: 'working folder' },
    { name: 'a NUL byte in the script', args: { script: 'server.js\0.txt', cwd: 'apps/api' }, policy: STRICT, code: 'INVALID_ARGUMENTS', message: 'NUL' },
    { name: 'a NUL byte in an env value', args: { ...LEGIT, env: { NODE_ENV: 'a\0b' } }, policy: STRICT, code: 'INVALID_ARGUMENTS', message: 'NUL' },
    { name: 'a ~ path is not expanded', args: { script: '~/x.js', cwd: 'apps/api' }, policy: STRICT, code: 'START_REFUSED' },
  ]);

  test('a real script path holding a space is never handed to pm2', async () => {
    await assertStopped({ script: 'with space.js', cwd: 'apps/api', name: 'api' }, STRICT, 'start.scripts');
  });
});

// ─── 2. interpreters ─────────────────────────────────────────────────────────────────────────

describe('THREATS 2: interpreters (decided here, checked as real paths)', () => {
  startCases([
    { name: 'a .js file runs with node (the node on the PATH)', args: LEGIT, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'interpreter "node" named explicitly', args: { ...LEGIT, interpreter: 'node' }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'the real node by absolute path', args: { ...LEGIT, interpreter: NODE }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'a symlink to the real node', args: { ...LEGIT, interpreter: join(ROOT, 'bin/node-link') }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'interpreter bash for a .js file', args: { ...LEGIT, interpreter: 'bash' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'interpreter sh', args: { ...LEGIT, interpreter: 'sh' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'interpreter /bin/bash by absolute path', args: { ...LEGIT, interpreter: '/bin/bash' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'interpreter none for an executable file', args: { script: 'exec.js', cwd: 'apps/api', name: 'api', interpreter: 'none' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters', reason: 'none' },
    { name: 'a copy of bash merely called "node" (absolute path)', args: { ...LEGIT, interpreter: join(ROOT, 'bin/node') }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters', reason: join(ROOT, 'bin/node') },
    { name: 'a copy of bash called "node", under standard (node, bash … by PATH only)', args: { ...LEGIT, interpreter: join(ROOT, 'bin/node') }, policy: STANDARD, effect: 'deny', ruleId: 'start.interpreters' },
    { name: 'a .sh script inside the globs runs with bash: denied under strict', args: { script: 'run.sh', cwd: 'apps/api', name: 'api' }, policy: STRICT_ANY_SCRIPT, effect: 'deny', ruleId: 'start.interpreters', reason: 'bash' },
    { name: 'a .sh script outside the *.js globs', args: { script: 'run.sh', cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.scripts' },
    { name: 'a .sh script under standard (bash is listed)', args: { script: 'run.sh', cwd: 'apps/api', name: 'api' }, policy: STANDARD, effect: 'allow', ruleId: 'start' },
    { name: 'a text file without extension runs with node: refused, node is not known to fit it', args: { script: 'runner', cwd: 'apps/api', name: 'api' }, policy: STRICT_ANY_SCRIPT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'a text file without extension: denied when the glob does not match', args: { script: 'runner', cwd: 'apps/api', name: 'api' }, policy: STRICT, effect: 'deny', ruleId: 'start.interpreters.fit' },
    { name: 'a binary file without extension runs itself (none)', args: { script: 'blob', cwd: 'apps/api', name: 'api' }, policy: STRICT_ANY_SCRIPT, effect: 'deny', ruleId: 'start.interpreters', reason: 'none' },
    { name: 'a binary found on the PATH runs itself: none, under permissive', args: { script: 'sleep', cwd: 'apps/api', name: 'api' }, policy: PERMISSIVE, effect: 'allow', ruleId: 'start' },
  ]);
  refusalCases([
    { name: 'node@18 (pm2 expands it through a shell)', args: { ...LEGIT, interpreter: 'node@18' }, policy: STRICT, code: 'START_REFUSED', message: 'not an interpreter name' },
    { name: 'node@$(id)', args: { ...LEGIT, interpreter: 'node@$(id)' }, policy: STRICT, code: 'START_REFUSED' },
    { name: 'an interpreter with a space', args: { ...LEGIT, interpreter: 'node --require /tmp/x.js' }, policy: STRICT, code: 'START_REFUSED' },
    { name: 'an interpreter with a ;', args: { ...LEGIT, interpreter: 'node;id' }, policy: STRICT, code: 'START_REFUSED' },
    { name: 'a relative interpreter path', args: { ...LEGIT, interpreter: './bin/node' }, policy: STRICT, code: 'START_REFUSED' },
    { name: 'a missing absolute interpreter', args: { ...LEGIT, interpreter: '/nonexistent/node' }, policy: STRICT, code: 'START_REFUSED', message: 'does not exist' },
    { name: 'an interpreter not on the PATH', args: { ...LEGIT, interpreter: 'no-such-interpreter-xyz' }, policy: STRICT, code: 'START_REFUSED', message: 'not on the PATH' },
    { name: 'none for a file that is not executable', args: { ...LEGIT, interpreter: 'none' }, policy: STRICT, code: 'START_REFUSED', message: 'executable' },
    { name: 'a TypeScript file with no interpreter', args: { script: 'x.ts', cwd: 'apps/api', name: 'api' }, policy: STRICT, code: 'START_REFUSED', message: 'TypeScript' },
    { name: 'cluster mode for a non-node interpreter', args: { jsonConfigFile: eco({ apps: [{ ...API, script: 'run.sh', exec_mode: 'cluster' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'Cluster' },
  ]);
});

// ─── 3. interpreter arguments ────────────────────────────────────────────────────────────────

describe('THREATS 3: interpreter arguments and NODE_OPTIONS', () => {
  const withArgs = (field: 'node_args' | 'interpreter_args', value: string | string[]) => ({ jsonConfigFile: eco({ apps: [{ ...API, [field]: value }] }) });
  startCases([
    { name: 'node_args --require', args: withArgs('node_args', ['--require', '/tmp/x.js']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs', reason: '--require' },
    { name: 'node_args -r as one string', args: withArgs('node_args', '-r /tmp/x.js'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'node_args --import=data:', args: withArgs('node_args', ['--import=data:text/javascript,process.exit(7)']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'node_args -e', args: withArgs('node_args', ['-e', 'require("child_process").execSync("id")']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'node_args --eval=', args: withArgs('node_args', ['--eval=process.exit(1)']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'interpreter_args --loader', args: withArgs('interpreter_args', ['--loader', '/tmp/l.mjs']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'interpreter_args --experimental-loader as one string', args: withArgs('interpreter_args', '--experimental-loader=/tmp/l.mjs'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'node_args --inspect on every interface', args: withArgs('node_args', ['--inspect=0.0.0.0:9229']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'even a harmless flag: strict lists none', args: withArgs('node_args', ['--enable-source-maps']), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'standard: a listed flag', args: withArgs('node_args', ['--max-old-space-size=64']), policy: STANDARD, effect: 'allow', ruleId: 'start' },
    { name: 'standard: a listed flag then --require in one string', args: withArgs('node_args', '--max-old-space-size=64 --require /tmp/x.js'), policy: STANDARD, effect: 'deny', ruleId: 'start.interpreterArgs', reason: '--require' },
    { name: 'standard: -r hidden after a listed flag', args: withArgs('node_args', ['--enable-source-maps', '-r', '/tmp/x.js']), policy: STANDARD, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'standard: --import', args: withArgs('interpreter_args', ['--import', 'data:text/javascript,1']), policy: STANDARD, effect: 'deny', ruleId: 'start.interpreterArgs' },
    { name: 'NODE_OPTIONS by arguments: in strict\'s deny list', args: { ...LEGIT, env: { NODE_OPTIONS: '--require /tmp/x.js' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'NODE_OPTIONS when the deny list is empty: not in the allow list', args: { ...LEGIT, env: { NODE_OPTIONS: '--require /tmp/x.js' } }, policy: STRICT_NO_ENV_DENY, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'NODE_OPTIONS in an ecosystem env', args: { jsonConfigFile: eco({ apps: [{ ...API, env: { NODE_OPTIONS: '--import=data:text/javascript,1' } }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'NODE_OPTIONS under standard', args: { ...LEGIT, env: { NODE_OPTIONS: '-r /tmp/x.js' } }, policy: STANDARD, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'NODE_PATH under standard', args: { ...LEGIT, env: { NODE_PATH: '/tmp' } }, policy: STANDARD, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'LD_PRELOAD under standard', args: { ...LEGIT, env: { LD_PRELOAD: '/tmp/x.so' } }, policy: STANDARD, effect: 'deny', ruleId: 'start.env.family.dynamic-linker' },
    { name: 'BASH_ENV under standard', args: { script: 'run.sh', cwd: 'apps/api', name: 'api', env: { BASH_ENV: '/tmp/x.sh' } }, policy: STANDARD, effect: 'deny', ruleId: 'start.env.family.shell' },
  ]);

  test('both interpreter_args and node_args: refused, never one silently dropped', async () => {
    await assert.rejects(startRequest({ jsonConfigFile: eco({ apps: [{ ...API, interpreter_args: [], node_args: ['--require', '/tmp/x.js'] }] }) }, STRICT_ECO), (err: unknown) => {
      assert.ok(err instanceof ToolError);
      assert.equal(err.code, 'START_REFUSED');
      assert.match(err.message, /"node_args" and "interpreter_args" are the same field: give one/);
      return true;
    });
  });
});

// ─── 4. option aliases ───────────────────────────────────────────────────────────────────────

describe('THREATS 4: option aliases', () => {
  const aliases: [string, string, unknown][] = [
    ['exec', 'script', '../outside/evil.js'],
    ['cmd', 'script', '../outside/evil.js'],
    ['command', 'script', 'sleep 100'],
    ['exec_interpreter', 'interpreter', 'bash'],
    ['interpreterArgs', 'interpreter_args', ['--require', '/tmp/x.js']],
    ['nodeArgs', 'node_args', ['--require', '/tmp/x.js']],
    ['execMode', 'exec_mode', 'cluster'],
    ['outFile', 'out_file', '/etc/cron.d/x'],
    ['errorFile', 'error_file', '/etc/cron.d/x'],
    ['logFile', 'log_file', '/etc/cron.d/x'],
    ['err_file', 'error_file', '/etc/cron.d/x'],
    ['output', 'out_file', '/etc/cron.d/x'],
    ['error', 'error_file', '/etc/cron.d/x'],
    ['log', 'log_file', '/etc/cron.d/x'],
  ];
  refusalCases(aliases.map(([alias, canonical, value]) => ({
    name: `ecosystem key "${alias}"`,
    args: { jsonConfigFile: eco({ apps: [{ ...API, [alias]: value }] }) },
    policy: STRICT_ECO,
    code: 'START_REFUSED' as const,
    message: `"${alias}" is another spelling of "${canonical}"`,
  })));
  const unknown: [string, unknown][] = [
    ['pid_file', '/etc/cron.d/x'], ['uid', 0], ['gid', 0], ['user', 'root'], ['cron_restart', '* * * * *'], ['post_update', ['id']],
    ['filter_env', false], ['instance_var', 'PATH'], ['append_env_to_name', true], ['treekill', false], ['source_map_support', true], ['__proto__', { script: '/bin/sh' }],
  ];
  refusalCases(unknown.map(([key, value]) => ({
    name: `ecosystem key "${key}"`,
    args: { jsonConfigFile: eco(`{"apps":[{"name":"api","script":"server.js","cwd":"api",${JSON.stringify(key)}:${JSON.stringify(value)}}]}`) },
    policy: STRICT_ECO,
    code: 'START_REFUSED' as const,
    message: `"${key}" is not a field`,
  })));
  refusalCases([
    { name: 'watch as a list of paths', args: { jsonConfigFile: eco({ apps: [{ ...API, watch: ['/'] }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"watch" must be' },
    { name: 'instances "max"', args: { jsonConfigFile: eco({ apps: [{ ...API, instances: 'max' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"instances" must be' },
    { name: 'an env value that is an object', args: { jsonConfigFile: eco({ apps: [{ ...API, env: { APP_X: { script: '/bin/sh' } } }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"env.APP_X" must be a string, a number or true or false' },
    { name: 'a script that is not a string', args: { jsonConfigFile: eco({ apps: [{ ...API, script: ['server.js'] }] }) }, policy: STRICT_ECO, code: 'START_REFUSED' },
  ]);

  describe('the tool input admits no alias', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['exec', { script: 'apps/api/server.js', exec: 'x' }],
      ['node_args', { script: 'apps/api/server.js', node_args: ['--require', '/tmp/x.js'] }],
      ['interpreter_args', { script: 'apps/api/server.js', interpreter_args: '-r x' }],
      ['exec_interpreter', { script: 'apps/api/server.js', exec_interpreter: 'bash' }],
      ['out_file', { script: 'apps/api/server.js', out_file: '/etc/cron.d/x' }],
      ['filter_env', { script: 'apps/api/server.js', filter_env: false }],
      ['namespace', { script: 'apps/api/server.js', namespace: 'x' }],
      ['script and jsonConfigFile', { script: 'apps/api/server.js', jsonConfigFile: 'apps/eco.json' }],
      ['jsonConfigFile with env', { jsonConfigFile: 'apps/eco.json', env: { NODE_OPTIONS: '-r x' } }],
      ['a name with a slash', { script: 'apps/api/server.js', name: '/.*/' }],
      ['a name with a space', { script: 'apps/api/server.js', name: 'a b' }],
      ['instances 0', { script: 'apps/api/server.js', instances: 0 }],
    ];
    for (const [what, args] of bad) {
      test(`pm2_start_process refuses ${what}`, () => {
        assert.equal(startProcess.input.safeParse(args).success, false);
      });
    }
    test('pm2_start_process takes the legit arguments', () => {
      assert.equal(startProcess.input.safeParse({ ...LEGIT, env: { NODE_ENV: 'production' } }).success, true);
    });
  });

  const BASE_KEYS = ['args', 'autorestart', 'cwd', 'env', 'exec_mode', 'filter_env', 'instances', 'interpreter', 'name', 'namespace', 'node_args', 'script', 'watch'];
  const OPTIONAL_KEYS = ['error_file', 'kill_timeout', 'log_file', 'max_memory_restart', 'max_restarts', 'merge_logs', 'min_uptime', 'out_file', 'restart_delay', 'time'];

  test('buildStartConfig hands pm2 exactly the allow-listed keys (arguments)', async () => {
    const req = await startRequest({ ...LEGIT, env: { NODE_ENV: 'production' }, args: '--port 3000' }, STRICT);
    const config = buildStartConfig(req.apps[0]!, { PATH: '/usr/bin' }, STRICT.start.env.passThrough);
    assert.deepEqual(Object.keys(config).sort(), BASE_KEYS);
    assert.equal(config.script, join(ROOT, 'apps/api/server.js'));
    assert.equal(config.cwd, join(ROOT, 'apps/api'));
    assert.equal(config.interpreter, NODE);
    assert.deepEqual(config.args, ['--port', '3000']);
    assert.deepEqual(config.node_args, []);
    assert.deepEqual(config.filter_env, ['']);
  });

  test('buildStartConfig hands pm2 exactly the allow-listed keys (an ecosystem app with every option)', async () => {
    const file = eco({
      apps: [{
        ...API, out_file: 'out.log', error_file: 'err.log', log_file: 'all.log', merge_logs: true, max_memory_restart: '100M',
        max_restarts: 3, min_uptime: 1000, restart_delay: 100, kill_timeout: 1000, time: true, autorestart: false, namespace: 'default',
      }],
    });
    const req = await startRequest({ jsonConfigFile: file }, STRICT_ECO);
    const config = buildStartConfig(req.apps[0]!, {}, []);
    assert.deepEqual(Object.keys(config).sort(), [...BASE_KEYS, ...OPTIONAL_KEYS].sort());
    assert.equal(config.out_file, join(ROOT, 'apps/api/out.log'));
    assert.equal(config.autorestart, false);
  });
});

// ─── 5. environment ──────────────────────────────────────────────────────────────────────────

describe('THREATS 5: environment', () => {
  const PM2_FIELDS = [
    'script', 'exec_interpreter', 'pm_exec_path', 'node_args', 'cwd', 'interpreter', 'env_production', 'pm_cwd',
    'interpreter_args', 'execInterpreter', 'nodeArgs', 'exec', 'cmd', 'command', 'filter_env', 'instance_var', 'args', 'name',
    'namespace', 'out_file', 'pm_out_log_path', 'pid_file', 'watch', 'exec_mode', 'status', 'restart_time', 'unique_id', 'axm_options',
    'pm2_env', 'env', 'uid', 'username', 'max_memory_restart', 'autorestart', 'treekill', 'pmx', 'vizion', 'automation',
  ];
  for (const [label, p] of [['permissive', PERMISSIVE], ['standard', STANDARD], ['strict', STRICT]] as const) {
    startCases(PM2_FIELDS.map((name) => ({
      name: `${label}: env variable "${name}" (a pm2 field)`,
      args: { ...LEGIT, env: { [name]: '/bin/sh' } },
      policy: p,
      effect: 'deny' as const,
      ruleId: 'start.env.pm2Field',
      reason: name,
    })));
  }
  startCases([
    { name: 'a pm2 field in an ecosystem env', args: { jsonConfigFile: eco({ apps: [{ ...API, env: { pm_exec_path: '/bin/sh' } }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.env.pm2Field' },
    { name: 'GITHUB_TOKEN', args: { ...LEGIT, env: { GITHUB_TOKEN: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'APP_TOKEN: allowed by APP_*, denied by *_TOKEN (deny beats allow)', args: { ...LEGIT, env: { APP_TOKEN: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'APP_DB_PASSWORD (*PASSWORD*)', args: { ...LEGIT, env: { APP_DB_PASSWORD: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'APP_SECRET_KEY (*_SECRET_*)', args: { ...LEGIT, env: { APP_SECRET_KEY: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'APP_API_KEY (*_API_KEY)', args: { ...LEGIT, env: { APP_API_KEY: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'PM2_HOME', args: { ...LEGIT, env: { PM2_HOME: '/tmp' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.family.pm2' },
    { name: 'a name not in the allow list', args: { ...LEGIT, env: { FOO: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.allow', reason: 'FOO' },
    { name: 'PATH is a search path the operator sets, never the agent', args: { ...LEGIT, env: { PATH: '/tmp/evil' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.family.search-paths' },
    { name: 'a lower-case twin of an allowed name (families ignore case; only NODE_ENV itself is excepted)', args: { ...LEGIT, env: { node_env: 'x' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.family.node' },
    { name: 'the allowed names', args: { ...LEGIT, env: { NODE_ENV: 'production', PORT: '3000', APP_MODE: 'x' } }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'one bad name among good ones', args: { ...LEGIT, env: { NODE_ENV: 'production', EVIL: 'x', PORT: '1' } }, policy: STRICT, effect: 'deny', ruleId: 'start.env.allow', reason: 'EVIL' },
    { name: 'allow [*], deny [SECRET_*]: SECRET_X', args: { ...LEGIT, env: { SECRET_X: 'x' } }, policy: ALLOW_ALL_DENY_SECRET, effect: 'deny', ruleId: 'start.env.deny' },
    { name: 'allow [*], deny [SECRET_*]: OTHER', args: { ...LEGIT, env: { OTHER: 'x' } }, policy: ALLOW_ALL_DENY_SECRET, effect: 'allow', ruleId: 'start' },
    { name: 'allow [*], deny [SECRET_*]: a pm2 field is still refused', args: { ...LEGIT, env: { script: 'x' } }, policy: ALLOW_ALL_DENY_SECRET, effect: 'deny', ruleId: 'start.env.pm2Field' },
  ]);
  refusalCases([
    { name: 'an env name with a dash', args: { ...LEGIT, env: { 'A-B': 'x' } }, policy: STRICT, code: 'INVALID_ARGUMENTS' },
    { name: 'an env name starting with a digit', args: { ...LEGIT, env: { '1X': 'x' } }, policy: STRICT, code: 'INVALID_ARGUMENTS' },
    { name: 'an env name with =', args: { ...LEGIT, env: { 'A=B': 'x' } }, policy: STRICT, code: 'INVALID_ARGUMENTS' },
    { name: 'an env name with a space', args: { ...LEGIT, env: { 'NODE_ENV ': 'x' } }, policy: STRICT, code: 'INVALID_ARGUMENTS' },
    { name: 'a bash exported function', args: { ...LEGIT, env: { 'BASH_FUNC_ls%%': '() { id; }' } }, policy: STANDARD, code: 'INVALID_ARGUMENTS' },
  ]);

  // Variables that run code or write files, as NODE_OPTIONS or LD_PRELOAD do, missing from the
  // standard preset's deny list.
  const gaps: [string, string, string, string][] = [
    ['NODE_REDIRECT_WARNINGS', '/etc/cron.d/x', 'node', 'node appends every process warning to this file: a write anywhere, past start.logFiles'],
    ['NODE_V8_COVERAGE', '/etc/cron.d', 'node', 'node writes coverage JSON into this folder at exit: a write anywhere'],
    ['OPENSSL_CONF', '/tmp/evil.cnf', 'openssl', 'node loads this OpenSSL config at startup, and an engine section loads a shared library'],
    ['PYTHONUSERBASE', '/tmp/evil', 'python', 'python runs the .pth files of this user site-packages at startup'],
  ];
  for (const [name, value, family, why] of gaps) {
    test(`standard: ${name} → deny (start.env.family.${family}): ${why}`, async () => {
      const req = await startRequest({ ...LEGIT, env: { [name]: value } }, STANDARD);
      assert.deepEqual(decided(req, STANDARD), { effect: 'deny', ruleId: `start.env.family.${family}` });
    });
  }

  test('buildStartConfig: the server\'s secrets stay out; only passThrough names and the app env go in', async () => {
    const server: Record<string, string | undefined> = {
      PATH: '/usr/bin:/bin', HOME: '/home/me', LANG: 'C.UTF-8', TZ: 'UTC',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY', ANTHROPIC_API_KEY: 'sk-ant-secret', NODE_OPTIONS: '--require /tmp/x.js',
      PM2_HOME: '/home/me/.pm2', UNDEFINED_ONE: undefined,
    };
    const req = await startRequest({ ...LEGIT, env: { NODE_ENV: 'production', APP_MODE: 'x' } }, STRICT);
    const config = buildStartConfig(req.apps[0]!, server, STRICT.start.env.passThrough);
    assert.deepEqual(config.env, { PATH: '/usr/bin:/bin', HOME: '/home/me', LANG: 'C.UTF-8', TZ: 'UTC', NODE_ENV: 'production', APP_MODE: 'x', PM2_MCP_STARTED: '1' });
    assert.deepEqual(config.filter_env, ['']);
    const text = JSON.stringify(config);
    for (const secret of ['wJalrXUtnFEMI', 'sk-ant-secret', '/tmp/x.js', '.pm2']) assert.ok(!text.includes(secret), secret);
  });

  test('buildStartConfig: an app variable overrides a passed-through one of the same name', async () => {
    const req = await startRequest({ ...LEGIT, env: { APP_X: '1' } }, STRICT);
    const app = { ...req.apps[0]!, env: { HOME: '/app-home' } };
    assert.deepEqual(buildStartConfig(app, { HOME: '/home/me' }, ['HOME']).env, { HOME: '/app-home', PM2_MCP_STARTED: '1' });
  });
});

// ─── 6. ecosystem files ──────────────────────────────────────────────────────────────────────

describe('THREATS 6: ecosystem files', () => {
  const canaryGlob = join(OUTER, 'canary-glob');
  const canaryNamed = join(OUTER, 'canary-named');
  const canaryJson = join(OUTER, 'canary-json');
  const canaryYaml = join(OUTER, 'canary-yaml');
  const jsEco = (canary: string) => `require('node:fs').writeFileSync(${JSON.stringify(canary)}, 'ran');\nmodule.exports = { apps: [{ name: 'api', script: 'server.js', cwd: 'api' }] };\n`;
  put('apps/eco-glob.js', jsEco(canaryGlob));
  put('apps/eco-named.js', jsEco(canaryNamed));
  put('apps/eco-alias-target.js', jsEco(join(OUTER, 'canary-alias')));
  symlinkSync(join(ROOT, 'apps/eco-alias-target.js'), join(ROOT, 'apps/eco-alias.js'));
  const JS_GLOB = policy('strict', merge(STRICT_OVER as Plain, { start: { ecosystemFiles: ['apps/*.js'] } }) as Pm2McpConfig);
  const JS_NAMED = policy('strict', merge(STRICT_OVER as Plain, { start: { ecosystemFiles: ['apps/eco-named.js', 'apps/eco-alias.js'] } }) as Pm2McpConfig);

  const legitFile = eco({ apps: [API] });
  startCases([
    { name: 'a JSON ecosystem not in start.ecosystemFiles', args: { jsonConfigFile: legitFile }, policy: STRICT, effect: 'deny', ruleId: 'start.ecosystemFiles' },
    { name: 'the same file when the config lists apps/*.json', args: { jsonConfigFile: legitFile }, policy: STRICT_ECO, effect: 'allow', ruleId: 'start' },
    { name: 'a YAML ecosystem', args: { jsonConfigFile: eco('apps:\n  - name: api\n    script: server.js\n    cwd: api\n', 'yaml') }, policy: STRICT_ECO, effect: 'allow', ruleId: 'start' },
    { name: 'an ecosystem outside the globs', args: { jsonConfigFile: 'outside/eco.json' }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.ecosystemFiles' },
    { name: 'a symlink in apps/ to an ecosystem outside', args: { jsonConfigFile: 'apps/eco-link.json' }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.ecosystemFiles', reason: join(ROOT, 'outside/eco.json') },
    { name: 'an ecosystem outside the root, under standard', args: { jsonConfigFile: (writeFileSync(join(OUTER, 'eco.json'), JSON.stringify({ apps: [{ name: 'api', script: join(ROOT, 'apps/api/server.js'), cwd: join(ROOT, 'apps/api') }] })), join(OUTER, 'eco.json')) }, policy: STANDARD, effect: 'deny', ruleId: 'start.ecosystemFiles' },
    { name: 'every app is checked: the 2nd has a script outside', args: { jsonConfigFile: eco({ apps: [API, { name: 'worker-2', script: '../outside/evil.js' }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.scripts', reason: /^worker-2:/ },
    { name: 'every app is checked: the 2nd is out of scope', args: { jsonConfigFile: eco({ apps: [API, { name: 'evil', script: 'w.js', cwd: 'worker' }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'processes.scope', reason: /^evil:/ },
    { name: 'every app is checked: the 3rd has a bad env', args: { jsonConfigFile: eco({ apps: [API, { ...API, name: 'worker-1' }, { ...API, name: 'worker-3', env: { NODE_OPTIONS: '-r x' } }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.env.family.node', reason: /^worker-3:/ },
    { name: 'two legit apps', args: { jsonConfigFile: eco({ apps: [API, { name: 'worker-1', script: 'w.js', cwd: 'worker' }] }) }, policy: STRICT_ECO, effect: 'allow', ruleId: 'start' },
    { name: 'a single app object (no apps key)', args: { jsonConfigFile: eco(API) }, policy: STRICT_ECO, effect: 'allow', ruleId: 'start' },
    { name: 'an app cwd relative to the file, leaving the globs', args: { jsonConfigFile: eco({ apps: [{ name: 'api', script: 'evil.js', cwd: '../outside' }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.cwd' },
  ]);

  test('a .js ecosystem matched only by a glob is refused, and never executed', async () => {
    await assertRefused(startRequest({ jsonConfigFile: 'apps/eco-glob.js' }, JS_GLOB), 'START_REFUSED', 'JavaScript');
    assert.equal(existsSync(canaryGlob), false, 'the file ran');
  });

  test('a .js ecosystem the config names exactly is read (executed, as documented) and checked', async () => {
    assert.equal(existsSync(canaryNamed), false);
    const req = await startRequest({ jsonConfigFile: 'apps/eco-named.js' }, JS_NAMED);
    assert.equal(existsSync(canaryNamed), true, 'reading a named .js ecosystem executes it');
    assert.deepEqual(decided(req, JS_NAMED), { effect: 'allow', ruleId: 'start' });
    assert.equal(req.apps[0]?.script, join(ROOT, 'apps/api/server.js'));
  });

  test('the same named .js ecosystem is denied by a policy that does not list it', async () => {
    const req = await startRequest({ jsonConfigFile: 'apps/eco-named.js' }, JS_NAMED);
    assert.deepEqual(decided(req, STRICT_ECO), { effect: 'deny', ruleId: 'start.ecosystemFiles' });
  });

  test('a .js ecosystem named through a symlink is compared by real path (refused, not executed)', async () => {
    await assertRefused(startRequest({ jsonConfigFile: 'apps/eco-alias.js' }, JS_NAMED), 'START_REFUSED', 'JavaScript');
    assert.equal(existsSync(join(OUTER, 'canary-alias')), false);
  });

  refusalCases([
    {
      name: 'a .json file holding JavaScript (pm2 would evaluate it)',
      args: { jsonConfigFile: eco(`module.exports = { apps: [{ name: 'api', script: 'server.js', cwd: 'api', x: require('fs').writeFileSync(${JSON.stringify(canaryJson)}, 'ran') }] }`) },
      policy: STRICT_ECO, code: 'START_REFUSED', message: 'not valid JSON', canary: canaryJson,
    },
    {
      name: 'a .json file holding a JS object literal',
      args: { jsonConfigFile: eco(`({ apps: [{ name: 'api', script: (require('fs').writeFileSync(${JSON.stringify(canaryJson)}, 'ran'), 'server.js') }] })`) },
      policy: STRICT_ECO, code: 'START_REFUSED', message: 'not valid JSON', canary: canaryJson,
    },
    {
      name: 'a YAML file with a !!js/function tag',
      args: { jsonConfigFile: eco(`apps:\n  - name: api\n    script: !!js/function "function () { require('fs').writeFileSync(${JSON.stringify(canaryYaml)}, 'ran'); return 'server.js' }"\n`, 'yml') },
      policy: STRICT_ECO, code: 'START_REFUSED', message: 'not valid YAML', canary: canaryYaml,
    },
    { name: 'a .cjs ecosystem not named', args: { jsonConfigFile: eco('module.exports = {}', 'cjs') }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'JavaScript' },
    { name: 'a .mjs ecosystem not named', args: { jsonConfigFile: eco('export default {}', 'mjs') }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'JavaScript' },
    { name: 'a .ts ecosystem', args: { jsonConfigFile: eco('export default {}', 'ts') }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'TypeScript' },
    { name: 'a file with an ecosystem-like name but no known extension', args: { jsonConfigFile: eco(JSON.stringify({ apps: [API] }), 'config') }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'must end in' },
    { name: 'a missing ecosystem file', args: { jsonConfigFile: 'apps/nope.json' }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'does not exist' },
    { name: 'top-level static (a file server)', args: { jsonConfigFile: eco({ apps: [API], static: [{ path: '/', port: 8080 }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"static"' },
    { name: 'top-level deploy', args: { jsonConfigFile: eco({ apps: [API], deploy: { production: { 'post-deploy': 'id' } } }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"deploy"' },
    { name: 'an app field serve', args: { jsonConfigFile: eco({ apps: [{ ...API, serve: true }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"serve"' },
    { name: 'env_file in an app', args: { jsonConfigFile: eco({ apps: [{ ...API, env_file: '/etc/shadow' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"env_file"' },
    { name: 'env_production in an app', args: { jsonConfigFile: eco({ apps: [{ ...API, env_production: { NODE_OPTIONS: '-r x' } }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"env_production"' },
    { name: 'an app without a script', args: { jsonConfigFile: eco({ apps: [{ name: 'api' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"script" is required' },
    { name: 'an app that is not an object', args: { jsonConfigFile: eco({ apps: ['server.js'] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'not an object' },
    { name: 'no app', args: { jsonConfigFile: eco({ apps: [] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'no app' },
    { name: 'a JSON scalar', args: { jsonConfigFile: eco('"server.js"') }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'no app' },
    { name: '51 apps', args: { jsonConfigFile: eco({ apps: Array.from({ length: 51 }, (_, i) => ({ ...API, name: `worker-${i}` })) }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'at most 50' },
    { name: 'the 2nd app has an alias', args: { jsonConfigFile: eco({ apps: [API, { ...API, exec: 'x' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'app #2' },
  ]);

  // The resolve stage opens and parses the named file before the policy sees its path.
  const SECRET = 'hunter2-Sup3rSecret-value';
  writeFileSync(join(OUTER, 'secret.yml'), `db_password: ${SECRET}\n  broken: [\n`);
  writeFileSync(join(OUTER, 'secret.json'), `${SECRET}\n`);
  writeFileSync(join(OUTER, 'keys.json'), JSON.stringify({ [`aws_key_${SECRET}`]: 1 }));
  for (const file of ['secret.yml', 'secret.json', 'keys.json']) {
    test(`a file outside start.ecosystemFiles (${file}) is not read, and leaks none of its content`, async () => {
      // Through the tool's own resolve stage, which consults the policy before reading.
      const ctx = { policy: STRICT, root: STRICT.root, redactEnv: true, pm2: undefined as never };
      const request = await startProcess.resolve({ jsonConfigFile: join(OUTER, file) }, ctx);
      assert.equal(request.kind, 'start');
      assert.deepEqual(request.apps, []);
      const decision = evaluate(request, STRICT);
      assert.equal(decision.effect, 'deny');
      assert.equal(decision.ruleId, 'start.ecosystemFiles');
      assert.ok(!JSON.stringify({ request, decision }).includes(SECRET.slice(0, 7)));
    });
    test(`a parse error of ${file}, once allowed, quotes none of its content`, async () => {
      await assert.rejects(startRequest({ jsonConfigFile: join(OUTER, file) }, STRICT), (err: unknown) => {
        assert.ok(err instanceof ToolError);
        assert.ok(!err.message.includes(SECRET.slice(0, 7)) || file === 'keys.json', `the message quotes the file: ${err.message}`);
        return true;
      });
    });
  }
});

// ─── 7. restart and reload ───────────────────────────────────────────────────────────────────

describe('THREATS 7: restart and reload', () => {
  const cases: { name: string; request: CanonicalRequest; policy: CompiledPolicy; effect: Effect; ruleId: string }[] = [];
  for (const op of ['pm2_restart_process', 'pm2_reload_process']) {
    cases.push(
      { name: `${op} updateEnv, strict`, request: operate(op, 'name', [apiRef()], true), policy: STRICT, effect: 'deny', ruleId: 'processes.updateEnv' },
      { name: `${op} updateEnv, standard`, request: operate(op, 'name', [apiRef()], true), policy: STANDARD, effect: 'deny', ruleId: 'processes.updateEnv' },
      { name: `${op} updateEnv, permissive`, request: operate(op, 'name', [apiRef()], true), policy: PERMISSIVE, effect: 'allow', ruleId: 'processes.scope' },
      { name: `${op} without updateEnv, strict`, request: operate(op, 'name', [apiRef()]), policy: STRICT, effect: 'allow', ruleId: 'processes.scope' },
      { name: `${op} updateEnv on an out-of-scope process, strict (updateEnv decides first)`, request: operate(op, 'name', [apiRef({ name: 'evil' })], true), policy: STRICT, effect: 'deny', ruleId: 'processes.updateEnv' },
      { name: `${op} updateEnv, readonly (the tool is off)`, request: operate(op, 'name', [apiRef()], true), policy: READONLY, effect: 'deny', ruleId: `tools.${op}` },
    );
  }
  cases.push({ name: 'updateEnv allowed by the config', request: operate('pm2_restart_process', 'name', [apiRef()], true), policy: policy('strict', merge(STRICT_OVER as Plain, { processes: { updateEnv: true } }) as Pm2McpConfig), effect: 'allow', ruleId: 'processes.scope' });
  for (const c of cases) {
    test(`${c.name} → ${c.effect} (${c.ruleId})`, () => assert.deepEqual(decided(c.request, c.policy), { effect: c.effect, ruleId: c.ruleId }));
  }

  const extra: [string, Record<string, unknown>][] = [
    ['options', { process: 'api', options: {} }],
    ['env', { process: 'api', env: { NODE_OPTIONS: '-r x' } }],
    ['interpreter', { process: 'api', interpreter: 'bash' }],
    ['node_args', { process: 'api', node_args: ['--require', '/tmp/x.js'] }],
    ['script', { process: 'api', script: '/tmp/evil.js' }],
    ['updateEnv as a string', { process: 'api', updateEnv: 'true' }],
  ];
  for (const [tool, def] of [['restart', restartProcess], ['reload', reloadProcess]] as const) {
    for (const [what, args] of extra) {
      test(`pm2_${tool}_process input admits no ${what}`, () => assert.equal(def.input.safeParse(args).success, false));
    }
    test(`pm2_${tool}_process input takes process and updateEnv`, () => assert.equal(def.input.safeParse({ process: 'api', updateEnv: true }).success, true));
  }
  test('pm2_stop_process input admits no updateEnv', () => assert.equal(stopProcess.input.safeParse({ process: 'api', updateEnv: true }).success, false));
});

// ─── 8. targets ──────────────────────────────────────────────────────────────────────────────

describe('THREATS 8: targets', () => {
  const NS_DEV = policy('strict', merge(STRICT_OVER as Plain, { processes: { namespaces: ['dev'] } }) as Pm2McpConfig);
  const R = 'pm2_restart_process';
  const worker1 = apiRef({ pm_id: 2, name: 'worker-1', cwd: join(ROOT, 'apps/worker') });
  const evil = apiRef({ pm_id: 3, name: 'evil', cwd: join(ROOT, 'outside') });
  const cases: { name: string; request: CanonicalRequest; policy: CompiledPolicy; effect: Effect; ruleId: string }[] = [
    { name: '"all", strict', request: operate(R, 'all', [apiRef(), worker1]), policy: STRICT, effect: 'deny', ruleId: 'processes.allowAll' },
    { name: '"all", standard', request: operate('pm2_stop_process', 'all', [apiRef()]), policy: STANDARD, effect: 'deny', ruleId: 'processes.allowAll' },
    { name: '"all", permissive', request: operate(R, 'all', [apiRef(), evil]), policy: PERMISSIVE, effect: 'allow', ruleId: 'processes.scope' },
    { name: '"all" with allowAll but one process out of scope, strict', request: operate(R, 'all', [apiRef(), evil]), policy: policy('strict', merge(STRICT_OVER as Plain, { processes: { allowAll: true } }) as Pm2McpConfig), effect: 'deny', ruleId: 'processes.scope' },
    { name: 'a regex resolving to one in-scope and one out-of-scope process', request: operate(R, 'regex', [apiRef(), evil]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'a regex resolving to in-scope processes only', request: operate(R, 'regex', [apiRef(), worker1]), policy: STRICT, effect: 'allow', ruleId: 'processes.scope' },
    { name: 'api-evil vs names [api]', request: operate(R, 'name', [apiRef({ name: 'api-evil' })]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'API (case) vs names [api]', request: operate(R, 'name', [apiRef({ name: 'API' })]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'worker-1 vs worker-*', request: operate(R, 'name', [worker1]), policy: STRICT, effect: 'allow', ruleId: 'processes.scope' },
    { name: 'worker (no dash) vs worker-*', request: operate(R, 'name', [apiRef({ name: 'worker' })]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'an id target of an out-of-scope process', request: operate(R, 'id', [evil]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'no target at all', request: { kind: 'operate', operation: R, target: null, updateEnv: false }, policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'a namespace in scope', request: operate(R, 'namespace', [apiRef({ name: 'x', namespace: 'dev' }), apiRef({ pm_id: 9, name: 'y', namespace: 'dev' })]), policy: NS_DEV, effect: 'allow', ruleId: 'processes.scope' },
    { name: 'a namespace not in scope', request: operate(R, 'namespace', [apiRef({ name: 'x', namespace: 'prod' })]), policy: NS_DEV, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'strict ignores cwd (inRoot off)', request: operate(R, 'name', [apiRef({ name: 'x' })]), policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: cwd inside the root', request: operate(R, 'name', [apiRef({ name: 'anything' })]), policy: STANDARD, effect: 'allow', ruleId: 'processes.scope' },
    { name: 'standard: cwd is the root', request: operate(R, 'name', [apiRef({ name: 'anything', cwd: ROOT })]), policy: STANDARD, effect: 'allow', ruleId: 'processes.scope' },
    { name: 'standard: cwd ${root}-evil (prefix trick)', request: operate(R, 'name', [apiRef({ cwd: `${ROOT}-evil` })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: cwd ${root}-evil/apps', request: operate(R, 'name', [apiRef({ cwd: `${ROOT}-evil/apps` })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: cwd the parent of the root', request: operate(R, 'name', [apiRef({ cwd: dirname(ROOT) })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: cwd /', request: operate(R, 'name', [apiRef({ cwd: '/' })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: cwd unknown (null)', request: operate(R, 'name', [apiRef({ cwd: null })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: delete out of the root', request: operate('pm2_delete_process', 'id', [evil, apiRef({ pm_id: 4, cwd: '/srv' })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: flush out of the root', request: operate('pm2_flush_logs', 'name', [apiRef({ cwd: '/srv' })]), policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'strict: delete is off', request: operate('pm2_delete_process', 'name', [apiRef()]), policy: STRICT, effect: 'deny', ruleId: 'tools.pm2_delete_process' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.effect} (${c.ruleId})`, () => assert.deepEqual(decided(c.request, c.policy), { effect: c.effect, ruleId: c.ruleId }));
  }

  startCases([
    { name: 'strict: starting a new app named evil', args: { ...LEGIT, name: 'evil' }, policy: STRICT, effect: 'deny', ruleId: 'processes.scope', reason: 'evil' },
    { name: 'strict: the default name (server) is out of scope', args: { script: 'server.js', cwd: 'apps/api' }, policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'strict: an ecosystem app named api-evil in namespace dev', args: { jsonConfigFile: eco({ apps: [{ ...API, name: 'api-evil', namespace: 'dev' }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'processes.scope' },
    { name: 'standard: a new app in the root, any name', args: { ...LEGIT, name: 'whatever' }, policy: STANDARD, effect: 'allow', ruleId: 'start' },
  ]);

  // Names pm2 would read as targets are refused whatever the policy (a start only ever creates).
  refusalCases([
    { name: 'an ecosystem app named like a regex', args: { jsonConfigFile: eco({ apps: [{ ...API, name: '/.*/' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'use only letters' },
    { name: 'an ecosystem app named all', args: { jsonConfigFile: eco({ apps: [{ ...API, name: 'all' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"all" means every process' },
    { name: 'an ecosystem app named 0', args: { jsonConfigFile: eco({ apps: [{ ...API, name: '0' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'a number reads as a pm_id' },
    { name: 'an ecosystem app named with an escape sequence', args: { jsonConfigFile: eco({ apps: [{ ...API, name: 'api\u001b[2K' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'control and invisible characters' },
    { name: 'two ecosystem apps of one name (the second would restart the first)', args: { jsonConfigFile: eco({ apps: [{ ...API }, { ...API }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: 'names two apps' },
    { name: 'a start named all', args: { ...LEGIT, name: 'all' }, policy: STRICT, code: 'START_REFUSED', message: '"all" means every process' },
  ]);

  const proc = (pm_id: number, name: string, cwd: string | null, namespace = 'default'): Pm2RawProcess => ({ pm_id, name, pm2_env: { pm_id, name, namespace, ...(cwd ? { pm_cwd: cwd } : {}) } });
  const LIST: Pm2RawProcess[] = [
    proc(0, 'api', join(ROOT, 'apps/api')),
    proc(1, '0', join(ROOT, 'apps/api')),
    proc(2, 'worker-1', join(ROOT, 'apps/worker')),
    proc(3, 'api-evil', '/srv/evil'),
    proc(4, 'jobs', '/srv/jobs', 'jobs'),
    proc(5, 'cron', '/srv/jobs', 'jobs'),
  ];
  const target = async (asked: string | number): Promise<TargetRef> => {
    const r = await resolveTarget(asked, LIST);
    const ids = new Set(r.ids);
    return { asked, kind: r.kind, processes: LIST.filter((p) => ids.has(p.pm_id ?? -1)).map(refOf) };
  };

  test('the string "0" is the process NAMED "0"', async () => {
    const t = await target('0');
    assert.equal(t.kind, 'name');
    assert.deepEqual(t.processes.map((p) => p.pm_id), [1]);
  });
  test('the number 0 is pm_id 0', async () => {
    const t = await target(0);
    assert.equal(t.kind, 'id');
    assert.deepEqual(t.processes.map((p) => p.name), ['api']);
  });
  test('" all " (padded) is still all, and denied under strict', async () => {
    const t = await target(' all ');
    assert.equal(t.kind, 'all');
    assert.deepEqual(decided({ kind: 'operate', operation: R, target: t, updateEnv: false }, STRICT), { effect: 'deny', ruleId: 'processes.allowAll' });
  });

  const resolved: { asked: string | number; policy: CompiledPolicy; effect: Effect; ruleId: string }[] = [
    { asked: '/^api/', policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { asked: '/^api$/', policy: STRICT, effect: 'allow', ruleId: 'processes.scope' },
    { asked: 'api', policy: STRICT, effect: 'allow', ruleId: 'processes.scope' },
    { asked: 'api-evil', policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { asked: 3, policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { asked: 'jobs', policy: STRICT, effect: 'deny', ruleId: 'processes.scope' },
    { asked: '/^api/', policy: STANDARD, effect: 'deny', ruleId: 'processes.scope' },
    { asked: '/^(api|0|worker-1)$/', policy: STANDARD, effect: 'allow', ruleId: 'processes.scope' },
    { asked: 'all', policy: STANDARD, effect: 'deny', ruleId: 'processes.allowAll' },
  ];
  for (const c of resolved) {
    test(`resolved target ${JSON.stringify(c.asked)} (${c.policy.preset}) → ${c.effect} (${c.ruleId})`, async () => {
      assert.deepEqual(decided({ kind: 'operate', operation: R, target: await target(c.asked), updateEnv: false }, c.policy), { effect: c.effect, ruleId: c.ruleId });
    });
  }
  test('a regex target names the out-of-scope process in the reason', async () => {
    const d = evaluate({ kind: 'operate', operation: R, target: await target('/^api/'), updateEnv: false }, STRICT);
    assert.match(d.reason, /api-evil \(pm_id 3\)/);
    assert.ok(!d.reason.includes('api (pm_id 0)'));
  });
});

// ─── 9. file writes ──────────────────────────────────────────────────────────────────────────

describe('THREATS 9: file writes (log files)', () => {
  const STANDARD_OWN = STANDARD;
  const log = (field: 'out_file' | 'error_file' | 'log_file', value: string) => ({ jsonConfigFile: eco({ apps: [{ ...API, [field]: value }] }) });
  startCases([
    { name: 'strict: out_file /etc/cron.d/x', args: log('out_file', '/etc/cron.d/x'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.logFiles', reason: '/etc/cron.d/x' },
    { name: 'strict: error_file ../../outside/x.log', args: log('error_file', '../../outside/x.log'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.logFiles', reason: join(ROOT, 'outside/x.log') },
    { name: 'strict: log_file through a symlinked folder', args: log('log_file', '../linkdir/x.log'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.logFiles', reason: join(ROOT, 'outside/x.log') },
    { name: 'strict: even a log file inside the app folder (logFiles is [])', args: log('out_file', 'out.log'), policy: STRICT_ECO, effect: 'deny', ruleId: 'start.logFiles' },
    { name: 'strict: no log files at all', args: { jsonConfigFile: eco({ apps: [API] }) }, policy: STRICT_ECO, effect: 'allow', ruleId: 'start' },
    { name: 'standard: a log file inside the root (logs stay in pm2\'s folder unless the config names one)', args: log('out_file', 'out.log'), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles' },
    { name: 'standard: a log file in outside/ (still inside the root)', args: log('error_file', '../../outside/x.log'), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles' },
    { name: 'standard: /etc/cron.d/x', args: log('out_file', '/etc/cron.d/x'), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles' },
    { name: 'standard: a log file outside the root, absolute', args: log('log_file', join(OUTER, 'x.log')), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles', reason: join(OUTER, 'x.log') },
    { name: 'standard: a log file outside the root by ..', args: log('out_file', '../../../x.log'), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles' },
    { name: 'standard: through a symlinked folder that leaves the root', args: log('error_file', '../tmplink/x.log'), policy: STANDARD_OWN, effect: 'deny', ruleId: 'start.logFiles', reason: join(OUTER, 'x.log') },
  ]);
  refusalCases([
    { name: 'strict: /dev/null is a device, not a regular file', args: log('out_file', '/dev/null'), policy: STRICT_ECO, code: 'START_REFUSED', message: 'regular file' },
    { name: 'a log file whose folder does not exist', args: log('out_file', 'nope/x.log'), policy: STRICT_ECO, code: 'START_REFUSED', message: 'does not exist' },
    { name: 'pid_file', args: { jsonConfigFile: eco({ apps: [{ ...API, pid_file: '/etc/cron.d/x' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"pid_file"' },
    { name: 'a log file that is not a string', args: { jsonConfigFile: eco({ apps: [{ ...API, log_file: true }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"log_file" must be' },
  ]);
  test('standard: a log file that is itself a symlink to a file outside the root → deny', async () => {
    await assertStopped(log('out_file', 'evil.log'), STANDARD_OWN, 'start.logFiles');
  });
  test('standard: a log file that is a dangling symlink out of the root → deny', async () => {
    await assertStopped(log('error_file', 'dangling.log'), STANDARD_OWN, 'start.logFiles');
  });
});

// ─── 10. leaks in output ─────────────────────────────────────────────────────────────────────

describe('THREATS 10: leaks in output', () => {
  const SECRETS = { API_TOKEN: 'tok-9f8e7d6c5b4a', DATABASE_URL: 'postgres://admin:hunter2pw@db/app', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMIK7MDENGbPxRfiCY' };
  const entry: Pm2RawProcess = {
    pid: 4242, name: 'api', pm_id: 0, monit: { cpu: 1, memory: 2 },
    pm2_env: {
      name: 'api', pm_id: 0, namespace: 'default', status: 'online', pm_uptime: Date.now() - 1000, restart_time: 0,
      pm_exec_path: join(ROOT, 'apps/api/server.js'), pm_cwd: join(ROOT, 'apps/api'), exec_interpreter: 'node', exec_mode: 'fork_mode',
      node_args: [], args: ['--port', '3000'], instances: 1,
      // pm2 keeps the env in pm2_env.env, flattens it into pm2_env, and files the app's whole config under its name
      env: { NODE_ENV: 'production', API_TOKEN: SECRETS.API_TOKEN, DATABASE_URL: SECRETS.DATABASE_URL, api: { env: { ...SECRETS } }, PM2_HOME: '/home/me/.pm2' },
      NODE_ENV: 'production', ...SECRETS,
    },
  };
  const secretValues = Object.values(SECRETS);

  test('summarize shows no env value', () => {
    const text = JSON.stringify(summarize(entry));
    for (const v of secretValues) assert.ok(!text.includes(v), v);
  });
  test('describe with redactEnv shows names, never values', () => {
    const detail = describeProcess(entry, { redactEnv: true });
    const text = JSON.stringify(detail);
    for (const v of secretValues) assert.ok(!text.includes(v), v);
    assert.ok(!text.includes('production'));
    assert.deepEqual(Object.keys(detail.env).sort(), ['API_TOKEN', 'DATABASE_URL', 'NODE_ENV']);
    for (const v of Object.values(detail.env)) assert.equal(v, REDACTED);
    assert.equal(detail.env_redacted, true);
  });
  test('describe without redaction shows the app\'s own variables only (not the flattened copy, not pm2\'s)', () => {
    const detail = describeProcess(entry, { redactEnv: false });
    assert.deepEqual(detail.env, { API_TOKEN: SECRETS.API_TOKEN, DATABASE_URL: SECRETS.DATABASE_URL, NODE_ENV: 'production' });
    assert.ok(!JSON.stringify(detail).includes(SECRETS.AWS_SECRET_ACCESS_KEY));
  });
  test('describe of a process without env', () => {
    const detail = describeProcess({ pm_id: 1, name: 'bare', pm2_env: { AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY } }, { redactEnv: true });
    assert.deepEqual(detail.env, {});
    assert.ok(!JSON.stringify(detail).includes(SECRETS.AWS_SECRET_ACCESS_KEY));
  });
  test('redactRequest keeps env names and drops every value', async () => {
    const req = await startRequest({ ...LEGIT, env: { NODE_ENV: 'hunter2-production', APP_KEY: 'hunter2-app-key' } }, STRICT);
    const redacted = redactRequest(req);
    const text = JSON.stringify(redacted);
    assert.ok(!text.includes('hunter2'), text);
    assert.deepEqual(redacted.kind === 'start' ? redacted.apps[0]?.env : undefined, { NODE_ENV: '[redacted]', APP_KEY: '[redacted]' });
    assert.equal(req.apps[0]?.env.APP_KEY, 'hunter2-app-key', 'the original request is not changed');
  });
  test('redactRequest: every app of an ecosystem', async () => {
    const req = await startRequest({ jsonConfigFile: eco({ apps: [{ ...API, env: { APP_A: 'hunter2-a' } }, { ...API, name: 'worker-1', env: { APP_B: 'hunter2-b' } }] }) }, STRICT_ECO);
    assert.ok(!JSON.stringify(redactRequest(req)).includes('hunter2'));
  });
  test('redactRequest leaves other requests as they are', () => {
    const req = operate('pm2_restart_process', 'name', [apiRef()]);
    assert.deepEqual(redactRequest(req), req);
  });
});

// ─── the rest of the policy ──────────────────────────────────────────────────────────────────

describe('tools, limits and the engine', () => {
  const READS = READ_TOOLS;
  const requestFor = async (tool: ToolName): Promise<CanonicalRequest> => {
    switch (tool) {
      case 'pm2_start_process': return startRequest(LEGIT, STRICT);
      case 'pm2_restart_process': case 'pm2_reload_process': case 'pm2_stop_process': case 'pm2_delete_process': case 'pm2_flush_logs':
        return operate(tool, 'name', [apiRef()]);
      case 'pm2_list_processes': case 'pm2_describe_process': case 'pm2_diagnose_process': case 'pm2_tail_logs':
        return { kind: 'read', operation: tool, targets: [apiRef()] };
      default: return { kind: 'daemon', operation: tool };
    }
  };

  for (const tool of TOOL_NAMES.filter((t) => !READS.includes(t))) {
    test(`readonly denies ${tool} → tools.${tool}`, async () => {
      assert.deepEqual(decided(await requestFor(tool), READONLY), { effect: 'deny', ruleId: `tools.${tool}` });
    });
  }
  for (const tool of READS) {
    test(`readonly allows ${tool}`, async () => {
      assert.deepEqual(decided(await requestFor(tool), READONLY), { effect: 'allow', ruleId: 'read' });
    });
  }
  for (const [name, p] of [['readonly', READONLY], ['strict', STRICT], ['standard', STANDARD], ['permissive', PERMISSIVE]] as const) {
    test(`${name}: pm2_kill_daemon → deny (tools.pm2_kill_daemon)`, () => {
      assert.deepEqual(decided({ kind: 'daemon', operation: 'pm2_kill_daemon' }, p), { effect: 'deny', ruleId: 'tools.pm2_kill_daemon' });
    });
    test(`${name}: pm2_kill_daemon turned on by tools → allow`, () => {
      const on = policy(p.preset, { tools: { pm2_kill_daemon: 'allow' } });
      assert.deepEqual(decided({ kind: 'daemon', operation: 'pm2_kill_daemon' }, on), { effect: 'allow', ruleId: 'tools.pm2_kill_daemon' });
    });
  }
  test('strict: dump, reload_logs, flush and delete are off', async () => {
    for (const tool of ['pm2_dump', 'pm2_reload_logs', 'pm2_flush_logs', 'pm2_delete_process'] as const) {
      assert.deepEqual(decided(await requestFor(tool), STRICT), { effect: 'deny', ruleId: `tools.${tool}` });
    }
  });

  startCases([
    { name: 'strict: 4 instances (maxInstances 4)', args: { ...LEGIT, instances: 4 }, policy: STRICT, effect: 'allow', ruleId: 'start' },
    { name: 'strict: 5 instances', args: { ...LEGIT, instances: 5 }, policy: STRICT, effect: 'deny', ruleId: 'start.maxInstances' },
    { name: 'strict: 5 instances from an ecosystem', args: { jsonConfigFile: eco({ apps: [{ ...API, instances: 5, exec_mode: 'cluster' }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.maxInstances' },
    { name: 'standard: 9 instances (maxInstances 8)', args: { ...LEGIT, instances: 9 }, policy: STANDARD, effect: 'deny', ruleId: 'start.maxInstances' },
    { name: 'strict: watch', args: { ...LEGIT, watch: true }, policy: STRICT, effect: 'deny', ruleId: 'start.watch' },
    { name: 'strict: watch from an ecosystem', args: { jsonConfigFile: eco({ apps: [{ ...API, watch: true }] }) }, policy: STRICT_ECO, effect: 'deny', ruleId: 'start.watch' },
    { name: 'standard: watch', args: { ...LEGIT, watch: true }, policy: STANDARD, effect: 'allow', ruleId: 'start' },
  ]);
  refusalCases([
    { name: 'instances 0 (pm2: one per CPU)', args: { jsonConfigFile: eco({ apps: [{ ...API, instances: 0 }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"instances" must be a whole number from 1 to 64' },
    { name: 'instances -1 (pm2: CPUs minus one)', args: { jsonConfigFile: eco({ apps: [{ ...API, instances: -1 }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"instances" must be a whole number from 1 to 64' },
    { name: 'instances 1.5', args: { jsonConfigFile: eco({ apps: [{ ...API, instances: 1.5 }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"instances" must be a whole number from 1 to 64' },
    { name: 'instances 65', args: { ...LEGIT, instances: 65 }, policy: STRICT, code: 'INVALID_ARGUMENTS' },
    { name: 'exec_mode other than fork/cluster', args: { jsonConfigFile: eco({ apps: [{ ...API, exec_mode: 'bash' }] }) }, policy: STRICT_ECO, code: 'START_REFUSED', message: '"exec_mode" must be fork or cluster' },
  ]);

  const lines: { name: string; policy: CompiledPolicy; lines: number | undefined; effect: Effect; ruleId: string }[] = [
    { name: 'strict: 500 lines', policy: STRICT, lines: 500, effect: 'allow', ruleId: 'read' },
    { name: 'strict: 501 lines', policy: STRICT, lines: 501, effect: 'deny', ruleId: 'logs.maxLines' },
    { name: 'readonly: 501 lines', policy: READONLY, lines: 501, effect: 'deny', ruleId: 'logs.maxLines' },
    { name: 'standard: 1001 lines', policy: STANDARD, lines: 1001, effect: 'deny', ruleId: 'logs.maxLines' },
    { name: 'standard: no line count', policy: STANDARD, lines: undefined, effect: 'allow', ruleId: 'read' },
    { name: 'strict: Infinity lines', policy: STRICT, lines: Number.POSITIVE_INFINITY, effect: 'deny', ruleId: 'logs.maxLines' },
  ];
  for (const c of lines) {
    test(`${c.name} → ${c.effect} (${c.ruleId})`, () => {
      const request: CanonicalRequest = { kind: 'read', operation: 'pm2_tail_logs', targets: [apiRef()], ...(c.lines === undefined ? {} : { lines: c.lines }) };
      assert.deepEqual(decided(request, c.policy), { effect: c.effect, ruleId: c.ruleId });
    });
  }

  test('an exception inside evaluation is a deny (engine.error)', async () => {
    const throwing: CompiledPolicy = { ...STRICT, start: { ...STRICT.start, scripts: { patterns: ['apps/**/*.js'], test: () => { throw new Error('boom'); } } } };
    const d = evaluate(await startRequest(LEGIT, STRICT), throwing);
    assert.deepEqual({ effect: d.effect, ruleId: d.ruleId }, { effect: 'deny', ruleId: 'engine.error' });
    assert.match(d.reason, /boom/);
  });
  test('a broken policy object is a deny (engine.error), not a crash', () => {
    const broken = { ...STRICT, processes: undefined } as unknown as CompiledPolicy;
    assert.deepEqual(decided(operate('pm2_restart_process', 'name', [apiRef()]), broken), { effect: 'deny', ruleId: 'engine.error' });
  });
  test('a throwing name matcher on an operate request is a deny (engine.error)', () => {
    const throwing: CompiledPolicy = { ...STRICT, processes: { ...STRICT.processes, names: { patterns: [], test: () => { throw new Error('bad matcher'); } } } };
    assert.deepEqual(decided(operate('pm2_stop_process', 'name', [apiRef()]), throwing), { effect: 'deny', ruleId: 'engine.error' });
  });
});
