// Attack tables for the classes of the gate's second review (docs/threat-model.md): env
// families, the interpreter fitting the script, one list of tools (fail closed), audit mode
// never relaxing hard rules or a token's narrowing, the server never in scope, a restart judged
// as a start of its stored config, and the cap on processes the agent's starts create.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { merge, presetConfig, presetPolicy, type Plain } from '../helpers/policies.js';
import { startApp, startRequest } from '../helpers/fixtures.js';
import { resolveInterpreterPath, compileResolved } from '../../src/commands/load-policy.js';
import { type Pm2McpConfig } from '../../src/model/config.js';
import { PRESET_NAMES, TOOL_NAMES, type PresetName } from '../../src/model/tools.js';
import { isPm2McpServer, SERVER_MARKER } from '../../src/pm2/self.js';
import { withServerFacts, type CompiledPolicy } from '../../src/policy/compile.js';
import { ENV_FAMILIES, envFamilyOf } from '../../src/policy/env-families.js';
import { evaluate, RESOURCE_OPERATIONS } from '../../src/policy/evaluate.js';
import { misfit } from '../../src/policy/interpreter-fit.js';
import type { CanonicalRequest, StartApp } from '../../src/model/requests.js';
import { decide, type Gate } from '../../src/server/dispatch.js';
import type { AnyOperation, ServerContext } from '../../src/server/operation.js';
import { TOOLS } from '../../src/server/tools/index.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-round2-')));
after(() => rmSync(ROOT, { recursive: true, force: true }));

function put(rel: string, content: string): string {
  const file = join(ROOT, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}
const SERVER_JS = put('apps/api/server.js', 'console.log(1)\n');
const HELLO_PY = put('tools/hello.py', 'print(1)\n');
const RUNNER = put('bin/runner', 'print(1)\n');
const NODE = resolveInterpreterPath('node')!;
const PYTHON = resolveInterpreterPath('python3');

function policy(preset: PresetName, over: Pm2McpConfig = {}): CompiledPolicy {
  return withServerFacts(presetPolicy(ROOT, preset, over), { pm2Home: join(ROOT, '.pm2'), pm2LogDir: join(ROOT, '.pm2', 'logs'), ownFiles: [join(ROOT, '.pm2', 'pm2-mcp', 'audit.jsonl')] });
}

function app(over: Partial<StartApp> = {}): StartApp {
  return startApp({ name: 'api', script: SERVER_JS, cwd: join(ROOT, 'apps/api'), interpreter: { name: 'node', path: NODE }, ...over });
}
const start = (apps: StartApp[], managed = 0): CanonicalRequest => startRequest(apps, managed);

const STANDARD = policy('standard');
const PERMISSIVE = policy('permissive');
const STRICT = policy('strict', { start: { scripts: ['apps/**/*.js', 'tools/*.py', 'bin/*'], cwd: ['apps/**', 'tools', 'bin', '.'], interpreters: ['node', 'python3'], env: { allow: ['*'] } }, processes: { names: ['*'] } });
const AUDIT_PERMISSIVE = policy('permissive', { mode: 'audit' });

describe('env families: names interpreters and their libraries read are refused under every preset, in every mode', () => {
  const cases: Array<[string, string | undefined]> = [
    ['PYTHONWARNINGS', 'python'], ['PYTHONSTARTUP', 'python'], ['pythonpath', 'python'], ['BROWSER', 'hooks'], ['EDITOR', 'hooks'], ['LESSOPEN', 'hooks'],
    ['NODE_OPTIONS', 'node'], ['NODE_ENV', undefined], ['node_env', 'node'], ['Node_Env', 'node'], ['NODE_EXTRA_CA_CERTS', 'node'], ['UV_THREADPOOL_SIZE', 'node'],
    ['npm_config_script_shell', 'package-managers'], ['NPM_CONFIG_PREFIX', 'package-managers'], ['BUNDLE_GEMFILE', 'package-managers'],
    ['PERL5OPT', 'perl'], ['RUBYOPT', 'ruby'], ['JAVA_TOOL_OPTIONS', 'java'], ['_JAVA_OPTIONS', 'java'], ['JDK_JAVA_OPTIONS', 'java'], ['PHPRC', 'php'],
    ['DENO_DIR', 'deno'], ['BUN_OPTIONS', 'bun'], ['LD_PRELOAD', 'dynamic-linker'], ['DYLD_INSERT_LIBRARIES', 'dynamic-linker'], ['GCONV_PATH', 'libc'], ['GLIBC_TUNABLES', 'libc'],
    ['BASH_ENV', 'shell'], ['ENV', 'shell'], ['IFS', 'shell'], ['PS4', 'shell'], ['PROMPT_COMMAND', 'shell'], ['GIT_SSH_COMMAND', 'git'], ['GIT_CONFIG_COUNT', 'git'],
    ['SSH_ASKPASS', 'ssh'], ['OPENSSL_CONF', 'openssl'], ['PATH', 'search-paths'], ['HOME', 'search-paths'], ['XDG_CONFIG_HOME', 'search-paths'],
    ['PROCESS_TITLE', 'pm2'], ['PM2_HOME', 'pm2'], ['TS_NODE_COMPILER', 'typescript'], ['CC', 'build'],
    ['PYENV_HOOK_PATH', 'version-managers'], ['PYENV_VERSION', 'version-managers'], ['RBENV_VERSION', 'version-managers'], ['ASDF_DATA_DIR', 'version-managers'], ['VIRTUAL_ENV', 'version-managers'],
    ['ESBUILD_BINARY_PATH', 'native-tools'], ['PRISMA_QUERY_ENGINE_BINARY', 'native-tools'], ['MY_TOOL_BINARY_PATH', 'native-tools'], ['PUPPETEER_EXECUTABLE_PATH', 'native-tools'],
    ['AWS_CONFIG_FILE', 'tool-config'], ['KUBECONFIG', 'tool-config'], ['EXINIT', 'tool-config'], ['AWS_REGION', undefined],
    ['TAR_OPTIONS', 'command-shapes'], ['RSYNC_RSH', 'command-shapes'], ['SVN_SSH', 'command-shapes'], ['GUNICORN_CMD_ARGS', 'command-shapes'], ['DJANGO_SETTINGS_MODULE', 'command-shapes'],
    ['RUSTC_WRAPPER', 'command-shapes'], ['LUA_INIT', 'command-shapes'], ['QT_PLUGIN_PATH', 'command-shapes'], ['SUDO_EDITOR', 'command-shapes'], ['FCEDIT', 'tool-homes'], ['REQUESTS_CA_BUNDLE', 'command-shapes'],
    ['TMP', 'tool-homes'], ['TEMP', 'tool-homes'], ['PREFIX', 'tool-homes'], ['IPYTHONDIR', 'tool-homes'], ['_PYENV_SHIM_PATHS_PYTHON3', 'tool-homes'],
    ['DATABASE_URL', undefined], ['LOG_LEVEL', undefined], ['APP_SRC', undefined], ['JWT_SECRET', undefined], ['S3_BUCKET', undefined], ['MAX_WORKERS', undefined],
    ['MAKEFILES', 'tool-homes'], ['ERL_AFLAGS', 'command-shapes'], ['CORECLR_PROFILER_PATH', 'tool-homes'], ['RUSTUP_TOOLCHAIN', 'tool-homes'], ['GOTOOLCHAIN', 'tool-homes'],
    ['CGO_CFLAGS', 'command-shapes'], ['CMAKE_TOOLCHAIN_FILE', 'tool-homes'], ['VK_LAYER_PATH', 'tool-homes'], ['PSQLRC', 'tool-homes'], ['MIX_HOME', 'tool-homes'], ['ANSIBLE_CONFIG', 'tool-homes'],
    ['PGHOST', undefined], ['GOOGLE_API_KEY', undefined], ['UPLOAD_PATH', undefined], ['DATA_DIR', undefined],
    ['RM', 'build'], ['GNUMAKEFLAGS', 'build'], ['LDSHARED', 'build'], ['CC_host', 'build'], ['PKG_CONFIG', 'build'], ['CONFIG_SITE', 'build'], ['GCC_EXEC_PREFIX', 'build'],
    ['ZIPOPT', 'command-shapes'], ['PGOPTIONS', 'command-shapes'], ['PYTEST_ADDOPTS', 'command-shapes'], ['DBUS_SESSION_BUS_ADDRESS', 'command-shapes'], ['http_proxy', 'command-shapes'], ['AWKLIBPATH', 'command-shapes'],
    ['TAG', undefined], ['GREETING', undefined], ['ADMIN_EMAIL', undefined],
    ['PYTHONUNBUFFERED', undefined], ['PORT', undefined], ['DATABASE_URL', undefined], ['APP_MODE', undefined], ['NODEJS', undefined], ['LESS_THAN', 'hooks'], ['CCACHE', undefined],
  ];
  for (const [name, family] of cases) {
    test(`${name} → ${family ?? 'no family'}`, () => assert.equal(envFamilyOf(name)?.id, family));
  }

  test('every family says what it reads and where that is documented', () => {
    for (const f of ENV_FAMILIES) {
      assert.ok(f.why.length > 10 && f.source.length > 5 && f.names.length > 0, f.id);
      for (const n of f.names) assert.match(n, /^[A-Za-z0-9_*]+$/, `${f.id}: a name or a pattern of name characters and * (${n})`);
    }
  });

  const attack = { PYTHONWARNINGS: 'all:0:antigravity.x:0:0', BROWSER: "/bin/sh -c 'touch /tmp/pwned' #%s" };
  for (const [label, p] of [['standard', STANDARD], ['strict', STRICT], ['permissive', PERMISSIVE], ['permissive in audit mode', AUDIT_PERMISSIVE]] as const) {
    test(`${label}: the review's PYTHONWARNINGS + BROWSER start is a hard denial`, { skip: PYTHON === undefined && 'no python3' }, () => {
      const d = evaluate(start([app({ name: 'hello', script: HELLO_PY, cwd: join(ROOT, 'tools'), interpreter: { name: 'python3', path: PYTHON! }, env: attack })]), p);
      assert.equal(d.effect, 'deny');
      assert.equal(d.ruleId, 'start.env.family.python');
      assert.equal(d.hard, true);
    });
  }

  test('a family name in the second app of an ecosystem is still found', () => {
    const d = evaluate(start([app(), app({ name: 'b', env: { PORT: '1' } }), app({ name: 'c', env: { LD_PRELOAD: '/tmp/x.so' } })]), STANDARD);
    assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'start.env.family.dynamic-linker', true]);
  });
});

describe('the interpreter fits the script', () => {
  const cases: Array<{ script: string; interpreter: string; realName?: string; stripsTypes?: boolean; fits: boolean }> = [
    { script: '/r/a.js', interpreter: 'node', fits: true },
    { script: '/r/a.mjs', interpreter: 'node', fits: true },
    { script: '/r/a.cjs', interpreter: 'bun', fits: true },
    { script: '/r/a.js', interpreter: 'python3', realName: 'python3.11', fits: false },
    { script: '/r/a.js', interpreter: 'bash', fits: false },
    { script: '/r/a.py', interpreter: 'python3', realName: 'python3.11', fits: true },
    { script: '/r/a.py', interpreter: 'python', fits: true },
    { script: '/r/a.py', interpreter: 'node', fits: false },
    { script: '/r/a.sh', interpreter: 'bash', fits: true },
    { script: '/r/a.sh', interpreter: 'sh', realName: 'dash', fits: true },
    { script: '/r/a.sh', interpreter: 'python3', fits: false },
    { script: '/r/a.rb', interpreter: 'ruby', fits: true },
    { script: '/r/a.php', interpreter: 'php', fits: true },
    { script: '/r/a.pl', interpreter: 'perl', fits: true },
    { script: '/r/a.ts', interpreter: 'tsx', fits: true },
    { script: '/r/a.ts', interpreter: 'deno', fits: true },
    { script: '/r/a.ts', interpreter: 'node', fits: false },
    { script: '/r/a.ts', interpreter: 'node', stripsTypes: true, fits: true },
    { script: '/r/a.tsx', interpreter: 'node', stripsTypes: true, fits: false },
    { script: '/r/a.mts', interpreter: 'node', stripsTypes: true, fits: false },
    { script: '/r/a.JS', interpreter: 'node', fits: true },
    { script: '/r/runner', interpreter: 'node', fits: false },
    { script: '/r/runner', interpreter: 'python3', fits: false },
    { script: '/r/runner', interpreter: 'none', fits: true },
    { script: '/r/data.json', interpreter: 'node', fits: false },
    { script: '/r/a.js', interpreter: 'node', realName: 'bash', fits: false },
    { script: '/r/a.sh', interpreter: 'bash', realName: 'python3', fits: false },
    { script: '/r/a.js', interpreter: 'node', realName: 'node', fits: true },
    { script: '/r/a.js', interpreter: 'my-node', fits: false },
  ];
  for (const c of cases) {
    test(`${c.interpreter}${c.realName ? ` (really ${c.realName})` : ''} over ${c.script}${c.stripsTypes ? ', stripping types' : ''} → ${c.fits ? 'fits' : 'does not fit'}`, () => {
      const why = misfit({ script: c.script, interpreter: c.interpreter, realName: c.realName ?? c.interpreter, stripsTypes: c.stripsTypes === true });
      assert.equal(why === undefined, c.fits, why);
    });
  }

  test('python3 over a .js file is a hard denial under permissive, even in audit mode', { skip: PYTHON === undefined && 'no python3' }, () => {
    const d = evaluate(start([app({ interpreter: { name: 'python3', path: PYTHON! } })]), AUDIT_PERMISSIVE);
    assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'start.interpreters.fit', true]);
  });
  test('node over a .ts script, on a node that does not strip types: refused (pm2 would load ts-node from above the root)', () => {
    const d = evaluate(start([app({ script: put('apps/api/x.ts', 'let x: number = 1\n') })]), PERMISSIVE);
    assert.deepEqual([d.effect, d.ruleId], ['deny', 'start.interpreters.fit']);
  });
  test('start.runWith pairs an extensionless script with python3; other interpreters still do not fit', { skip: PYTHON === undefined && 'no python3' }, () => {
    const paired = policy('strict', merge(STRICT.config as Plain, { start: { runWith: { 'bin/*': ['python3'] } } }) as Pm2McpConfig);
    const py = app({ name: 'runner', script: RUNNER, cwd: join(ROOT, 'bin'), interpreter: { name: 'python3', path: PYTHON! } });
    assert.equal(evaluate(start([py]), STRICT).ruleId, 'start.interpreters.fit');
    assert.equal(evaluate(start([py]), paired).effect, 'allow');
    assert.equal(evaluate(start([{ ...py, interpreter: { name: 'node', path: NODE } }]), paired).ruleId, 'start.interpreters.fit');
    // The pairing does not reach other folders.
    const elsewhere = { ...py, script: put('apps/api/runner', 'print(1)\n'), cwd: join(ROOT, 'apps/api') };
    assert.equal(evaluate(start([elsewhere]), paired).ruleId, 'start.interpreters.fit');
  });
});

describe('one list of tools: the registry, and a gate that fails closed', () => {
  test('the registry names exactly TOOL_NAMES, in order', () => {
    assert.deepEqual(TOOLS.map((t) => t.name), [...TOOL_NAMES]);
  });
  test('the config schema and every preset name exactly the registry\'s tools', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/pm2-mcp.config.schema.json', import.meta.url)), 'utf8')) as { properties: { tools: { properties: Record<string, unknown> } } };
    assert.deepEqual(Object.keys(schema.properties.tools.properties).sort(), TOOLS.map((t) => t.name).sort());
    for (const name of PRESET_NAMES) assert.deepEqual(Object.keys(presetConfig(name).tools ?? {}).sort(), TOOLS.map((t) => t.name).sort(), name);
  });
  const unknown: CanonicalRequest[] = [
    { kind: 'read', operation: 'pm2_secret_read', targets: [] },
    { kind: 'daemon', operation: 'pm2_new_tool' },
    { kind: 'operate', operation: 'pm2_scale_process', target: { asked: 'all', kind: 'all', processes: [] }, updateEnv: false },
    { kind: 'read', operation: '__proto__', targets: [] },
    { kind: 'read', operation: 'constructor', targets: [] },
    { kind: 'read', operation: 'toString', targets: [] },
    // A resource operation is a read; the same name as another kind is not.
    { kind: 'daemon', operation: 'pm2://processes' },
  ];
  for (const request of unknown) {
    for (const [label, p] of [['readonly', policy('readonly')], ['permissive', PERMISSIVE], ['permissive in audit mode', AUDIT_PERMISSIVE]] as const) {
      test(`${label}: ${request.kind} ${request.operation} is denied, hard`, () => {
        const d = evaluate(request, p);
        assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'tools.unknown', true]);
      });
    }
  }
  test('the resources are reads every preset allows', () => {
    for (const name of PRESET_NAMES) for (const op of RESOURCE_OPERATIONS) assert.equal(evaluate({ kind: 'read', operation: op, targets: [] }, policy(name)).effect, 'allow', `${name} ${op}`);
  });
  test('dispatch: a tool registered nowhere in the policy never resolves, never runs, in audit mode either', async () => {
    let resolved = false;
    const rogue: AnyOperation = {
      name: 'pm2_rogue',
      input: (await import('zod')).z.strictObject({}),
      resolve: async () => {
        resolved = true;
        return { kind: 'read', operation: 'pm2_rogue', targets: [] };
      },
      execute: async () => ({ structured: {}, text: '' }),
    };
    for (const p of [PERMISSIVE, AUDIT_PERMISSIVE]) {
      const out = await decide(gateOf(p), rogue, {});
      assert.ok(out.ok);
      assert.deepEqual([out.decision.ruleId, out.effect], ['tools.unknown', 'deny']);
    }
    assert.equal(resolved, false);
  });
});

function gateOf(p: CompiledPolicy, narrowing?: CompiledPolicy): Pick<Gate, 'ctx' | 'policy' | 'narrowing'> {
  const ctx = { pm2: {} as ServerContext['pm2'], root: ROOT, redactEnv: true, policy: p } satisfies ServerContext;
  return { ctx, policy: p, narrowing };
}

describe('audit mode never relaxes a hard refusal or a token\'s narrowing', () => {
  const stop = TOOLS.find((t) => t.name === 'pm2_stop_process')!;
  const target = { asked: 'api', kind: 'name' as const, processes: [{ pm_id: 0, name: 'api', namespace: 'default', cwd: ROOT }] };
  const fakeStop: AnyOperation = { ...stop, resolve: async () => ({ kind: 'operate', operation: 'pm2_stop_process', target, updateEnv: false }) };
  test('server in audit mode, token readonly: stop is a denial, not would_deny', async () => {
    const out = await decide(gateOf(AUDIT_PERMISSIVE, policy('readonly')), fakeStop, { process: 'api' });
    assert.ok(out.ok);
    assert.deepEqual([out.effect, out.decision.ruleId], ['deny', 'token.tools.pm2_stop_process']);
  });
  test('server in audit mode, token strict (process out of its scope): a denial', async () => {
    const out = await decide(gateOf(AUDIT_PERMISSIVE, policy('strict')), fakeStop, { process: 'api' });
    assert.ok(out.ok);
    assert.deepEqual([out.effect, out.decision.ruleId], ['deny', 'token.processes.scope']);
  });
  test('server in audit mode, no token: the soft denial is would_deny (the dry run still works)', async () => {
    const out = await decide(gateOf(policy('readonly', { mode: 'audit' })), fakeStop, { process: 'api' });
    assert.ok(out.ok);
    assert.deepEqual([out.effect, out.decision.ruleId], ['would_deny', 'tools.pm2_stop_process']);
  });
  test('a token config cannot put itself in audit mode: its denials bind', async () => {
    const out = await decide(gateOf(PERMISSIVE, policy('readonly', { mode: 'audit' })), fakeStop, { process: 'api' });
    assert.ok(out.ok);
    assert.equal(out.effect, 'deny');
  });
});

describe('the server is never in scope', () => {
  const server = { pm_id: 3, name: 'pm2-mcp', namespace: 'default', cwd: ROOT, server: true as const };
  for (const op of ['pm2_stop_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_delete_process', 'pm2_flush_logs']) {
    for (const [label, p] of [['permissive', policy('permissive', { tools: { pm2_delete_process: 'allow', pm2_flush_logs: 'allow' } })], ['standard', STANDARD], ['permissive in audit mode', AUDIT_PERMISSIVE]] as const) {
      test(`${label}: ${op} of a pm2-mcp server (by name, and inside "all") is a hard denial`, () => {
        for (const target of [{ asked: 'pm2-mcp', kind: 'name' as const, processes: [server] }, { asked: 'all', kind: 'all' as const, processes: [{ ...server, pm_id: 1, name: 'api', server: undefined }, server] }]) {
          const d = evaluate({ kind: 'operate', operation: op, target, updateEnv: false }, p);
          assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'processes.server', true]);
        }
      });
    }
  }
  const self = { pid: 4242 };
  // Another install of pm2-mcp (say, the owner's global one): recognised by its package.
  put('other-install/pm2-mcp/package.json', '{ "name": "pm2-mcp" }\n');
  const otherEntry = put('other-install/pm2-mcp/dist/cli.js', '// entry\n');
  put('lookalike/not-pm2-mcp/package.json', '{ "name": "pm2-mcp-fork" }\n');
  const lookalike = put('lookalike/not-pm2-mcp/dist/cli.js', '// entry\n');
  const ownEntry = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const cases: Array<{ name: string; proc: Parameters<typeof isPm2McpServer>[0]; server: boolean }> = [
    { name: 'this very process, by pid', proc: { pid: 4242, pm2_env: {} }, server: true },
    { name: 'the --pm2 marker, flattened', proc: { pid: 1, pm2_env: { [SERVER_MARKER]: '1' } }, server: true },
    { name: 'the --pm2 marker, in env', proc: { pid: 1, pm2_env: { env: { [SERVER_MARKER]: '1' } } }, server: true },
    { name: 'this install\'s entry (dist/cli.js), started by the owner with pm2 start', proc: { pid: 1, pm2_env: { pm_exec_path: ownEntry } }, server: true },
    { name: 'another install\'s entry', proc: { pid: 1, pm2_env: { pm_exec_path: otherEntry } }, server: true },
    { name: 'another install\'s entry by a path with ..', proc: { pid: 1, pm2_env: { pm_exec_path: join(ROOT, 'other-install/pm2-mcp/dist/../dist/cli.js') } }, server: true },
    { name: 'a dist/cli.js of another package', proc: { pid: 1, pm2_env: { pm_exec_path: lookalike } }, server: false },
    { name: 'another app', proc: { pid: 1, pm2_env: { pm_exec_path: HELLO_PY } }, server: false },
    { name: 'a stopped app (pid 0) when this pid is 0-like', proc: { pid: 0, pm2_env: {} }, server: false },
  ];
  for (const c of cases) test(`isPm2McpServer: ${c.name} → ${c.server}`, () => assert.equal(isPm2McpServer(c.proc, self), c.server));
  test('starting pm2-mcp itself is a hard denial under every preset, in audit mode too', () => {
    for (const p of [STANDARD, PERMISSIVE, AUDIT_PERMISSIVE]) {
      const d = evaluate(start([app({ name: 'evilsrv', script: otherEntry, serverEntry: true, args: ['--transport', 'http', '--no-auth'] })]), p);
      assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'processes.server', true]);
    }
  });
});

describe('a restart is a start of the stored config', () => {
  const target = { asked: 'api', kind: 'name' as const, processes: [{ pm_id: 0, name: 'api', namespace: 'default', cwd: join(ROOT, 'apps/api') }] };
  const restart = (stored: StartApp[]): CanonicalRequest => ({ kind: 'operate', operation: 'pm2_restart_process', target, updateEnv: false, stored });
  test('a stored config the policy still allows: allowed', () => {
    assert.equal(evaluate(restart([app()]), STANDARD).effect, 'allow');
  });
  const refused: Array<[string, StartApp, string]> = [
    ['a script outside the root', app({ script: '/usr/bin/env' }), 'start.interpreters.fit'],
    ['a script in node_modules', app({ script: put('node_modules/x/index.js', '1\n') }), 'start.scriptsExclude'],
    ['an interpreter argument that runs code', app({ interpreterArgs: ['--require=/tmp/x.js'] }), 'start.interpreterArgs'],
    ['an interpreter that does not fit', app({ interpreter: { name: 'bash', path: '/bin/bash' } }), 'start.interpreters.fit'],
    ['a log file that is the audit log', app({ logFiles: { out: join(ROOT, '.pm2', 'pm2-mcp', 'audit.jsonl') } }), 'logs.ownFile'],
    ['a log file outside pm2\'s folder and start.logFiles', app({ logFiles: { out: '/tmp/x.log' } }), 'start.logFiles'],
  ];
  for (const [name, stored, rule] of refused) {
    test(`${name}: refused (${rule})`, () => {
      const d = evaluate(restart([stored]), STANDARD);
      assert.deepEqual([d.effect, d.ruleId], ['deny', rule], d.reason);
      assert.match(d.reason, /stored config of api/);
    });
  }
  test('pm2\'s default log files are allowed', () => {
    const logs = { out: join(ROOT, '.pm2', 'logs', 'api-out.log'), err: join(ROOT, '.pm2', 'logs', 'api-error.log') };
    assert.equal(evaluate(restart([app({ logFiles: logs })]), STANDARD).effect, 'allow');
  });
});

describe('processes.max caps what the agent\'s starts create', () => {
  const cases: Array<[string, CompiledPolicy, number, number, 'allow' | 'deny']> = [
    ['standard, none yet, one asked', STANDARD, 0, 1, 'allow'],
    ['standard, 19 yet, one asked', STANDARD, 19, 1, 'allow'],
    ['standard, 20 yet, one asked', STANDARD, 20, 1, 'deny'],
    ['standard, 15 yet, 8 instances asked', STANDARD, 15, 8, 'deny'],
    ['strict, 10 yet', STRICT, 10, 1, 'deny'],
    ['no number in the chain: nothing', compileResolved({ config: { tools: { pm2_start_process: 'allow' }, start: { scripts: ['**'], cwd: ['**'], interpreters: ['node'], maxInstances: 8 }, processes: { names: ['*'] } }, root: ROOT, sources: [], preset: 'strict' }), 0, 1, 'deny'],
  ];
  for (const [name, p, managed, instances, effect] of cases) {
    test(`${name} → ${effect}`, () => {
      const d = evaluate(start([app({ instances, execMode: instances > 1 ? 'cluster' : 'fork' })], managed), p);
      assert.equal(d.effect, effect, d.reason);
      if (effect === 'deny') assert.equal(d.ruleId, 'processes.max');
    });
  }
});

describe('daemon-wide operations', () => {
  const server = { pm_id: 3, name: 'pm2-mcp', namespace: 'default', cwd: ROOT, server: true as const };
  const app1 = { pm_id: 1, name: 'api', namespace: 'default', cwd: ROOT };
  const killAllowed = policy('permissive', { tools: { pm2_kill_daemon: 'allow' } });
  test('kill_daemon while pm2 manages a pm2-mcp server: a hard denial, even where kill_daemon is allowed', () => {
    for (const p of [killAllowed, policy('permissive', { mode: 'audit', tools: { pm2_kill_daemon: 'allow' } })]) {
      const d = evaluate({ kind: 'daemon', operation: 'pm2_kill_daemon', affects: [app1, server], destructive: true }, p);
      assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'processes.server', true]);
    }
  });
  test('kill_daemon turned off: in audit mode the denial binds (no dry run can undo it)', () => {
    const d = evaluate({ kind: 'daemon', operation: 'pm2_kill_daemon', affects: [app1], destructive: true }, AUDIT_PERMISSIVE);
    assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'tools.pm2_kill_daemon', true]);
  });
  test('kill_daemon opted in, no server among the processes: allowed', () => {
    assert.equal(evaluate({ kind: 'daemon', operation: 'pm2_kill_daemon', affects: [app1], destructive: true }, killAllowed).effect, 'allow');
  });
  test('reload_logs: every file pm2 would reopen is judged as a restart judges it', () => {
    const ok = { stream: 'out' as const, path: join(ROOT, '.pm2', 'logs', 'api-out.log') };
    assert.equal(evaluate({ kind: 'daemon', operation: 'pm2_reload_logs', files: [ok] }, STANDARD).effect, 'allow');
    const audit = { stream: 'out' as const, path: join(ROOT, '.pm2', 'pm2-mcp', 'audit.jsonl') };
    const d = evaluate({ kind: 'daemon', operation: 'pm2_reload_logs', files: [ok, audit] }, policy('standard', { mode: 'audit' }));
    assert.deepEqual([d.effect, d.ruleId, d.hard], ['deny', 'logs.ownFile', true]);
    const outside = evaluate({ kind: 'daemon', operation: 'pm2_reload_logs', files: [{ stream: 'err', path: '/tmp/elsewhere.log' }] }, STANDARD);
    assert.deepEqual([outside.effect, outside.ruleId], ['deny', 'start.logFiles']);
  });
});
