// The policy gate end to end: a real MCP client, the built binary and a real pm2 daemon. What each
// preset shows, a committed strict config under attack (THREATS.md 1-9, every payload a canary
// that would prove it ran), a bystander outside the scope, readonly in CI without a daemon, audit
// mode, config errors and `explain`. UPDATE_SNAPSHOTS=1 rewrites tools-by-preset.json.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, CLI, connect, destroyHome, isAlive, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';
import { ALL_TOOLS, assertRefused, READ_TOOLS } from '../helpers/fixtures.js';
import { assertSnapshot, SNAPSHOTS } from '../helpers/snapshot.js';

const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'policy');
const SNAPSHOT = join(SNAPSHOTS, 'tools-by-preset.json');

const sorted = (names: readonly string[]) => [...names].sort();

type Summary = { name: string; pm_id: number; status: string; pid?: number; restarts: number };

// ---------------------------------------------------------------------------------------------
// Helpers: child processes with a clean environment (no PM2_* of the test runner leaks in).

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

function runNode(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

/** pm2-mcp itself (serve, check, explain), attached to `home` and never to ~/.pm2. */
function pm2mcp(args: string[], cwd: string, home: string): Promise<Ran> {
  return runNode([CLI, ...args], { cwd, env: cleanEnv({ PM2_MCP_HOME: home }) });
}

/** The pm2 CLI on `home`, as a person at a terminal would use it. */
async function pm2(home: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await runNode([PM2_BIN, ...args], { cwd: dirname(home), env: cleanEnv({ PM2_HOME: home, ...extraEnv }), timeoutMs: 30_000 });
  assert.equal(r.code, 0, `pm2 ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function jlist(home: string): Promise<Array<{ name: string; pm_id: number; pid: number; pm2_env: { status: string; restart_time: number } }>> {
  return JSON.parse(await pm2(home, ['jlist'])) as Array<{ name: string; pm_id: number; pid: number; pm2_env: { status: string; restart_time: number } }>;
}

async function listOf(s: Session): Promise<Summary[]> {
  const r = await call(s.client, 'pm2_list_processes');
  assert.equal(r.isError, undefined, textOf(r));
  return (r.structuredContent as { processes: Summary[] }).processes;
}

async function toolNames(s: Session): Promise<string[]> {
  return (await s.client.listTools()).tools.map((t) => t.name);
}


// Payloads: each one writes its own canary file if it ever runs, and nothing else.

/** Runs with node: writes the canary, then idles (no crash loop if it ever ran). */
function jsPayload(file: string, canary: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `require('fs').writeFileSync(${JSON.stringify(canary)}, 'ran');\nsetInterval(() => {}, 1 << 30);\n`);
}

/**
 * A shell script that is also harmless JavaScript: run by sh or bash (or executed itself) it writes
 * the canary; run by node it idles. So a script glob may match it while only the interpreter,
 * an env field or pm2's shell fallback could make it fire.
 */
function polyglotPayload(file: string, canary: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n//bin/true; echo ran > '${canary}'; exit 0\nsetInterval(() => {}, 1 << 30);\n`);
  chmodSync(file, 0o755);
}

function writeJson(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

// =============================================================================================
// 1. What each preset shows in tools/list; hidden tools are still checked.

describe('the tools each preset shows', () => {
  let home: string;
  let empty: string;
  const seen: Record<string, string[]> = {};

  before(async () => {
    home = await makeTempDir('pm2mcp-pol-pre-');
    empty = await makeTempDir('pm2mcp-pol-prec-');
    // A project (a package.json), or the server would serve readonly whatever --policy says.
    writeFileSync(join(empty, 'package.json'), '{}\n');
  });

  after(async () => {
    await destroyHome(home);
    await rm(empty, { recursive: true, force: true });
  });

  for (const preset of ['readonly', 'strict', 'standard', 'permissive']) {
    test(`--policy ${preset}: tools/list, and pm2_kill_daemon called anyway is refused`, async () => {
      const s = await connect({ home, cwd: empty, args: ['--policy', preset] });
      try {
        seen[preset] = await toolNames(s);
        assert.ok(!seen[preset]!.includes('pm2_kill_daemon'), 'pm2_kill_daemon is listed');
        const r = await call(s.client, 'pm2_kill_daemon');
        assertRefused(r, /^POLICY_DENIED: Denied by rule tools\.pm2_kill_daemon/, 'a hidden pm2_kill_daemon');
        assert.equal((r._meta as Record<string, { code: string; rule: string }>)['pm2-mcp/error']!.rule, 'tools.pm2_kill_daemon');
        if (preset === 'readonly') {
          assertRefused(await call(s.client, 'pm2_start_process', { script: 'x.js' }), /^POLICY_DENIED: Denied by rule tools\.pm2_start_process/, 'a hidden start');
        }
        assert.match(s.stderr(), new RegExp(`policy ${preset} \\(enforce\\)`));
      } finally {
        await s.close();
      }
    });
  }

  test('the presets show what DESIGN.md promises', () => {
    assert.deepEqual(sorted(seen.readonly ?? []), sorted(READ_TOOLS));
    assert.deepEqual(sorted(seen.strict ?? []), sorted([...READ_TOOLS, 'pm2_start_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process']));
    const allButKill = ALL_TOOLS.filter((t) => t !== 'pm2_kill_daemon');
    assert.deepEqual(sorted(seen.standard ?? []), sorted(allButKill));
    assert.deepEqual(sorted(seen.permissive ?? []), sorted(allButKill));
  });

  test('the tools of each preset match the committed snapshot', () => {
    assert.deepEqual(Object.keys(seen), ['readonly', 'strict', 'standard', 'permissive'], 'a preset run failed; not comparing a partial snapshot');
    const actual = `${JSON.stringify(seen, null, 2)}\n`;
    assertSnapshot(SNAPSHOT, actual, 'the tools a preset shows');
  });
});

// =============================================================================================
// 2 and 3. A committed strict config (test/fixtures/policy) against bypass attempts, with a
// bystander outside the scope that must come through untouched.

interface Paths {
  base: string;
  repo: string;
  outside: string;
  canaries: string;
}

const canary = (p: Paths, id: string) => join(p.canaries, `canary-${id}`);

interface Attack {
  id: string;
  what: string;
  /** Lays out the payload (inside the temp copy or outside it) before the server starts. */
  setup?: (p: Paths) => void;
  tool: string;
  args: (p: Paths) => Record<string, unknown>;
  expect: RegExp;
}

const denied = (rule: string) => new RegExp(`^POLICY_DENIED: Denied by rule ${rule.replace(/\./g, '\\.')}:`);
const invalid = (key: string) => new RegExp(`^INVALID_ARGUMENTS: Invalid arguments for pm2_\\w+: .*unknown argument "${key}"`);
const SERVER = 'apps/api/server.js';

const ATTACKS: Attack[] = [
  // THREATS 1: paths.
  {
    id: 'dotdot', what: 'a script outside the repo by ..', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'dotdot.js'), canary(p, 'dotdot')),
    args: () => ({ script: '../outside/dotdot.js', name: 'worker-dotdot' }), expect: denied('start.scripts'),
  },
  {
    id: 'dotdot-prefix', what: 'a script that starts inside an allowed folder and leaves it by ..', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'dotdot-prefix.js'), canary(p, 'dotdot-prefix')),
    args: () => ({ script: 'apps/../../outside/dotdot-prefix.js', name: 'worker-dotdot-prefix' }), expect: denied('start.scripts'),
  },
  {
    id: 'symlink', what: 'apps/link.js, a symlink to a script outside', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'evil.js'), canary(p, 'symlink'));
      symlinkSync('../../outside/evil.js', join(p.repo, 'apps', 'link.js'));
    },
    args: () => ({ script: 'apps/link.js', name: 'worker-link' }), expect: denied('start.scripts'),
  },
  {
    id: 'cwd-outside', what: 'a working folder outside the repo', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'cwd-outside.js'), canary(p, 'cwd-outside')),
    args: () => ({ script: 'cwd-outside.js', cwd: '../outside', name: 'worker-cwd' }), expect: denied('start.cwd'),
  },
  {
    id: 'cwd-symlink', what: 'apps/outdir, a symlink to a folder outside, as the working folder', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'cwd-symlink.js'), canary(p, 'cwd-symlink'));
      symlinkSync('../../outside', join(p.repo, 'apps', 'outdir'));
    },
    args: () => ({ script: 'cwd-symlink.js', cwd: 'apps/outdir', name: 'worker-cwdlink' }), expect: denied('start.cwd'),
  },
  {
    id: 'path-lookup', what: 'a bare command found on the PATH (touch <canary>)', tool: 'pm2_start_process',
    args: (p) => ({ script: 'touch', args: [canary(p, 'path-lookup')], name: 'worker-touch' }), expect: denied('start.scripts'),
  },
  {
    id: 'space', what: 'a script path with a space, which pm2 hands to bash -c', tool: 'pm2_start_process',
    setup: (p) => {
      polyglotPayload(join(p.repo, 'apps', 'space'), canary(p, 'space'));
      writeFileSync(join(p.repo, 'apps', 'space x.js'), 'setInterval(() => {}, 1 << 30);\n');
    },
    args: () => ({ script: 'apps/space x.js', name: 'worker-space' }), expect: /^START_REFUSED: .*white space/,
  },
  // THREATS 2: interpreters.
  {
    id: 'bash', what: 'interpreter bash for a shell payload named .js', tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.repo, 'apps', 'api', 'bash.js'), canary(p, 'bash')),
    args: () => ({ script: 'apps/api/bash.js', interpreter: 'bash', name: 'worker-bash' }), expect: denied('start.interpreters.fit'),
  },
  {
    id: 'bash-sh', what: 'interpreter bash with a .sh payload', tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.repo, 'apps', 'api', 'evil.sh'), canary(p, 'bash-sh')),
    args: () => ({ script: 'apps/api/evil.sh', interpreter: 'bash', name: 'worker-sh' }), expect: denied('start.scripts'),
  },
  {
    id: 'none', what: 'interpreter none for an executable shell payload', tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.repo, 'apps', 'api', 'none.js'), canary(p, 'none')),
    args: () => ({ script: 'apps/api/none.js', interpreter: 'none', name: 'worker-none' }), expect: denied('start.interpreters'),
  },
  {
    id: 'nvm', what: 'interpreter node@18', tool: 'pm2_start_process',
    args: () => ({ script: SERVER, interpreter: 'node@18', name: 'worker-nvm' }), expect: /^START_REFUSED: "node@18" is not an interpreter name/,
  },
  {
    id: 'nvm-inject', what: 'interpreter node@18 with a shell command appended', tool: 'pm2_start_process',
    args: (p) => ({ script: SERVER, interpreter: `node@18;touch ${canary(p, 'nvm-inject')}`, name: 'worker-nvm2' }), expect: /^START_REFUSED: .* is not an interpreter name/,
  },
  {
    id: 'fake-node', what: 'an absolute interpreter apps/bin/node that links to /bin/sh', tool: 'pm2_start_process',
    setup: (p) => {
      polyglotPayload(join(p.repo, 'apps', 'api', 'fake-node.js'), canary(p, 'fake-node'));
      mkdirSync(join(p.repo, 'apps', 'bin'));
      symlinkSync('/bin/sh', join(p.repo, 'apps', 'bin', 'node'));
    },
    args: (p) => ({ script: 'apps/api/fake-node.js', interpreter: join(p.repo, 'apps', 'bin', 'node'), name: 'worker-fakenode' }), expect: denied('start.interpreters.fit'),
  },
  // THREATS 3: interpreter arguments.
  {
    id: 'node-options', what: 'env NODE_OPTIONS=--require <payload>', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'node-options.js'), canary(p, 'node-options')),
    args: (p) => ({ script: SERVER, name: 'worker-nodeopts', env: { NODE_OPTIONS: `--require ${join(p.outside, 'node-options.js')}` } }), expect: denied('start.env.family.node'),
  },
  {
    id: 'node-args', what: 'node_args --require <payload>', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'node-args.js'), canary(p, 'node-args')),
    args: (p) => ({ script: SERVER, name: 'worker-nodeargs', node_args: ['--require', join(p.outside, 'node-args.js')] }), expect: invalid('node_args'),
  },
  {
    id: 'interpreter-args', what: 'interpreter_args --require <payload>', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'interpreter-args.js'), canary(p, 'interpreter-args')),
    args: (p) => ({ script: SERVER, name: 'worker-iargs', interpreter_args: `--require ${join(p.outside, 'interpreter-args.js')}` }), expect: invalid('interpreter_args'),
  },
  {
    id: 'nodeArgs', what: 'nodeArgs (camelCase) --require <payload>', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'nodeArgs.js'), canary(p, 'nodeArgs')),
    args: (p) => ({ script: SERVER, name: 'worker-camel', nodeArgs: ['--require', join(p.outside, 'nodeArgs.js')] }), expect: invalid('nodeArgs'),
  },
  // THREATS 4: option aliases.
  ...(['exec', 'cmd', 'command'] as const).map((key): Attack => ({
    id: `alias-${key}`, what: `"${key}" (an alias of script) naming a payload`, tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, `alias-${key}.js`), canary(p, `alias-${key}`)),
    args: (p) => ({ script: SERVER, name: `worker-${key}`, [key]: join(p.outside, `alias-${key}.js`) }), expect: invalid(key),
  })),
  ...(['exec_interpreter', 'execInterpreter'] as const).map((key): Attack => ({
    id: `alias-${key}`, what: `"${key}": "bash" for a shell payload`, tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.repo, 'apps', 'api', `alias-${key}.js`), canary(p, `alias-${key}`)),
    args: () => ({ script: `apps/api/alias-${key}.js`, name: `worker-${key.toLowerCase().replace(/_/g, '-')}`, [key]: 'bash' }), expect: invalid(key),
  })),
  // THREATS 5: env names that are pm2 process fields, and dangerous variables.
  {
    id: 'env-script', what: 'env script=<payload> (would replace the script in the daemon)', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'env-script.js'), canary(p, 'env-script')),
    args: (p) => ({ script: SERVER, name: 'worker-envscript', env: { script: join(p.outside, 'env-script.js') } }), expect: denied('start.env.pm2Field'),
  },
  {
    id: 'env-pm_exec_path', what: 'env pm_exec_path=<payload>', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.outside, 'env-pm_exec_path.js'), canary(p, 'env-pm_exec_path')),
    args: (p) => ({ script: SERVER, name: 'worker-envexecpath', env: { pm_exec_path: join(p.outside, 'env-pm_exec_path.js') } }), expect: denied('start.env.pm2Field'),
  },
  ...(['exec_interpreter', 'execInterpreter', 'interpreter'] as const).map((key): Attack => ({
    id: `env-${key}`, what: `env ${key}=/bin/sh for a shell payload`, tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.repo, 'apps', 'api', `env-${key}.js`), canary(p, `env-${key}`)),
    args: () => ({ script: `apps/api/env-${key}.js`, name: `worker-env${key.toLowerCase().replace(/_/g, '-')}`, env: { [key]: '/bin/sh' } }), expect: denied('start.env.pm2Field'),
  })),
  {
    id: 'env-BASH_ENV', what: 'env BASH_ENV=<shell payload>', tool: 'pm2_start_process',
    setup: (p) => polyglotPayload(join(p.outside, 'bash-env.sh'), canary(p, 'env-BASH_ENV')),
    args: (p) => ({ script: SERVER, name: 'worker-bashenv', env: { BASH_ENV: join(p.outside, 'bash-env.sh') } }), expect: denied('start.env.family.shell'),
  },
  {
    id: 'env-PM2_HOME', what: 'env PM2_HOME pointing elsewhere', tool: 'pm2_start_process',
    args: (p) => ({ script: SERVER, name: 'worker-pm2home', env: { PM2_HOME: p.outside } }), expect: denied('start.env.family.pm2'),
  },
  {
    id: 'env-unlisted', what: 'an env name outside start.env.allow', tool: 'pm2_start_process',
    args: () => ({ script: SERVER, name: 'worker-unlisted', env: { DATABASE_URL: 'postgres://x' } }), expect: denied('start.env.allow'),
  },
  // THREATS 6: ecosystem files (strict allows none: none of them is even read).
  {
    id: 'eco-outside', what: 'an ecosystem .json outside the repo', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'eco-outside.js'), canary(p, 'eco-outside'));
      writeJson(join(p.outside, 'ecosystem.json'), { apps: [{ name: 'worker-eco-outside', script: 'eco-outside.js' }] });
    },
    args: () => ({ jsonConfigFile: '../outside/ecosystem.json' }), expect: denied('start.ecosystemFiles'),
  },
  {
    id: 'eco-inside', what: 'an ecosystem .json inside the repo that no rule allows', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.repo, 'apps', 'api', 'eco-inside.js'), canary(p, 'eco-inside'));
      writeJson(join(p.repo, 'apps', 'ecosystem.json'), { apps: [{ name: 'worker-eco-inside', script: 'api/eco-inside.js' }] });
    },
    args: () => ({ jsonConfigFile: 'apps/ecosystem.json' }), expect: denied('start.ecosystemFiles'),
  },
  {
    id: 'eco-js', what: 'a .js ecosystem file that runs the canary when required', tool: 'pm2_start_process',
    setup: (p) => writeFileSync(join(p.repo, 'apps', 'ecosystem.config.js'), `require('fs').writeFileSync(${JSON.stringify(canary(p, 'eco-js'))}, 'ran');\nmodule.exports = { apps: [{ name: 'worker-eco-js', script: 'worker/worker.js' }] };\n`),
    args: () => ({ jsonConfigFile: 'apps/ecosystem.config.js' }), expect: denied('start.ecosystemFiles'),
  },
  {
    id: 'eco-json-js', what: 'a .json ecosystem file holding JavaScript (pm2 evaluates it)', tool: 'pm2_start_process',
    setup: (p) => writeFileSync(join(p.repo, 'apps', 'eco-js.json'), jsInJson(canary(p, 'eco-json-js'))),
    args: () => ({ jsonConfigFile: 'apps/eco-js.json' }), expect: denied('start.ecosystemFiles'),
  },
  // THREATS 7: restart and reload.
  {
    id: 'restart-updateEnv', what: 'restart api with updateEnv (the server\'s env into the app)', tool: 'pm2_restart_process',
    args: () => ({ process: 'api', updateEnv: true }), expect: denied('processes.updateEnv'),
  },
  {
    id: 'reload-updateEnv', what: 'reload api with updateEnv', tool: 'pm2_reload_process',
    args: () => ({ process: 'api', updateEnv: true }), expect: denied('processes.updateEnv'),
  },
  {
    id: 'restart-interpreter', what: 'restart api with a new interpreter', tool: 'pm2_restart_process',
    args: () => ({ process: 'api', interpreter: 'bash' }), expect: invalid('interpreter'),
  },
  {
    id: 'restart-script', what: 'restart api with a new script', tool: 'pm2_restart_process',
    setup: (p) => jsPayload(join(p.outside, 'restart-script.js'), canary(p, 'restart-script')),
    args: (p) => ({ process: 'api', script: join(p.outside, 'restart-script.js') }), expect: invalid('script'),
  },
  // THREATS 8: targets and names.
  {
    id: 'name-evil', what: 'an allowed script started under a name outside the scope (evil)', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.repo, 'apps', 'api', 'name-evil.js'), canary(p, 'name-evil')),
    args: () => ({ script: 'apps/api/name-evil.js', name: 'evil' }), expect: denied('processes.scope'),
  },
  {
    id: 'name-bystander', what: 'a start named like the bystander (pm2 would restart it with the new options)', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.repo, 'apps', 'api', 'name-bystander.js'), canary(p, 'name-bystander')),
    args: () => ({ script: 'apps/api/name-bystander.js', name: 'bystander' }), expect: denied('processes.scope'),
  },
  {
    id: 'name-taken', what: 'a start named api, which exists (pm2 would merge the new script into it)', tool: 'pm2_start_process',
    setup: (p) => jsPayload(join(p.repo, 'apps', 'api', 'name-taken.js'), canary(p, 'name-taken')),
    args: () => ({ script: 'apps/api/name-taken.js', name: 'api' }), expect: /^START_REFUSED: A process named "api" exists already/,
  },
  {
    id: 'restart-all', what: 'restart "all"', tool: 'pm2_restart_process',
    args: () => ({ process: 'all' }), expect: denied('processes.allowAll'),
  },
  {
    id: 'stop-all', what: 'stop "all"', tool: 'pm2_stop_process',
    args: () => ({ process: 'all' }), expect: denied('processes.allowAll'),
  },
  {
    id: 'restart-regex', what: 'restart /./ (every name)', tool: 'pm2_restart_process',
    args: () => ({ process: '/./' }), expect: denied('processes.scope'),
  },
  // Other options the strict policy keeps off.
  {
    id: 'watch', what: 'watch mode', tool: 'pm2_start_process',
    args: () => ({ script: SERVER, name: 'worker-watch', watch: true }), expect: denied('start.watch'),
  },
  {
    id: 'nul', what: 'a NUL byte in the script path', tool: 'pm2_start_process',
    args: () => ({ script: `${SERVER}\0../../outside/evil.js`, name: 'worker-nul' }), expect: /^INVALID_ARGUMENTS: .*NUL byte/,
  },
];

/** A .json "ecosystem file" that is really JavaScript: pm2 evaluates it in the caller. */
function jsInJson(canaryFile: string): string {
  return `({ apps: [{ name: 'worker-json-js', script: ((globalThis.process.getBuiltinModule ? process.getBuiltinModule('fs') : process.mainModule.require('fs')).writeFileSync(${JSON.stringify(canaryFile)}, 'ran'), 'worker/worker.js') }] })\n`;
}

/**
 * The same strict config, plus ecosystem files under eco/ (a second config that extends the
 * committed one): now the files are read, and every app inside is checked as its own start.
 */
const ECO_ATTACKS: Attack[] = [
  {
    id: 'v-json-js', what: 'a .json ecosystem file holding JavaScript', tool: 'pm2_start_process',
    setup: (p) => writeFileSync(join(p.repo, 'eco', 'js.json'), jsInJson(canary(p, 'v-json-js'))),
    args: () => ({ jsonConfigFile: 'eco/js.json' }), expect: /^START_REFUSED: The ecosystem file .* is not valid JSON/,
  },
  {
    id: 'v-js', what: 'a .js ecosystem file a glob allows (only an exact name would be executed)', tool: 'pm2_start_process',
    setup: (p) => writeFileSync(join(p.repo, 'eco', 'ecosystem.config.js'), `require('fs').writeFileSync(${JSON.stringify(canary(p, 'v-js'))}, 'ran');\nmodule.exports = { apps: [{ name: 'worker-v-js', script: '../apps/worker/worker.js' }] };\n`),
    args: () => ({ jsonConfigFile: 'eco/ecosystem.config.js' }), expect: /^START_REFUSED: .*is JavaScript: reading it means executing it/,
  },
  {
    id: 'v-yaml-tag', what: 'a YAML ecosystem file with a !!js/function tag', tool: 'pm2_start_process',
    setup: (p) => writeFileSync(join(p.repo, 'eco', 'tag.yml'), `apps:\n  - name: worker-v-yaml\n    script: !!js/function "function () { require('fs').writeFileSync(${JSON.stringify(canary(p, 'v-yaml-tag'))}, 'ran') }"\n`),
    args: () => ({ jsonConfigFile: 'eco/tag.yml' }), expect: /^START_REFUSED: The ecosystem file .* is not valid YAML/,
  },
  {
    id: 'v-out-file', what: 'out_file outside the repo (pm2 would create it)', tool: 'pm2_start_process',
    setup: (p) => writeJson(join(p.repo, 'eco', 'out-file.json'), { apps: [{ name: 'worker-v-out', script: '../apps/worker/worker.js', out_file: join(p.canaries, 'canary-v-out-file') }] }),
    args: () => ({ jsonConfigFile: 'eco/out-file.json' }), expect: denied('start.logFiles'),
  },
  {
    id: 'v-error-file-link', what: 'error_file eco/err.log, a symlink to a file outside', tool: 'pm2_start_process',
    setup: (p) => {
      writeFileSync(join(p.outside, 'keep.log'), 'keep');
      symlinkSync('../../outside/keep.log', join(p.repo, 'eco', 'err.log'));
      writeJson(join(p.repo, 'eco', 'error-file.json'), { apps: [{ name: 'worker-v-err', script: '../apps/worker/worker.js', error_file: 'err.log' }] });
    },
    args: () => ({ jsonConfigFile: 'eco/error-file.json' }), expect: /^START_REFUSED: The log file err\.log is a symbolic link/,
  },
  {
    id: 'v-pid-file', what: 'pid_file outside the repo', tool: 'pm2_start_process',
    setup: (p) => writeJson(join(p.repo, 'eco', 'pid-file.json'), { apps: [{ name: 'worker-v-pid', script: '../apps/worker/worker.js', pid_file: canary(p, 'v-pid-file') }] }),
    args: () => ({ jsonConfigFile: 'eco/pid-file.json' }), expect: /^START_REFUSED: .*"pid_file" is not a field pm2-mcp starts apps with/,
  },
  {
    id: 'v-alias', what: 'an app using exec_interpreter: bash', tool: 'pm2_start_process',
    setup: (p) => {
      polyglotPayload(join(p.repo, 'apps', 'api', 'v-alias.js'), canary(p, 'v-alias'));
      writeJson(join(p.repo, 'eco', 'alias.json'), { apps: [{ name: 'worker-v-alias', script: '../apps/api/v-alias.js', exec_interpreter: 'bash' }] });
    },
    args: () => ({ jsonConfigFile: 'eco/alias.json' }), expect: /^START_REFUSED: .*"exec_interpreter" is another spelling of "interpreter"/,
  },
  {
    id: 'v-env-field', what: 'an app whose env sets exec_interpreter', tool: 'pm2_start_process',
    setup: (p) => {
      polyglotPayload(join(p.repo, 'apps', 'api', 'v-env-field.js'), canary(p, 'v-env-field'));
      writeJson(join(p.repo, 'eco', 'env-field.json'), { apps: [{ name: 'worker-v-envfield', script: '../apps/api/v-env-field.js', env: { exec_interpreter: '/bin/sh' } }] });
    },
    args: () => ({ jsonConfigFile: 'eco/env-field.json' }), expect: denied('start.env.pm2Field'),
  },
  {
    id: 'v-escape', what: 'an app whose script leaves the repo', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'v-escape.js'), canary(p, 'v-escape'));
      writeJson(join(p.repo, 'eco', 'escape.json'), { apps: [{ name: 'worker-v-escape', script: '../../outside/v-escape.js' }] });
    },
    args: () => ({ jsonConfigFile: 'eco/escape.json' }), expect: denied('start.scripts'),
  },
  {
    id: 'v-node-args', what: 'an app with node_args --require <payload>', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'v-node-args.js'), canary(p, 'v-node-args'));
      writeJson(join(p.repo, 'eco', 'node-args.json'), { apps: [{ name: 'worker-v-nodeargs', script: '../apps/worker/worker.js', node_args: ['--require', join(p.outside, 'v-node-args.js')] }] });
    },
    args: () => ({ jsonConfigFile: 'eco/node-args.json' }), expect: denied('start.interpreterArgs'),
  },
  {
    id: 'v-env-block', what: 'an env_production block with NODE_OPTIONS', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'v-env-block.js'), canary(p, 'v-env-block'));
      writeJson(join(p.repo, 'eco', 'env-block.json'), { apps: [{ name: 'worker-v-envblock', script: '../apps/worker/worker.js', env_production: { NODE_OPTIONS: `--require ${join(p.outside, 'v-env-block.js')}` } }] });
    },
    args: () => ({ jsonConfigFile: 'eco/env-block.json' }), expect: /^START_REFUSED: .*"env_production": per-environment blocks are not supported/,
  },
  {
    id: 'v-deploy', what: 'a top-level deploy entry (post-deploy runs shell commands)', tool: 'pm2_start_process',
    setup: (p) => writeJson(join(p.repo, 'eco', 'deploy.json'), { apps: [{ name: 'worker-v-deploy', script: '../apps/worker/worker.js' }], deploy: { production: { 'post-deploy': `touch ${canary(p, 'v-deploy')}` } } }),
    args: () => ({ jsonConfigFile: 'eco/deploy.json' }), expect: /^START_REFUSED: .*top-level "deploy" is not supported/,
  },
  {
    id: 'v-link', what: 'eco/link.json, a symlink to an ecosystem file outside', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.outside, 'v-link.js'), canary(p, 'v-link'));
      writeJson(join(p.outside, 'linked.json'), { apps: [{ name: 'worker-v-link', script: 'v-link.js' }] });
      symlinkSync('../../outside/linked.json', join(p.repo, 'eco', 'link.json'));
    },
    args: () => ({ jsonConfigFile: 'eco/link.json' }), expect: denied('start.ecosystemFiles'),
  },
  {
    id: 'v-mixed', what: 'a legitimate app and one outside the scope in one file (nothing starts)', tool: 'pm2_start_process',
    setup: (p) => {
      jsPayload(join(p.repo, 'apps', 'api', 'v-mixed.js'), canary(p, 'v-mixed'));
      writeJson(join(p.repo, 'eco', 'mixed.json'), { apps: [{ name: 'worker-v-ok', script: '../apps/worker/worker.js' }, { name: 'evil-v', script: '../apps/api/v-mixed.js' }] });
    },
    args: () => ({ jsonConfigFile: 'eco/mixed.json' }), expect: denied('processes.scope'),
  },
];

describe('a committed strict config under attack, with a bystander outside its scope', () => {
  const p: Paths = { base: '', repo: '', outside: '', canaries: '' };
  let home: string;
  let s: Session;
  let eco: Session;
  let control: string;
  const legit = new Map<string, { pid: number; restarts: number }>();
  let bystander: { pm_id: number; pid: number; restarts: number };
  const SECRET = 'server-secret-value-3f9a';

  before(async () => {
    p.base = await makeTempDir('pm2mcp-pol-');
    p.repo = join(p.base, 'repo');
    p.outside = join(p.base, 'outside');
    p.canaries = join(p.base, 'canaries');
    control = join(p.base, 'control');
    cpSync(FIXTURE, p.repo, { recursive: true });
    for (const dir of [p.outside, p.canaries, control, join(p.repo, 'eco')]) mkdirSync(dir, { recursive: true });
    // Pin the payloads to CommonJS whatever lies above the temp folder.
    writeFileSync(join(p.base, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(p.outside, 'idle.js'), 'console.log(\'idle up\');\nsetInterval(() => {}, 1 << 30);\n');
    for (const a of [...ATTACKS, ...ECO_ATTACKS]) a.setup?.(p);
    // The variant: the committed config, plus ecosystem files under eco/ (by glob only).
    writeJson(join(p.repo, 'pm2-mcp.eco.json'), { extends: './pm2-mcp.config.json', start: { ecosystemFiles: ['eco/*.json', 'eco/*.yml', 'eco/*.js'], cwd: ['.', 'apps', 'apps/**', 'eco'] } });

    // Positive control: the payloads do write their canary when they run.
    jsPayload(join(control, 'c.js'), join(control, 'js-ran'));
    polyglotPayload(join(control, 'c.sh'), join(control, 'sh-ran'));
    spawnSync('sh', [join(control, 'c.sh')]);
    spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(control, 'c.js'))}); process.exit(0)`]);
    assert.ok(existsSync(join(control, 'js-ran')) && existsSync(join(control, 'sh-ran')), 'the payloads do not work: the canary checks would prove nothing');

    home = await makeTempDir('pm2mcp-polh-');
    // The bystander, started by a person with the pm2 CLI before the server runs.
    await pm2(home, ['start', join(p.outside, 'idle.js'), '--name', 'bystander']);
    const b = await waitFor(async () => (await jlist(home)).find((x) => x.name === 'bystander' && x.pm2_env.status === 'online' && x.pid > 0), 'the bystander online');
    bystander = { pm_id: b.pm_id, pid: b.pid, restarts: b.pm2_env.restart_time };

    s = await connect({ home, cwd: p.repo, env: { APP_SERVER_SECRET_TOKEN: SECRET } });
    eco = await connect({ home, cwd: p.repo, args: ['--config', 'pm2-mcp.eco.json'] });
  });

  after(async () => {
    await s?.close();
    await eco?.close();
    await destroyHome(home);
    await rm(p.base, { recursive: true, force: true });
  });

  test('the server runs the committed strict config, with the strict tools', async () => {
    assert.ok(s.stderr().includes(`policy strict from ${join(realpathSync(p.repo), 'pm2-mcp.config.json')} (enforce)`), s.stderr());
    assert.deepEqual(sorted(await toolNames(s)), sorted([...READ_TOOLS, 'pm2_start_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process']));
    assert.deepEqual(sorted(await toolNames(eco)), sorted(await toolNames(s)));
  });

  test('legitimate starts work, and a server secret does not reach the app', async () => {
    const api = await call(s.client, 'pm2_start_process', { script: 'server.js', cwd: 'apps/api', name: 'api', env: { PORT: '3000' } });
    assert.equal(api.isError, undefined, textOf(api));
    const worker = await call(s.client, 'pm2_start_process', { script: 'apps/worker/worker.js', name: 'worker-1' });
    assert.equal(worker.isError, undefined, textOf(worker));
    const online = await waitFor(async () => {
      const procs = (await listOf(s)).filter((x) => (x.name === 'api' || x.name === 'worker-1') && x.status === 'online' && x.pid);
      return procs.length === 2 ? procs : undefined;
    }, 'api and worker-1 online');
    for (const proc of online) legit.set(proc.name, { pid: proc.pid!, restarts: proc.restarts });
    const environ = readFileSync(`/proc/${legit.get('api')!.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('PORT=3000'));
    assert.ok(!environ.some((e) => e.includes(SECRET)), 'the server\'s environment leaked into the app');
    const tail = await waitFor(async () => {
      const r = await call(s.client, 'pm2_tail_logs', { process: 'api', lines: 5 });
      return textOf(r).includes('api listening on 3000') ? r : undefined;
    }, 'the api\'s first line');
    assert.equal(tail.isError, undefined);
  });

  for (const a of ATTACKS) {
    test(`refused: ${a.what}`, async () => {
      assertRefused(await call(s.client, a.tool, a.args(p)), a.expect, a.what);
    });
  }

  for (const a of ECO_ATTACKS) {
    test(`refused with ecosystem files allowed: ${a.what}`, async () => {
      assertRefused(await call(eco.client, a.tool, a.args(p)), a.expect, a.what);
    });
  }

  test('the bystander: every way of naming it, with every tool, is refused', async () => {
    const targets: Array<string | number> = ['bystander', bystander.pm_id, String(bystander.pm_id), 'all', '/bys/', 'default'];
    const tools = ['pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process', 'pm2_delete_process', 'pm2_flush_logs'];
    for (const tool of tools) {
      for (const target of targets) {
        const r = await call(s.client, tool, { process: target });
        const rule = tool === 'pm2_delete_process' || tool === 'pm2_flush_logs' ? `tools.${tool}` : target === 'all' ? 'processes.allowAll' : 'processes.scope';
        assertRefused(r, denied(rule), `${tool} ${JSON.stringify(target)}`);
      }
    }
    for (const tool of ['pm2_flush_logs', 'pm2_dump', 'pm2_reload_logs', 'pm2_kill_daemon']) {
      assertRefused(await call(s.client, tool), denied(`tools.${tool}`), tool);
    }
    // delete and flush are off under strict: hidden, and still checked (above).
    const listed = await toolNames(s);
    assert.ok(!listed.includes('pm2_delete_process') && !listed.includes('pm2_flush_logs'));
  });

  test('afterwards: no canary exists, and only the legitimate processes and the bystander are there, untouched', async () => {
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(readdirSync(p.canaries), [], 'a payload ran');
    assert.equal(readFileSync(join(p.outside, 'keep.log'), 'utf8'), 'keep', 'a log file outside the repo was written');
    const procs = await listOf(s);
    assert.deepEqual(procs.map((x) => x.name).sort(), ['api', 'bystander', 'worker-1']);
    for (const [name, was] of legit) {
      const now = procs.find((x) => x.name === name)!;
      assert.equal(now.status, 'online', name);
      assert.deepEqual({ pid: now.pid, restarts: now.restarts }, was, `${name} was restarted`);
    }
    const b = procs.find((x) => x.name === 'bystander')!;
    assert.equal(b.status, 'online');
    assert.deepEqual({ pm_id: b.pm_id, pid: b.pid, restarts: b.restarts }, bystander, 'the bystander was touched');
    assert.ok(isAlive(bystander.pid));
    const cli = (await jlist(home)).find((x) => x.name === 'bystander')!;
    assert.deepEqual({ pid: cli.pid, restarts: cli.pm2_env.restart_time, status: cli.pm2_env.status }, { pid: bystander.pid, restarts: bystander.restarts, status: 'online' });
    // Its log was not flushed.
    const d = await call(s.client, 'pm2_describe_process', { process: 'bystander' });
    const out = (d.structuredContent as { processes: Array<{ logs: { out: string } }> }).processes[0]!.logs.out;
    assert.match(readFileSync(out, 'utf8'), /idle up/);
    assert.deepEqual(s.protocolErrors, []);
    assert.deepEqual(eco.protocolErrors, []);
  });
});

// =============================================================================================
// 4. readonly in CI: no daemon is ever spawned; with one running, reads work and env is redacted.

describe('readonly in a CI-like environment', () => {
  let home: string;
  let dir: string;
  let s: Session;
  const TOKEN = 'hunter2-ci-token-value';

  before(async () => {
    home = await makeTempDir('pm2mcp-pol-ci-');
    dir = await makeTempDir('pm2mcp-pol-cic-');
    writeFileSync(join(dir, 'idle.js'), 'console.log(\'ci app up\');\nsetInterval(() => {}, 1 << 30);\n');
    s = await connect({ home, cwd: dir, args: ['--readonly'], env: { CI: 'true' } });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  const noDaemon = () => {
    for (const f of ['rpc.sock', 'pub.sock', 'pm2.pid']) assert.ok(!existsSync(join(home, f)), `${f} appeared in ${home}: a daemon was spawned`);
  };

  test('with no daemon: only the read tools, DAEMON_NOT_RUNNING naming the home, and no daemon spawned', async () => {
    assert.deepEqual(await toolNames(s), READ_TOOLS);
    const r = await call(s.client, 'pm2_list_processes');
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /^DAEMON_NOT_RUNNING: /);
    assert.ok(textOf(r).includes(`PM2_HOME=${home}`), textOf(r));
    const d = await call(s.client, 'pm2_describe_process', { process: 'anything' });
    assert.match(textOf(d), /^DAEMON_NOT_RUNNING: /);
    assertRefused(await call(s.client, 'pm2_start_process', { script: 'idle.js' }), denied('tools.pm2_start_process'), 'a start under readonly');
    await new Promise((r) => setTimeout(r, 300));
    noDaemon();
  });

  test('with a daemon the pm2 CLI started: list, tail, and describe with env values redacted', async () => {
    await pm2(home, ['start', join(dir, 'idle.js'), '--name', 'ci-app'], { CI_API_TOKEN: TOKEN });
    const procs = await waitFor(async () => {
      const r = await call(s.client, 'pm2_list_processes');
      return r.isError ? undefined : (r.structuredContent as { processes: Summary[] }).processes;
    }, 'a working list');
    assert.deepEqual(procs.map((x) => x.name), ['ci-app']);
    await waitFor(async () => textOf(await call(s.client, 'pm2_tail_logs', { process: 'ci-app' })).includes('ci app up') || undefined, 'the app\'s line in its log');
    const d = await call(s.client, 'pm2_describe_process', { process: 'ci-app' });
    assert.equal(d.isError, undefined, textOf(d));
    const env = (d.structuredContent as { processes: Array<{ env: Record<string, string>; env_redacted: boolean }> }).processes[0]!;
    assert.equal(env.env_redacted, true);
    assert.equal(env.env.CI_API_TOKEN, '[redacted]');
    assert.ok(Object.values(env.env).every((v) => v === '[redacted]'), 'an env value is shown');
    assert.ok(!JSON.stringify(d).includes(TOKEN), 'the token reached the output');
    assertRefused(await call(s.client, 'pm2_restart_process', { process: 'ci-app' }), denied('tools.pm2_restart_process'), 'a restart under readonly');
  });
});

// =============================================================================================
// 5. mode audit: a dry run. What strict would deny runs; a pm2 field in env never does.

describe('mode audit (a dry run)', () => {
  let home: string;
  let dir: string;
  let strictDir: string;
  let s: Session;

  before(async () => {
    home = await makeTempDir('pm2mcp-pol-aud-');
    dir = await makeTempDir('pm2mcp-pol-audc-');
    strictDir = await makeTempDir('pm2mcp-pol-aud2-');
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeJson(join(dir, 'pm2-mcp.config.json'), { extends: 'strict', mode: 'audit' });
    writeFileSync(join(dir, 'app.js'), 'console.log(\'audited up\');\nsetInterval(() => {}, 1 << 30);\n');
    polyglotPayload(join(dir, 'poly.js'), join(dir, 'canary-audit-field'));
    // Audit mode where cwd, script and name are allowed, so the env rule is the first to speak.
    writeJson(join(strictDir, 'pm2-mcp.config.json'), { extends: 'strict', mode: 'audit', start: { scripts: ['*.js'], cwd: ['.'] }, processes: { names: ['audited*'] } });
    writeFileSync(join(strictDir, 'app.js'), 'setInterval(() => {}, 1 << 30);\n');
    s = await connect({ home, cwd: dir });
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    for (const d of [dir, strictDir]) await rm(d, { recursive: true, force: true });
  });

  test('no tool is hidden', async () => {
    assert.match(s.stderr(), /policy strict from .* \(audit\)/);
    assert.deepEqual(await toolNames(s), ALL_TOOLS);
  });

  test('a start strict would deny runs, and explain says would_deny (exit 1)', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'audited' });
    assert.equal(r.isError, undefined, textOf(r));
    await waitFor(async () => (await listOf(s)).find((x) => x.name === 'audited' && x.status === 'online'), 'the audited app online');
    const ex = await pm2mcp(['explain', 'pm2_start_process', JSON.stringify({ script: 'app.js', name: 'audited' })], dir, home);
    assert.equal(ex.code, 1, ex.stdout + ex.stderr);
    assert.match(ex.stdout, /^Decision: would_deny \(audit mode: it would run\)$/m);
    assert.match(ex.stdout, /^Rule: start\.cwd$/m);
    assert.match(ex.stdout, /^Policy: strict .*mode audit$/m);
  });

  test('a pm2 field in env is refused in audit mode when it is the first rule to deny', async () => {
    const ex = await pm2mcp(['explain', 'pm2_start_process', JSON.stringify({ script: 'app.js', name: 'audited-2', env: { exec_interpreter: '/bin/sh' } })], strictDir, home);
    assert.equal(ex.code, 1, ex.stdout + ex.stderr);
    assert.match(ex.stdout, /^Decision: deny$/m);
    assert.match(ex.stdout, /^Rule: start\.env\.pm2Field$/m);
  });

  test('a pm2 field in env is refused in audit mode even when an earlier rule also denies', async () => {
    const r = await call(s.client, 'pm2_start_process', { script: 'poly.js', name: 'audited-field', env: { exec_interpreter: '/bin/sh' } });
    await new Promise((res) => setTimeout(res, 1_000));
    const ran = existsSync(join(dir, 'canary-audit-field'));
    assert.ok(!ran, `the start ${r.isError ? 'was refused' : `RAN (${textOf(r)})`}, and the env field swapped the interpreter to /bin/sh: the shell payload wrote its canary`);
    assertRefused(r, denied('start.env.pm2Field'), 'env exec_interpreter in audit mode');
  });
});

// =============================================================================================
// 6. A config that can't be used stops everything before it serves; check says so too.

describe('config errors refuse to start', () => {
  let bad: string;
  let good: string;
  let home: string;

  before(async () => {
    bad = await makeTempDir('pm2mcp-pol-bad-');
    good = await makeTempDir('pm2mcp-pol-good-');
    home = await makeTempDir('pm2mcp-pol-badh-');
    writeJson(join(bad, 'pm2-mcp.config.json'), { extends: 'strict', tols: { pm2_dump: 'allow' }, start: { maxInstances: 'four' } });
  });

  after(async () => {
    await destroyHome(home);
    for (const d of [bad, good]) await rm(d, { recursive: true, force: true });
  });

  const assertUsageFailure = (r: Ran) => {
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.ms < 5_000, `it took ${r.ms} ms to give up`);
    assert.equal(r.stdout, '', 'something was printed on stdout');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
  };

  test('an invalid pm2-mcp.config.json: exit 2, the file and one line per problem on stderr', async () => {
    const r = await pm2mcp([], bad, home);
    assertUsageFailure(r);
    const file = join(realpathSync(bad), 'pm2-mcp.config.json');
    assert.ok(r.stderr.includes(file) || r.stderr.includes(join(bad, 'pm2-mcp.config.json')), r.stderr);
    const problems = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    assert.equal(problems.length, 2, r.stderr);
    assert.ok(problems.some((l) => /^ {2}- tols: unknown key/.test(l)), r.stderr);
    assert.ok(problems.some((l) => /^ {2}- start\.maxInstances: /.test(l)), r.stderr);
    assert.ok(!existsSync(join(home, 'rpc.sock')));
  });

  test('--policy nonsense: exit 2, one line naming it', async () => {
    const r = await pm2mcp(['--policy', 'nonsense'], good, home);
    assertUsageFailure(r);
    assert.match(r.stderr, /"nonsense" is not a preset \(expected one of readonly, strict, standard, permissive\)/);
  });

  test('check: exit 2 on the invalid folder, exit 0 with the effective policy on a valid one', async () => {
    const r = await pm2mcp(['check'], bad, home);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /tols: unknown key/);
    const ok = await pm2mcp(['check'], FIXTURE, home);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^Effective policy:$/m);
    assert.ok(ok.stdout.includes(join(FIXTURE, 'pm2-mcp.config.json')));
  });
});

// =============================================================================================
// 7. explain: 0 allowed, 1 denied (with the rule and a hint), 2 when it can't tell.

describe('pm2-mcp explain exit codes', () => {
  let dir: string;
  let outside: string;
  let home: string;

  before(async () => {
    dir = await makeTempDir('pm2mcp-pol-exp-');
    outside = await makeTempDir('pm2mcp-pol-expo-');
    home = await makeTempDir('pm2mcp-pol-exph-');
    writeFileSync(join(dir, 'package.json'), '{}\n');
    writeFileSync(join(dir, 'app.js'), 'setInterval(() => {}, 1 << 30);\n');
    writeFileSync(join(outside, 'other.js'), 'setInterval(() => {}, 1 << 30);\n');
  });

  after(async () => {
    await destroyHome(home);
    for (const d of [dir, outside]) await rm(d, { recursive: true, force: true });
  });

  test('0 for an allowed call', async () => {
    const r = await pm2mcp(['explain', 'pm2_start_process', '{"script":"app.js"}'], dir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Decision: allow$/m);
    assert.match(r.stdout, /^Policy: standard, mode enforce$/m);
  });

  test('1 for a denied call, with Rule: and Hint: lines', async () => {
    const kill = await pm2mcp(['explain', 'pm2_kill_daemon', '{}'], dir, home);
    assert.equal(kill.code, 1, kill.stdout + kill.stderr);
    assert.match(kill.stdout, /^Decision: deny$/m);
    assert.match(kill.stdout, /^Rule: tools\.pm2_kill_daemon$/m);
    assert.match(kill.stdout, /^Hint: set "tools": \{ "pm2_kill_daemon": "allow" \}/m);
    const start = await pm2mcp(['explain', 'pm2_start_process', JSON.stringify({ script: join(outside, 'other.js') })], dir, home);
    assert.equal(start.code, 1, start.stdout + start.stderr);
    assert.match(start.stdout, /^Rule: start\.scripts$/m);
    assert.match(start.stdout, /^Hint: add a glob matching /m);
  });

  test('2 for bad JSON, an unknown tool, or invalid arguments', async () => {
    const json = await pm2mcp(['explain', 'pm2_start_process', '{script:'], dir, home);
    assert.equal(json.code, 2, json.stdout + json.stderr);
    assert.match(json.stderr, /The arguments are not JSON/);
    const tool = await pm2mcp(['explain', 'pm2_format_disk', '{}'], dir, home);
    assert.equal(tool.code, 2, tool.stdout + tool.stderr);
    assert.match(tool.stderr, /Unknown tool "pm2_format_disk"/);
    const args = await pm2mcp(['explain', 'pm2_start_process', '{"script":"app.js","exec":"x"}'], dir, home);
    assert.equal(args.code, 2, args.stdout + args.stderr);
    assert.match(args.stdout, /^Error: INVALID_ARGUMENTS: .*unknown argument "exec"/m);
    for (const r of [json, tool, args]) assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!existsSync(join(home, 'rpc.sock')), 'explain spawned a daemon');
  });
});
