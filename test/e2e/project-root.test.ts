// An implicit root that is the whole disk, end to end: the built binary with no config file,
// started from `/`, from a folder that is no project, and from the home folder (a project in every
// other way), serves readonly, refuses a start (its canary never appears, no daemon is spawned)
// and tells the client and stderr why; check and explain say it too. From a folder with a
// package.json it serves standard, and the same start runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, CLI, connect, destroyHome, makeTempDir, ROOT, textOf, waitFor, type Session } from '../helpers/harness.js';

const SNAPSHOT = JSON.parse(readFileSync(join(ROOT, 'test', 'snapshots', 'tools-by-preset.json'), 'utf8')) as Record<string, string[]>;
const sorted = (names: string[]) => [...names].sort();

/** Writes its canary, then idles: if the canary exists, the start ran. */
const canaryScript = (canary: string) => `require('fs').writeFileSync(${JSON.stringify(canary)}, 'ran');\nsetInterval(() => {}, 1 << 30);\n`;

function cli(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end();
  });
}

describe('no config file, and a working folder that is no project', () => {
  let tmp: string;
  let noMarkers: string;
  let fakeHome: string;
  let xdg: string;
  const homes: string[] = [];

  before(async () => {
    tmp = realpathSync(await makeTempDir('pm2mcp-root-'));
    xdg = join(tmp, 'xdg'); // no ~/.config/pm2-mcp of this machine is found from `/`
    noMarkers = join(tmp, 'plain');
    mkdirSync(noMarkers);
    writeFileSync(join(noMarkers, 'app.js'), canaryScript(join(tmp, 'canary-plain')));
    // A home that is a project in every other way: a dotfiles repo with a package.json.
    fakeHome = join(tmp, 'home');
    mkdirSync(join(fakeHome, '.git'), { recursive: true });
    writeFileSync(join(fakeHome, 'package.json'), '{ "name": "dotfiles" }\n');
    writeFileSync(join(fakeHome, 'app.js'), canaryScript(join(tmp, 'canary-home')));
    writeFileSync(join(tmp, 'root-app.js'), canaryScript(join(tmp, 'canary-root')));
  });

  after(async () => {
    for (const home of homes) await destroyHome(home);
    await rm(tmp, { recursive: true, force: true });
  });

  const cases = [
    { what: 'cwd /', cwd: () => '/', env: () => ({}), script: () => join(tmp, 'root-app.js'), canary: 'canary-root', why: 'it is the file system\'s root', args: [] as string[] },
    { what: 'cwd / with --policy standard', cwd: () => '/', env: () => ({}), script: () => join(tmp, 'root-app.js'), canary: 'canary-root', why: 'it is the file system\'s root', args: ['--policy', 'standard'] },
    { what: 'a folder with no package.json, .git or ecosystem file', cwd: () => noMarkers, env: () => ({}), script: () => 'app.js', canary: 'canary-plain', why: 'it holds no package.json, .git or ecosystem.config.* file', args: [] },
    { what: 'the home folder ($HOME), though it has a .git and a package.json', cwd: () => fakeHome, env: () => ({ HOME: fakeHome }), script: () => 'app.js', canary: 'canary-home', why: 'it is the home folder', args: [] },
  ];

  for (const c of cases) {
    test(`${c.what}: readonly tools only, a start refused, and the client is told why`, async () => {
      const home = await makeTempDir('pm2mcp-rooth-');
      homes.push(home);
      const cwd = c.cwd();
      let s: Session | undefined;
      try {
        s = await connect({ home, cwd, args: c.args, env: { XDG_CONFIG_HOME: xdg, ...c.env() } });
        const tools = (await s.client.listTools()).tools.map((t) => t.name);
        assert.deepEqual(sorted(tools), sorted(SNAPSHOT.readonly!));

        const r = await call(s.client, 'pm2_start_process', { script: c.script(), name: 'escape' });
        assert.equal(r.isError, true, `the start was not refused: ${textOf(r)}`);
        assert.match(textOf(r), /^POLICY_DENIED: Denied by rule tools\.pm2_start_process/);

        const said = `the working folder ${cwd} is not a project root (${c.why}), so pm2-mcp serves the readonly preset`;
        const notice = await waitFor(() => s!.logs.find((l) => l.startsWith(said)), 'the notice to the client');
        assert.match(notice, /run pm2-mcp from the project's folder .*, add a pm2-mcp\.config\.json, or pass --config FILE\.$/);
        assert.equal(notice.includes('instead of --policy standard'), c.args.includes('standard'), notice);
        const stderr = s.stderr();
        assert.ok(stderr.includes(`pm2-mcp: ${said}`), stderr);
        assert.match(stderr, /policy readonly \(enforce\)/);
      } finally {
        await s?.close();
      }
      assert.ok(!existsSync(join(tmp, c.canary)), 'the refused start ran');
      assert.ok(!existsSync(join(home, 'rpc.sock')), 'readonly spawned a pm2 daemon');
    });
  }

  test('check and explain from / say the root was refused', async () => {
    const home = await makeTempDir('pm2mcp-rooth-');
    homes.push(home);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
    Object.assign(env, { PM2_MCP_HOME: home, XDG_CONFIG_HOME: xdg });
    const said = /^Root refused: the working folder \/ is not a project root \(it is the file system's root\), so pm2-mcp serves the readonly preset instead of --policy permissive/m;

    const checked = await cli(['check', '--policy', 'permissive'], '/', env);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /^Config: none \(preset readonly\)$/m);
    assert.match(checked.stdout, said);

    const explained = await cli(['explain', 'pm2_start_process', JSON.stringify({ script: join(tmp, 'root-app.js') }), '--policy', 'permissive'], '/', env);
    assert.equal(explained.code, 1, `${explained.stdout}\n${explained.stderr}`);
    assert.match(explained.stdout, /^Decision: deny$/m);
    assert.match(explained.stdout, /^Policy: readonly, mode enforce$/m);
    assert.match(explained.stdout, said);
    assert.ok(!existsSync(join(tmp, 'canary-root')));
  });
});

describe('no config file, in a folder with a package.json', () => {
  let home: string;
  let dir: string;
  let s: Session | undefined;

  before(async () => {
    home = await makeTempDir('pm2mcp-rooth-');
    dir = realpathSync(await makeTempDir('pm2mcp-rootp-'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "app" }\n');
    writeFileSync(join(dir, 'app.js'), canaryScript(join(dir, 'canary')));
  });

  after(async () => {
    await s?.close();
    await destroyHome(home);
    await rm(dir, { recursive: true, force: true });
  });

  test('serves standard, says nothing about the root, and a start in it runs', async () => {
    s = await connect({ home, cwd: dir, env: { XDG_CONFIG_HOME: join(dir, 'xdg') } });
    const tools = (await s.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(sorted(tools), sorted(SNAPSHOT.standard!));
    const r = await call(s.client, 'pm2_start_process', { script: 'app.js', name: 'in-project' });
    assert.notEqual(r.isError, true, textOf(r));
    await waitFor(() => existsSync(join(dir, 'canary')), 'the started script\'s canary');
    assert.match(s.stderr(), /policy standard \(enforce\)/);
    assert.ok(!s.stderr().includes('is not a project root'), s.stderr());
    assert.ok(!s.logs.some((l) => l.includes('is not a project root')), s.logs.join('\n'));
  });
});
