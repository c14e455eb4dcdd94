// Where the config search looks, and which files it may adopt: configDistrust over a table of real
// files (owner, mode bits, the folder's mode and owner, symlinks), searchBound on real trees, then
// real searches through loadConfig: a config above the project (no .git) is not adopted, a
// monorepo's is, and a config that another user could have written stops the server.
// Run as root, "another user" is uid 65534 (fs.chownSync on a temp file).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { configDistrust, searchBound, searchDirs } from '../../src/config/config-trust.js';
import { loadConfig, mayFindConfig } from '../../src/config/load.js';
import { configError } from '../helpers/fixtures.js';

const OTHER = 65534;
const ME = process.getuid?.();
const POSIX = ME !== undefined && process.platform !== 'win32';
const AS_ROOT = ME === 0;
/** nogroup: a group other users belong to, for files whose group write bit must count. */
const SHARED_GID = 65534;
/** Is this user's primary group a user private group (named after the user, no other member)? */
const privateGroup = (() => {
  try {
    const gid = String(process.getgid?.());
    const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === gid);
    const [name, , , members = ''] = (line ?? '').split(':');
    return name === userInfo().username && members.split(',').filter(Boolean).every((m) => m === name);
  } catch {
    return false;
  }
})();

let tmp = '';
let n = 0;
let savedXdg: string | undefined;

before(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-search-')));
  savedXdg = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = join(tmp, 'xdg');
});

after(() => {
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
  // A 0777 or 1777 folder left behind is no worry: rm removes it; chmod back what a test locked.
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * A fresh tree: relative path → content (a string or an object as JSON); a name ending in / is a
 * folder. Returns its (real) folder.
 */
function tree(files: Record<string, string | object>): string {
  const dir = join(tmp, `t${n++}`);
  mkdirSync(dir);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    if (rel.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(path, 0o644);
  }
  return dir;
}

const CONFIG = 'pm2-mcp.config.json';

describe('configDistrust: which files may be a config', { skip: !POSIX && 'no POSIX owners and modes here' }, () => {
  // Each case builds its file in a fresh folder and says what to expect: undefined (trusted) or
  // a pattern of the reason. `uid` is the server's user the file is judged for (default: ours).
  const cases: Array<{ what: string; make: (dir: string) => string; uid?: number; why?: RegExp; root?: true }> = [
    { what: 'our own file, 0644, in our own 0755 folder', make: (d) => file(d, 0o644) },
    { what: 'our own file, 0600', make: (d) => file(d, 0o600) },
    { what: 'a read-only file, 0444', make: (d) => file(d, 0o444) },
    { what: 'a file owned by root, judged for another server user', make: (d) => file(d, 0o644), uid: 1000 },
    { what: 'a file and folder of the server user (not root)', root: true, make: (d) => { const f = file(d, 0o644); chownSync(f, OTHER, OTHER); chownSync(d, OTHER, OTHER); return f; }, uid: OTHER },
    { what: 'a file of the server user in a root-owned folder', root: true, make: (d) => { const f = file(d, 0o644); chownSync(f, OTHER, OTHER); return f; }, uid: OTHER },
    { what: 'a file another user owns', root: true, make: (d) => { const f = file(d, 0o644); chownSync(f, OTHER, OTHER); return f; }, why: /^the file is owned by uid 65534, not by root, the user pm2-mcp runs as: a config grants powers, and another user wrote this one$/ },
    { what: 'a root file judged for a server user who is not root nor its owner', root: true, make: (d) => { const f = file(d, 0o644); chownSync(f, OTHER, OTHER); return f; }, uid: 1000, why: /owned by uid 65534, not by uid 1000, the user pm2-mcp runs as, or root/ },
    { what: 'group-writable in the user\'s own private group (umask 002): trusted', make: (d) => file(d, 0o664, process.getgid!()), why: privateGroup ? undefined : /writable by its group/ },
    { what: 'group-writable, 0664', make: (d) => file(d, 0o664), why: /^the file is writable by its group \(mode 0664\): a config grants powers, so only its owner may write it \(chmod go-w .*\)$/ },
    { what: 'writable by every user, 0646', make: (d) => file(d, 0o646), why: /writable by every user \(mode 0646\)/ },
    { what: 'writable by all, 0666', make: (d) => file(d, 0o666), why: /writable by its group and every user \(mode 0666\)/ },
    { what: 'in a world-writable folder (0777)', make: (d) => { const f = file(d, 0o644); chmodSync(d, 0o777); return f; }, why: /^the file is in .*, which is writable by every user \(mode 0777\): keep the config in a folder of your own$/ },
    { what: 'in a folder a shared group may write (0775, group nogroup)', make: (d) => { const f = file(d, 0o644); chmodSync(d, 0o775); chownSync(d, process.getuid!(), SHARED_GID); return f; }, why: /which its group may write to \(mode 0775\): a member can replace the file/ },
    { what: 'in a folder the user\'s private group may write (0775, umask 002)', make: (d) => { const f = file(d, 0o644, process.getgid!()); chmodSync(d, 0o775); chownSync(d, process.getuid!(), process.getgid!()); return f; }, why: privateGroup ? undefined : /its group may write/ },
    { what: 'in a sticky folder like /tmp (1777)', make: (d) => { const f = file(d, 0o644); chmodSync(d, 0o1777); return f; }, why: /which is sticky \(mode 1777\): a shared folder, as \/tmp is/ },
    { what: 'in a sticky folder that only its owner may write (1755)', make: (d) => { const f = file(d, 0o644); chmodSync(d, 0o1755); return f; }, why: /sticky \(mode 1755\)/ },
    { what: 'in a folder another user owns', root: true, make: (d) => { const f = file(d, 0o644); chownSync(d, OTHER, OTHER); return f; }, why: /which is owned by uid 65534: that user can replace the file$/ },
    {
      what: 'below a world-writable folder without the sticky bit',
      make: (d) => { mkdirSync(join(d, 'proj')); const f = file(join(d, 'proj'), 0o644); chmodSync(d, 0o777); return f; },
      why: /is below .*, which is writable by every user and not sticky \(mode 0777\): anyone can put another folder in the place of .*\/proj$/,
    },
    { what: 'below a sticky shared folder (a project under /tmp)', make: (d) => { mkdirSync(join(d, 'proj')); const f = file(join(d, 'proj'), 0o644); chmodSync(d, 0o1777); return f; } },
    { what: 'a symlink to a trusted file', make: (d) => link(d, file(trustedDir(d), 0o644)) },
    { what: 'a symlink in a shared folder to a trusted file (judged by the real file)', make: (d) => { const l = link(d, file(trustedDir(d), 0o644)); chmodSync(d, 0o1777); return l; } },
    { what: 'a symlink to a group-writable file', make: (d) => link(d, file(trustedDir(d), 0o664)), why: /^its real file .*\/real\/pm2-mcp\.config\.json is writable by its group/ },
    { what: 'a symlink to a file in a world-writable folder', make: (d) => { const real = trustedDir(d); const f = file(real, 0o644); chmodSync(real, 0o777); return link(d, f); }, why: /^its real file .* is in .*\/real, which is writable by every user/ },
    { what: 'a symlink to a file another user owns', root: true, make: (d) => { const f = file(trustedDir(d), 0o644); chownSync(f, OTHER, OTHER); return link(d, f); }, why: /^its real file .* is owned by uid 65534/ },
    { what: 'a dangling symlink', make: (d) => link(d, join(d, 'gone.json')), why: /^it cannot be checked \(ENOENT\)$/ },
    { what: 'a folder', make: (d) => { mkdirSync(join(d, CONFIG)); return join(d, CONFIG); }, why: /^the file is not a regular file$/ },
  ];

  function file(dir: string, mode: number, gid = SHARED_GID): string {
    const f = join(dir, CONFIG);
    writeFileSync(f, '{}');
    chmodSync(f, mode);
    // A group write bit matters only for a group others belong to: "nogroup" stands for one.
    chownSync(f, process.getuid!(), gid);
    return f;
  }
  function trustedDir(dir: string): string {
    mkdirSync(join(dir, 'real'));
    return join(dir, 'real');
  }
  function link(dir: string, target: string): string {
    const l = join(dir, 'link.json');
    symlinkSync(target, l);
    return l;
  }

  for (const c of cases) {
    test(`${c.what}: ${c.why === undefined ? 'trusted' : 'refused'}`, { skip: c.root === true && !AS_ROOT && 'chown needs root' }, () => {
      const dir = join(tmp, `d${n++}`);
      mkdirSync(dir, { mode: 0o755 });
      chmodSync(dir, 0o755);
      const f = c.make(dir);
      const why = configDistrust(f, c.uid ?? ME ?? null);
      if (c.why === undefined) assert.equal(why, undefined);
      else assert.match(why ?? '(trusted)', c.why);
    });
  }

  test('no uid (Windows): nothing to judge', () => {
    assert.equal(configDistrust(join(tmp, 'no-such-file'), null), undefined);
  });
});

describe('searchBound: the search stops at the repository', () => {
  test('the nearest folder with a .git (folder or file), cwd included; none: cwd only', () => {
    const dir = tree({ 'repo/.git/': '', 'repo/packages/api/src/': '', 'wt/.git': 'gitdir: /elsewhere\n', 'wt/sub/': '', 'up/p4/': '' });
    assert.equal(searchBound(join(dir, 'repo/packages/api/src')), join(dir, 'repo'));
    assert.equal(searchBound(join(dir, 'repo')), join(dir, 'repo'));
    assert.equal(searchBound(join(dir, 'wt/sub')), join(dir, 'wt'), 'a worktree\'s or submodule\'s .git file');
    assert.equal(searchBound(join(dir, 'up/p4')), join(dir, 'up/p4'));
    assert.deepEqual(searchDirs(join(dir, 'repo/packages/api')), [join(dir, 'repo/packages/api'), join(dir, 'repo/packages'), join(dir, 'repo')]);
    assert.deepEqual(searchDirs(join(dir, 'up/p4')), [join(dir, 'up/p4')]);
  });

  test('never into a shared folder above cwd: a .git planted in /tmp bounds nothing', { skip: !POSIX && 'no POSIX modes here' }, () => {
    const dir = tree({ 'shared/.git/': '', 'shared/proj/src/': '', 'shared/repo/.git/': '', 'shared/repo/src/': '' });
    chmodSync(join(dir, 'shared'), 0o1777);
    assert.equal(searchBound(join(dir, 'shared/proj/src')), join(dir, 'shared/proj/src'));
    assert.equal(searchBound(join(dir, 'shared/repo/src')), join(dir, 'shared/repo'), 'a repository below the shared folder still is one');
    assert.equal(searchBound(join(dir, 'shared')), join(dir, 'shared'), 'cwd itself is looked in (and what is found there is judged)');
  });

  test('never above the home folder: a .git above it makes no repository of a project in it', () => {
    const dir = tree({ '.git/': '', 'home/u/code/app/': '', 'home/v/.git/': '', 'home/v/app/': '' });
    assert.equal(searchBound(join(dir, 'home/u/code/app'), join(dir, 'home/u')), join(dir, 'home/u/code/app'));
    assert.equal(searchBound(join(dir, 'home/v/app'), join(dir, 'home/v')), join(dir, 'home/v'), 'the home\'s own repository (dotfiles) is its owner\'s');
    assert.equal(searchBound(join(dir, 'home/u/code/app'), join(dir, 'elsewhere')), dir, 'outside the home, the .git above counts');
  });
});

describe('the config search', () => {
  test('the review\'s case: a config above a project with no .git is not adopted', async () => {
    const dir = tree({ 'up/pm2-mcp.config.json': { extends: 'standard' }, 'up/hello.js': '', 'up/p4/package.json': { name: 'p4' } });
    const cwd = join(dir, 'up/p4');
    assert.equal(mayFindConfig(cwd), false, 'the fast pre-check looks no higher either');
    const loaded = await loadConfig({ cwd });
    assert.equal(loaded.configFile, undefined);
    assert.equal(loaded.preset, 'standard', 'p4 is a project of its own (its package.json)');
    assert.equal(loaded.root, cwd);
    assert.equal(loaded.rootRefused, undefined);
    const permissive = tree({ 'pm2-mcp.config.json': { extends: 'permissive' }, 'proj/app.js': '' });
    const noProject = await loadConfig({ cwd: join(permissive, 'proj') });
    assert.equal(noProject.preset, 'readonly', 'no config and no project: readonly, not the permissive config above');
  });

  test('a "pm2-mcp" key in a package.json above the project is not adopted either', async () => {
    const dir = tree({ 'package.json': { name: 'x', 'pm2-mcp': { extends: 'permissive' } }, 'p/package.json': { name: 'p' } });
    const loaded = await loadConfig({ cwd: join(dir, 'p') });
    assert.equal(loaded.configFile, undefined);
    assert.equal(loaded.root, join(dir, 'p'));
  });

  test('a monorepo: the repository root\'s config is found from a package folder', async () => {
    const dir = tree({ 'repo/.git/HEAD': 'ref: refs/heads/main\n', 'repo/pm2-mcp.config.json': { extends: 'strict', mode: 'audit' }, 'repo/packages/api/package.json': { name: 'api' } });
    const cwd = join(dir, 'repo/packages/api');
    assert.equal(mayFindConfig(cwd), true);
    const loaded = await loadConfig({ cwd });
    assert.equal(loaded.configFile, join(dir, 'repo', CONFIG));
    assert.equal(loaded.root, join(dir, 'repo'));
    assert.equal(loaded.preset, 'strict');
    assert.equal(loaded.config.mode, 'audit');
  });

  test('a monorepo\'s package.json with the "pm2-mcp" key, and package.jsons without it on the way', async () => {
    const dir = tree({ '.git/': '', 'package.json': { name: 'root', 'pm2-mcp': { extends: 'strict' } }, 'packages/package.json': { name: 'x' }, 'packages/api/package.json': { name: 'api' } });
    if (AS_ROOT) chownSync(join(dir, 'packages/package.json'), OTHER, OTHER); // not a config: not judged
    const loaded = await loadConfig({ cwd: join(dir, 'packages/api') });
    assert.equal(loaded.configFile, join(dir, 'package.json'));
    assert.equal(loaded.preset, 'strict');
  });

  test('a config above the repository root is not adopted; a nested repository (submodule) is its own bound', async () => {
    const dir = tree({ 'pm2-mcp.config.json': { extends: 'permissive' }, 'repo/.git/': '', 'repo/package.json': {}, 'repo/sub/.git': 'gitdir: ../.git/modules/sub\n', 'repo/sub/src/': '' });
    const atRepo = await loadConfig({ cwd: join(dir, 'repo') });
    assert.equal(atRepo.configFile, undefined);
    assert.equal(atRepo.preset, 'standard');
    writeFileSync(join(dir, 'repo', CONFIG), JSON.stringify({ extends: 'strict' }), { mode: 0o644 });
    assert.equal((await loadConfig({ cwd: join(dir, 'repo/sub/src') })).configFile, undefined, 'the superproject\'s config is above the submodule');
    assert.equal((await loadConfig({ cwd: join(dir, 'repo/sub') })).configFile, undefined);
  });

  test('the user\'s config folder is still searched (~/.config/pm2-mcp)', async () => {
    const xdg = join(tmp, 'xdg', 'pm2-mcp');
    mkdirSync(xdg, { recursive: true });
    try {
      writeFileSync(join(xdg, 'config.json'), JSON.stringify({ extends: 'strict', mode: 'audit' }));
      chmodSync(join(xdg, 'config.json'), 0o644);
      const dir = tree({ 'package.json': {} });
      assert.equal(mayFindConfig(dir), true);
      const loaded = await loadConfig({ cwd: dir });
      assert.equal(loaded.configFile, join(xdg, 'config.json'));
      assert.equal(loaded.preset, 'strict');
    } finally {
      rmSync(xdg, { recursive: true, force: true });
    }
  });

  describe('a config another user could have written stops the server', { skip: !POSIX && 'no POSIX owners and modes here' }, () => {
    test('a config in a world-writable folder: refused, with the file and why', async () => {
      const dir = tree({ 'shared/.git/': '', 'shared/pm2-mcp.config.json': { extends: 'permissive' }, 'shared/app.js': '' });
      chmodSync(join(dir, 'shared'), 0o777);
      const err = await configError(loadConfig({ cwd: join(dir, 'shared') }));
      assert.equal(err.file, join(dir, 'shared', CONFIG));
      assert.deepEqual(err.problems, [`not a config pm2-mcp can trust: the file is in ${join(dir, 'shared')}, which is writable by every user (mode 0777): keep the config in a folder of your own`]);
      assert.equal(err.message, `Invalid config ${join(dir, 'shared', CONFIG)}:\n  - ${err.problems[0]}`);
    });

    test('a .git and a config planted in a shared folder above the project: not looked at', { skip: !AS_ROOT && 'chown needs root' }, async () => {
      const dir = tree({ 'shared/.git/': '', 'shared/pm2-mcp.config.json': { extends: 'permissive' }, 'shared/proj/package.json': { name: 'proj' } });
      chownSync(join(dir, 'shared/pm2-mcp.config.json'), OTHER, OTHER);
      chmodSync(join(dir, 'shared'), 0o1777);
      const cwd = join(dir, 'shared/proj');
      assert.equal(mayFindConfig(cwd), false);
      const loaded = await loadConfig({ cwd });
      assert.equal(loaded.configFile, undefined, 'neither adopted nor a reason to refuse to start');
      assert.equal(loaded.preset, 'standard');
      assert.equal(loaded.root, cwd);
    });

    test('a .pm2-mcprc or a package.json key in a sticky folder (as /tmp): refused', async () => {
      for (const [name, content] of [['.pm2-mcprc', 'extends: permissive\n'], ['package.json', { name: 'x', 'pm2-mcp': { extends: 'permissive' } }]] as const) {
        const dir = tree({ [name]: content });
        chmodSync(dir, 0o1777);
        const err = await configError(loadConfig({ cwd: dir }));
        assert.equal(err.file, join(dir, name));
        assert.match(err.problems[0]!, /^not a config pm2-mcp can trust: the file is in .*, which is sticky \(mode 1777\)/);
      }
    });

    test('a JS config that is not trusted is not run', async () => {
      const canary = join(tmp, `canary-${n++}`);
      const dir = tree({ '.git/': '', 'pm2-mcp.config.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(canary)}, 'ran');\nexport default {};\n` });
      chmodSync(join(dir, 'pm2-mcp.config.mjs'), 0o666);
      const err = await configError(loadConfig({ cwd: dir }));
      assert.match(err.problems[0]!, /writable by its group and every user \(mode 0666\)/);
      assert.equal(existsSync(canary), false, 'the config ran');
    });

    test('--config of a group-writable file: refused', async () => {
      const dir = tree({ 'conf/agents.json': { extends: 'permissive' } });
      chmodSync(join(dir, 'conf/agents.json'), 0o664);
      chownSync(join(dir, 'conf/agents.json'), process.getuid!(), SHARED_GID);
      const err = await configError(loadConfig({ cwd: dir, configFile: 'conf/agents.json' }));
      assert.equal(err.file, join(dir, 'conf/agents.json'));
      assert.deepEqual(err.problems, [`not a config pm2-mcp can trust: the file is writable by its group (mode 0664): a config grants powers, so only its owner may write it (chmod go-w ${join(dir, 'conf/agents.json')})`]);
      chmodSync(join(dir, 'conf/agents.json'), 0o644);
      assert.equal((await loadConfig({ cwd: dir, configFile: 'conf/agents.json' })).preset, 'permissive');
    });

    test('--config of a file another user owns: refused', { skip: !AS_ROOT && 'chown needs root' }, async () => {
      const dir = tree({ 'agents.json': { extends: 'permissive' } });
      chownSync(join(dir, 'agents.json'), OTHER, OTHER);
      const err = await configError(loadConfig({ cwd: '/', configFile: join(dir, 'agents.json') }));
      assert.match(err.problems[0]!, /the file is owned by uid 65534/);
    });

    test('every file of the extends chain is judged; the error names that file', async () => {
      const dir = tree({ '.git/': '', 'pm2-mcp.config.json': { extends: '../base/base.json' } });
      const base = join(dirname(dir), `base`);
      mkdirSync(base, { recursive: true });
      writeFileSync(join(base, 'base.json'), JSON.stringify({ extends: 'permissive' }));
      chmodSync(join(base, 'base.json'), 0o646);
      const err = await configError(loadConfig({ cwd: dir }));
      assert.equal(err.file, join(base, 'base.json'));
      assert.match(err.problems[0]!, /writable by every user \(mode 0646\)/);
      chmodSync(join(base, 'base.json'), 0o644);
      assert.equal((await loadConfig({ cwd: dir })).preset, 'permissive');
    });

    test('a symlink in a shared folder to a trusted file: the file is trusted, the folder is no root', async () => {
      const dir = tree({ 'mine/agents.json': { extends: 'permissive' }, 'shared/': '' });
      symlinkSync(join(dir, 'mine/agents.json'), join(dir, 'shared', CONFIG));
      chmodSync(join(dir, 'shared'), 0o1777);
      const err = await configError(loadConfig({ cwd: join(dir, 'shared') }));
      assert.equal(err.file, join(dir, 'shared', CONFIG));
      assert.deepEqual(err.problems, [`its folder ${join(dir, 'shared')} cannot be the root (every user may write to it (a world-writable or sticky folder)): put the config in the project's own folder`]);
      // The same file through a link in a folder of our own is fine.
      const own = tree({});
      symlinkSync(join(dir, 'mine/agents.json'), join(own, CONFIG));
      const loaded = await loadConfig({ cwd: own });
      assert.equal(loaded.preset, 'permissive');
      assert.equal(loaded.root, own);
    });

    test('a symlink to an untrusted file: judged by the real file', async () => {
      const dir = tree({ 'real/agents.json': { extends: 'permissive' }, 'proj/': '' });
      chmodSync(join(dir, 'real/agents.json'), 0o666);
      symlinkSync(join(dir, 'real/agents.json'), join(dir, 'proj', CONFIG));
      const err = await configError(loadConfig({ cwd: join(dir, 'proj') }));
      assert.equal(err.file, join(dir, 'proj', CONFIG));
      assert.match(err.problems[0]!, new RegExp(`^not a config pm2-mcp can trust: its real file ${join(dir, 'real/agents.json')} is writable`));
    });

    test('the home folder with its own config stays a root', async () => {
      const home = tree({ [CONFIG]: { extends: 'strict' } });
      const saved = process.env.HOME;
      process.env.HOME = home;
      try {
        const loaded = await loadConfig({ cwd: home });
        assert.equal(loaded.root, home);
        assert.equal(loaded.preset, 'strict');
      } finally {
        if (saved === undefined) delete process.env.HOME;
        else process.env.HOME = saved;
      }
    });
  });

  test('a cosmiconfig meta config cannot widen the search past the bound', async () => {
    const dir = tree({ [CONFIG]: { extends: 'permissive' }, 'proj/package.json': { name: 'p' }, 'proj/.config/config.json': { cosmiconfig: { stopDir: '/' } } });
    const cwd = join(dir, 'proj');
    const before = process.cwd();
    // An empty user config folder: the pre-check says a config may be found, so cosmiconfig runs.
    const xdg = join(tmp, 'xdg', 'pm2-mcp');
    mkdirSync(xdg, { recursive: true });
    // cosmiconfig reads its meta config from the process's working folder.
    process.chdir(cwd);
    try {
      // The meta config is never read, so the search stays in the bound: the parent's config is not found.
      const loaded = await loadConfig({ cwd });
      assert.equal(loaded.configFile, undefined);
      assert.equal(loaded.root, realpathSync(cwd));
    } finally {
      process.chdir(before);
      rmSync(xdg, { recursive: true, force: true });
    }
  });
});

describe('cosmiconfig\'s meta config in the working folder never governs', () => {
  test('.config/config.{json,js} and a "cosmiconfig" key neither replace the committed config nor run', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-meta-')));
    const canary = join(dir, 'canary');
    const previous = process.cwd();
    try {
      mkdirSync(join(dir, '.git'));
      mkdirSync(join(dir, '.config'));
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', cosmiconfig: { searchPlaces: ['docs/notes.json'] } }));
      writeFileSync(join(dir, 'pm2-mcp.config.json'), '{ "extends": "strict" }\n');
      writeFileSync(join(dir, 'docs', 'notes.json'), '{ "extends": "permissive" }\n');
      writeFileSync(join(dir, '.config', 'config.json'), '{ "pm2-mcp": { "extends": "permissive" } }\n');
      writeFileSync(join(dir, '.config', 'config.js'), `require('fs').writeFileSync(${JSON.stringify(canary)}, 'ran'); module.exports = {};\n`);
      for (const f of ['package.json', 'pm2-mcp.config.json', 'docs/notes.json', '.config/config.json', '.config/config.js']) chmodSync(join(dir, f), 0o644);
      // cosmiconfig looks for its meta config in the process's working folder.
      process.chdir(dir);
      for (const configFile of [undefined, join(dir, 'pm2-mcp.config.json')]) {
        const loaded = await loadConfig({ cwd: dir, ...(configFile ? { configFile } : {}) });
        assert.equal(loaded.preset, 'strict');
        assert.equal(loaded.configFile, join(dir, 'pm2-mcp.config.json'));
      }
      assert.equal(existsSync(canary), false, 'the meta config ran');
    } finally {
      process.chdir(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
