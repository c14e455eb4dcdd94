// `pm2-mcp test` and `pm2-mcp init`, the built CLI on temporary projects: the exit codes (0 every
// case holds, 1 one does not, 2 an invalid file), no daemon needed or started, the same decision
// `explain` gives against a real daemon whose processes the table mirrors; init in an empty
// project and in one with an ecosystem file, after which check and test pass, and it never
// overwrites.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, destroyHome, makeTempDir, ROOT } from '../helpers/harness.js';

const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

function runNode(args: string[], cwd: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end();
  });
}

/** pm2-mcp on `home`, never ~/.pm2. */
const pm2mcp = (args: string[], cwd: string, home: string) => runNode([CLI, ...args], cwd, cleanEnv({ PM2_MCP_HOME: home }));

function writeJson(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

const IDLE = 'setInterval(() => {}, 1 << 30);\n';

/** A project: two apps, an ecosystem file, a strict config that lets the agent run api only. */
function project(dir: string): void {
  writeFileSync(join(dir, 'package.json'), '{}\n');
  // A repository: the config is searched for from a folder below up to here.
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'apps', 'api'), { recursive: true });
  writeFileSync(join(dir, 'apps', 'api', 'server.js'), IDLE);
  writeJson(join(dir, 'ecosystem.config.json'), { apps: [{ name: 'api', script: 'apps/api/server.js' }] });
  writeJson(join(dir, 'pm2-mcp.config.json'), {
    extends: 'strict',
    start: { scripts: ['apps/**/*.js'], cwd: ['.', 'apps/**'], ecosystemFiles: ['ecosystem.config.json'] },
    processes: { names: ['api'] },
  });
}

const okLines = (out: string) => out.split('\n').filter((l) => /^(not )?ok \d+ - /.test(l));

describe('pm2-mcp test', () => {
  let dir: string;
  let outside: string;
  let home: string;

  before(async () => {
    dir = realpathSync(await makeTempDir('pm2mcp-t-'));
    outside = realpathSync(await makeTempDir('pm2mcp-to-'));
    home = await makeTempDir('pm2mcp-th-');
    project(dir);
    writeFileSync(join(outside, 'other.js'), IDLE);
  });

  after(async () => {
    await destroyHome(home);
    for (const d of [dir, outside]) await rm(d, { recursive: true, force: true });
  });

  const table = () => [
    { name: 'api', cwd: '.', script: 'apps/api/server.js' },
    { name: 'stranger', cwd: outside, script: 'other.js' },
  ];

  test('exit 0 when every case holds: one line per case and a summary, and no daemon was started', async () => {
    writeJson(join(dir, 'pm2-mcp.tests.json'), {
      processes: table(),
      cases: [
        { name: 'restart api', tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'allow', rule: 'processes.scope' },
        { name: 'restart stranger', tool: 'pm2_restart_process', args: { process: 'stranger' }, expect: 'deny', rule: 'processes.scope' },
        { name: 'start the ecosystem file', tool: 'pm2_start_process', args: { jsonConfigFile: 'ecosystem.config.json' }, expect: 'allow' },
        { name: `start ${join(outside, 'other.js')}`, tool: 'pm2_start_process', args: { script: join(outside, 'other.js') }, expect: 'deny', rule: 'start.scripts' },
        { name: 'kill the daemon', tool: 'pm2_kill_daemon', expect: 'deny' },
      ],
    });
    const r = await pm2mcp(['test'], join(dir, 'apps'), home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(okLines(r.stdout), [
      'ok 1 - restart api is allowed (rule processes.scope)',
      'ok 2 - restart stranger is denied (rule processes.scope)',
      'ok 3 - start the ecosystem file is allowed (rule start)',
      `ok 4 - start ${join(outside, 'other.js')} is denied (rule start.scripts)`,
      'ok 5 - kill the daemon is denied (rule tools.pm2_kill_daemon)',
    ]);
    assert.match(r.stdout, /^1\.\.5$/m);
    assert.match(r.stdout, /^# 5 cases, 5 held, 0 failed$/m);
    assert.equal(r.stderr, '');
    assert.ok(!existsSync(join(home, 'rpc.sock')), 'pm2-mcp test started a daemon');
  });

  test('exit 1 when a case does not hold, with the reason; a FILE named on the command line, in YAML', async () => {
    const file = join(dir, 'ci', 'policy.tests.yaml');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        'processes:',
        `  - { name: stranger, cwd: ${JSON.stringify(outside)}, script: other.js }`,
        'cases:',
        '  - { name: list, tool: pm2_list_processes, expect: allow }',
        '  - { name: restart stranger, tool: pm2_restart_process, args: { process: stranger }, expect: allow }',
        '',
      ].join('\n'),
    );
    const r = await pm2mcp(['test', 'ci/policy.tests.yaml'], dir, home);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = okLines(r.stdout);
    assert.equal(lines[0], 'ok 1 - list is allowed (rule read)');
    assert.equal(lines[1], 'not ok 2 - restart stranger: expected allow, got deny (rule processes.scope)');
    assert.match(r.stdout, /^# {3}reason: stranger \(pm_id 0\) is outside the processes/m);
    assert.match(r.stdout, /^# 2 cases, 1 held, 1 failed$/m);
  });

  test('exit 2 for an invalid tests file, named as a config error is', async () => {
    const file = join(dir, 'bad.tests.json');
    writeJson(file, { cases: [{ name: 'x', tool: 'pm2_list_processes', expect: 'perhaps' }], processes: [{ cwd: '.' }] });
    const r = await pm2mcp(['test', file], dir, home);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^pm2-mcp: Invalid tests file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\n`));
    assert.match(r.stderr, /^ {2}- cases\[0\]\.expect: expected one of "allow", "deny", "ask", got "perhaps"$/m);
    assert.match(r.stderr, /^ {2}- processes\[0\]: missing required key "name"$/m);
    const none = await pm2mcp(['test'], outside, home);
    assert.equal(none.code, 2, none.stdout + none.stderr);
    assert.match(none.stderr, /No tests file in /);
  });
});

describe('pm2-mcp test decides as explain does against a real daemon', () => {
  let dir: string;
  let outside: string;
  let home: string;

  before(async () => {
    dir = realpathSync(await makeTempDir('pm2mcp-te-'));
    outside = realpathSync(await makeTempDir('pm2mcp-teo-'));
    home = await makeTempDir('pm2mcp-teh-');
    project(dir);
    writeFileSync(join(outside, 'other.js'), IDLE);
    // As a person at a terminal starts them: pm2 keeps the cwd it was started from.
    const pm2 = async (cwd: string, args: string[]) => {
      const r = await runNode([PM2_BIN, ...args], cwd, cleanEnv({ PM2_HOME: home }));
      assert.equal(r.code, 0, `pm2 ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await pm2(dir, ['start', 'apps/api/server.js', '--name', 'api']);
    await pm2(outside, ['start', 'other.js', '--name', 'stranger']);
  });

  after(async () => {
    await destroyHome(home);
    for (const d of [dir, outside]) await rm(d, { recursive: true, force: true });
  });

  test('for each call, the same effect and rule', async () => {
    const calls: Array<[string, Record<string, unknown>]> = [
      ['pm2_restart_process', { process: 'api' }],
      ['pm2_reload_process', { process: 0 }],
      ['pm2_restart_process', { process: 'stranger' }],
      ['pm2_stop_process', { process: 'all' }],
      ['pm2_describe_process', { process: 'stranger' }],
      ['pm2_start_process', { script: 'apps/api/server.js', name: 'api' }],
      ['pm2_start_process', { script: 'apps/api/server.js', name: 'api-2' }],
      ['pm2_start_process', { jsonConfigFile: 'ecosystem.config.json' }],
      ['pm2_start_process', { script: join(outside, 'other.js') }],
      ['pm2_kill_daemon', {}],
      ['pm2_flush_logs', { process: 'api' }],
    ];
    const cases = [];
    for (const [tool, args] of calls) {
      const r = await pm2mcp(['explain', tool, JSON.stringify(args)], dir, home);
      const effect = /^Decision: (\w+)$/m.exec(r.stdout)?.[1];
      const rule = /^Rule: (.+)$/m.exec(r.stdout)?.[1];
      assert.ok(effect && rule, `explain ${tool}: ${r.stdout}${r.stderr}`);
      cases.push({ name: `${tool} ${JSON.stringify(args)}`, tool, args, expect: effect, rule });
    }
    // Both kinds of answer are among them, or the comparison would prove little.
    assert.deepEqual(new Set(cases.map((c) => c.expect)), new Set(['allow', 'deny']));
    const pm2Ids = JSON.parse((await runNode([PM2_BIN, 'jlist'], dir, cleanEnv({ PM2_HOME: home }))).stdout) as Array<{ name: string; pm_id: number }>;
    const idOf = (name: string) => pm2Ids.find((p) => p.name === name)?.pm_id;
    writeJson(join(dir, 'pm2-mcp.tests.json'), {
      processes: [
        { name: 'api', cwd: '.', script: 'apps/api/server.js', pm_id: idOf('api') },
        { name: 'stranger', cwd: outside, script: 'other.js', pm_id: idOf('stranger') },
      ],
      cases,
    });
    // Another home, with no daemon at all: only the table tells the processes.
    const noDaemon = await makeTempDir('pm2mcp-ten-');
    try {
      const r = await pm2mcp(['test'], dir, noDaemon);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^# ${cases.length} cases, ${cases.length} held, 0 failed$`, 'm'));
    } finally {
      await rm(noDaemon, { recursive: true, force: true });
    }
  });
});

describe('pm2-mcp init', () => {
  let home: string;
  const dirs: string[] = [];
  const newProject = async () => {
    const dir = realpathSync(await makeTempDir('pm2mcp-ti-'));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    home = await makeTempDir('pm2mcp-tih-');
  });

  after(async () => {
    await destroyHome(home);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** check and test both pass on what init wrote. */
  async function assertUsable(dir: string): Promise<string> {
    const check = await pm2mcp(['check'], dir, home);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, new RegExp(`^Config: ${join(dir, 'pm2-mcp.config.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    const t = await pm2mcp(['test'], dir, home);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.doesNotMatch(t.stdout, /^not ok/m);
    return t.stdout;
  }

  test('in an empty folder: a strict config with $schema and a starter tests file; check and test pass', async () => {
    const dir = await newProject();
    const r = await pm2mcp(['init'], dir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Wrote pm2-mcp\.config\.json \(extends strict\): 0 ecosystem files, 0 apps\.$/m);
    const config = JSON.parse(readFileSync(join(dir, 'pm2-mcp.config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config, { $schema: './node_modules/pm2-mcp/schemas/pm2-mcp.config.schema.json', extends: 'strict' });
    const out = await assertUsable(dir);
    assert.match(out, /^ok \d+ - kill the pm2 daemon is denied \(rule tools\.pm2_kill_daemon\)$/m);
    assert.match(out, /^ok \d+ - list the processes is allowed/m);
  });

  test('in a project with an ecosystem file: its apps, scripts and names; check and test pass', async () => {
    const dir = await newProject();
    writeFileSync(join(dir, 'package.json'), '{}\n');
    mkdirSync(join(dir, 'apps', 'api'), { recursive: true });
    mkdirSync(join(dir, 'apps', 'jobs'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'api', 'server.js'), IDLE);
    writeFileSync(join(dir, 'apps', 'jobs', 'run.sh'), '#!/bin/sh\nsleep 1000\n');
    writeJson(join(dir, 'ecosystem.config.json'), {
      apps: [
        { name: 'api', script: 'apps/api/server.js', env: { NODE_ENV: 'production', PORT: '3000' } },
        { name: 'jobs', script: 'run.sh', cwd: 'apps/jobs', interpreter: 'bash', namespace: 'batch' },
      ],
    });
    const r = await pm2mcp(['init'], dir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const config = JSON.parse(readFileSync(join(dir, 'pm2-mcp.config.json'), 'utf8')) as { start: Record<string, unknown>; processes: Record<string, unknown> };
    assert.deepEqual(config.start, {
      scripts: ['apps/api/**/*.js', 'apps/jobs/**/*.sh'],
      cwd: ['.', 'apps/jobs'],
      ecosystemFiles: ['ecosystem.config.json'],
      interpreters: ['node', 'bash'],
      env: { allow: ['NODE_ENV', 'PORT'] },
    });
    assert.deepEqual(config.processes, { names: ['api', 'jobs'] });
    const out = await assertUsable(dir);
    for (const line of ['start ecosystem.config.json is allowed', 'restart api is allowed', 'restart jobs is allowed', 'stop every process at once is denied']) {
      assert.match(out, new RegExp(`^ok \\d+ - ${line}`, 'm'));
    }
  });

  test('--preset standard: the preset\'s own globs stand; check and test pass', async () => {
    const dir = await newProject();
    writeFileSync(join(dir, 'server.js'), IDLE);
    writeJson(join(dir, 'ecosystem.json'), { apps: [{ name: 'web', script: 'server.js' }] });
    const r = await pm2mcp(['init', '--preset', 'standard'], dir, home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const config = JSON.parse(readFileSync(join(dir, 'pm2-mcp.config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config, { $schema: './node_modules/pm2-mcp/schemas/pm2-mcp.config.schema.json', extends: 'standard', processes: { names: ['web'] } });
    assert.match(await assertUsable(dir), /^ok \d+ - restart web is allowed/m);
  });

  test('never overwrites: a config or tests file already there, or another config, and nothing is written', async () => {
    const dir = await newProject();
    assert.equal((await pm2mcp(['init'], dir, home)).code, 0);
    const before = readFileSync(join(dir, 'pm2-mcp.config.json'), 'utf8');
    const again = await pm2mcp(['init', '--preset', 'permissive'], dir, home);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stderr, /pm2-mcp\.config\.json, pm2-mcp\.tests\.json exist already .* init never overwrites: nothing was written/);
    assert.equal(readFileSync(join(dir, 'pm2-mcp.config.json'), 'utf8'), before);

    const yaml = await newProject();
    writeFileSync(join(yaml, 'pm2-mcp.config.yaml'), 'extends: readonly\n');
    const shadowed = await pm2mcp(['init'], yaml, home);
    assert.equal(shadowed.code, 1, shadowed.stdout + shadowed.stderr);
    assert.match(shadowed.stderr, /pm2-mcp\.config\.yaml exists already/);
    assert.ok(!existsSync(join(yaml, 'pm2-mcp.config.json')) && !existsSync(join(yaml, 'pm2-mcp.tests.json')));

    const tests = await newProject();
    writeFileSync(join(tests, 'pm2-mcp.tests.yml'), 'cases: []\n');
    assert.equal((await pm2mcp(['init'], tests, home)).code, 1);
    assert.ok(!existsSync(join(tests, 'pm2-mcp.config.json')));
  });
});
