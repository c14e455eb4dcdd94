// When is the working folder a root? judgeRoot over a table of facts (the disk's root, homes,
// system folders, legitimate projects under /srv, /opt, /var/www, /tmp, prefix tricks), then
// rootFacts on real folders (marker kinds, symlinks to / and to the home, HOME unset), and the
// line that serve, check and explain say.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '../../src/commands/load-policy.js';
import { judgeConfigRoot, judgeRoot, PROJECT_MARKERS, refusedConfigRoot, refusedRoot, rootFacts, type RootFacts } from '../../src/config/project-root.js';

const SHARED_WHY = 'every user may write to it (a world-writable or sticky folder)';

const HOMES = ['/home/u'];
const facts = (realCwd: string, markers: string[] = ['package.json'], homes: string[] = HOMES): RootFacts => ({ realCwd, homes, markers });

describe('judgeRoot', () => {
  const cases: Array<{ what: string; facts: RootFacts; why?: string | RegExp; marker?: string }> = [
    // Refused, whatever markers they hold.
    { what: 'the disk\'s root', facts: facts('/', ['package.json', '.git']), why: 'it is the file system\'s root' },
    { what: 'the home folder, a dotfiles repo', facts: facts('/home/u', ['.git']), why: 'it is the home folder' },
    { what: 'a second home ($HOME elsewhere than passwd)', facts: facts('/work/h', ['package.json'], ['/home/u', '/work/h']), why: 'it is the home folder' },
    { what: 'the folder of the homes', facts: facts('/home'), why: 'it holds the home folder /home/u' },
    { what: 'a folder that holds a home deeper down', facts: facts('/data', ['.git'], ['/data/users/u']), why: 'it holds the home folder /data/users/u' },
    { what: 'another user\'s home', facts: facts('/home/bob', ['.git']), why: 'it is a home folder' },
    { what: 'another user\'s home on macOS', facts: facts('/Users/bob', ['.git']), why: 'it is a home folder' },
    { what: 'root\'s home, not ours', facts: facts('/root'), why: /system folder/ },
    { what: '/etc under etckeeper', facts: facts('/etc', ['.git']), why: 'it is a system folder' },
    { what: 'a folder under /etc', facts: facts('/etc/nginx', ['.git']), why: 'it is inside the system folder /etc' },
    { what: '/usr', facts: facts('/usr'), why: /system folder/ },
    { what: '/usr/lib/x', facts: facts('/usr/lib/x'), why: 'it is inside the system folder /usr/lib' },
    { what: 'a global npm package', facts: facts('/usr/lib/node_modules/npm'), why: 'it is inside the system folder /usr/lib' },
    { what: 'a global package under /usr/local', facts: facts('/usr/local/lib/node_modules/pm2'), why: 'it is inside the system folder /usr/local/lib' },
    { what: '/usr/share/x', facts: facts('/usr/share/doc/x', ['.git']), why: 'it is inside the system folder /usr/share' },
    { what: 'Homebrew, a git checkout', facts: facts('/opt/homebrew', ['.git']), why: 'it is a system folder' },
    { what: '/tmp itself', facts: facts('/tmp'), why: /system folder/ },
    { what: '/var/tmp itself', facts: facts('/var/tmp'), why: /system folder/ },
    { what: '/srv itself', facts: facts('/srv', ['.git']), why: /system folder/ },
    { what: '/opt itself', facts: facts('/opt'), why: /system folder/ },
    { what: '/var itself', facts: facts('/var'), why: /system folder/ },
    { what: '/var/www itself', facts: facts('/var/www'), why: /system folder/ },
    { what: 'a folder under /var/log', facts: facts('/var/log/app'), why: 'it is inside the system folder /var/log' },
    { what: 'a process\'s folder in /proc', facts: facts('/proc/1/root'), why: 'it is inside the system folder /proc' },
    { what: '/sys', facts: facts('/sys/kernel'), why: 'it is inside the system folder /sys' },
    { what: 'shared memory', facts: facts('/dev/shm/x'), why: 'it is inside the system folder /dev' },
    { what: 'a runtime folder', facts: facts('/run/user/1000/x'), why: 'it is inside the system folder /run' },
    { what: '/boot', facts: facts('/boot/efi'), why: 'it is inside the system folder /boot' },
    { what: '/lib64', facts: facts('/lib64'), why: 'it is a system folder' },
    { what: 'a mounted disk (WSL\'s C:)', facts: facts('/mnt/c', ['.git']), why: 'it is a mounted disk' },
    { what: 'macOS /tmp (/private/tmp)', facts: facts('/private/tmp'), why: /system folder/ },
    { what: 'macOS /etc (/private/etc)', facts: facts('/private/etc/x', ['.git']), why: 'it is inside the system folder /etc' },
    { what: 'macOS /private itself', facts: facts('/private'), why: /system folder/ },
    { what: 'a folder with nothing', facts: facts('/srv/app', []), why: 'it holds no package.json, .git or ecosystem.config.* file' },
    { what: 'a temp folder with nothing', facts: facts('/tmp/x', []), why: /holds no package\.json/ },
    // A folder every user may write to (world-writable or sticky) is no root, whatever it holds.
    { what: 'a world-writable project folder', facts: { ...facts('/data/app', ['package.json', '.git']), shared: true }, why: SHARED_WHY },
    { what: 'a sticky folder outside the known ones', facts: { ...facts('/scratch'), shared: true }, why: SHARED_WHY },
    { what: '/tmp itself, which is shared too: the system-folder reason is said', facts: { ...facts('/tmp'), shared: true }, why: /system folder/ },
    // Projects.
    { what: '/tmp/proj with a package.json', facts: facts('/tmp/proj'), marker: 'package.json' },
    { what: '/srv/app with a .git', facts: facts('/srv/app', ['.git']), marker: '.git' },
    { what: '/opt/app', facts: facts('/opt/app'), marker: 'package.json' },
    { what: '/var/www/app', facts: facts('/var/www/app'), marker: 'package.json' },
    { what: 'the Docker guide\'s /usr/src/app', facts: facts('/usr/src/app'), marker: 'package.json' },
    { what: 'only an ecosystem file', facts: facts('/srv/app', ['ecosystem.config.json']), marker: 'ecosystem.config.json' },
    { what: 'a project in the home', facts: facts('/home/u/code/app', ['.git']), marker: '.git' },
    { what: 'a project on a mounted disk', facts: facts('/mnt/c/code/app'), marker: 'package.json' },
    { what: 'a Jenkins workspace under its home', facts: facts('/var/lib/jenkins/workspace/app', ['.git'], ['/var/lib/jenkins']), marker: '.git' },
    { what: 'a macOS temp folder', facts: facts('/private/var/folders/ab/T/proj'), marker: 'package.json' },
    { what: 'shared: false is the default', facts: { ...facts('/srv/app'), shared: false }, marker: 'package.json' },
    { what: 'no home known (HOME unset, no passwd entry)', facts: facts('/tmp/proj', ['package.json'], []), marker: 'package.json' },
    { what: 'a daemon user whose home is /', facts: facts('/srv/app', ['package.json'], ['/']), marker: 'package.json' },
    // Prefix tricks: a name that starts like a refused folder is not inside it.
    { what: '/etcetera is not /etc', facts: facts('/etcetera/app'), marker: 'package.json' },
    { what: '/usr/library is not /usr/lib', facts: facts('/usr/library/app'), marker: 'package.json' },
    { what: '/home/u2/app is not in /home/u', facts: facts('/home/u2/app'), marker: 'package.json' },
    { what: '/tmpfoo is not /tmp', facts: facts('/tmpfoo/app'), marker: 'package.json' },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const verdict = judgeRoot(c.facts);
      if (c.marker !== undefined) {
        assert.deepEqual(verdict, { project: true, marker: c.marker });
      } else {
        assert.equal(verdict.project, false, `${c.facts.realCwd} was taken as a project`);
        if (!verdict.project) {
          if (typeof c.why === 'string') assert.equal(verdict.why, c.why);
          else assert.match(verdict.why, c.why!);
        }
      }
    });
  }
});

// The folder of a config file is its owner's explicit choice of root: only the disk's root and a
// folder every user may write to are refused (the home, a folder with no marker, /etc are not).
describe('judgeConfigRoot', () => {
  const cases: Array<[what: string, dir: string, shared: boolean, why: string | undefined]> = [
    ['the disk\'s root', '/', false, 'it is the file system\'s root'],
    ['/tmp (sticky, world-writable)', '/tmp', true, SHARED_WHY],
    ['/dev/shm', '/dev/shm', true, SHARED_WHY],
    ['a world-writable project folder', '/data/app', true, SHARED_WHY],
    ['the home folder', '/home/u', false, undefined],
    ['a folder with no project marker', '/srv/agents', false, undefined],
    ['a project under /tmp', '/tmp/proj', false, undefined],
  ];
  for (const [what, dir, shared, why] of cases) {
    test(`${what}: ${why === undefined ? 'a root' : 'refused'}`, () => assert.equal(judgeConfigRoot(dir, shared), why));
  }
});

describe('refusedRoot: the line that is said', () => {
  test('names the folder, why, that readonly is served, and the three ways out', () => {
    assert.equal(
      refusedRoot(facts('/')),
      'the working folder / is not a project root (it is the file system\'s root), so pm2-mcp serves the readonly preset. ' +
        'To manage processes, run pm2-mcp from the project\'s folder (one with a package.json, .git or ecosystem.config.* file), add a pm2-mcp.config.json, or pass --config FILE.',
    );
  });
  test('an explicit --policy other than readonly is overridden, and says so', () => {
    for (const p of ['standard', 'strict', 'permissive']) {
      assert.match(refusedRoot(facts('/home/u'), p)!, new RegExp(`readonly preset instead of --policy ${p} \\(a preset grants powers relative to a root, and there is none\\)`));
    }
  });
  test('nothing to say for a project, or when readonly was asked for', () => {
    assert.equal(refusedRoot(facts('/srv/app')), undefined);
    assert.equal(refusedRoot(facts('/'), 'readonly'), undefined);
  });
  test('the compiled policy carries the refusal, and only when there was one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm2-mcp-root-of-'));
    try {
      const refused = await loadPolicy({ cwd: dir });
      assert.equal(refused.preset, 'readonly');
      assert.match(refused.rootRefused!, /holds no package\.json/);
      writeFileSync(join(dir, 'package.json'), '{}');
      const project = await loadPolicy({ cwd: dir });
      assert.equal(project.preset, 'standard');
      assert.equal(project.rootRefused, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rootFacts on real folders', () => {
  let tmp = '';
  let n = 0;
  before(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-root-')));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** A folder holding `files` (a name ending in / is a folder), with HOME elsewhere. */
  const folder = (files: string[]): string => {
    const dir = join(tmp, `f${n++}`);
    mkdirSync(dir);
    for (const f of files) {
      if (f.endsWith('/')) mkdirSync(join(dir, f));
      else writeFileSync(join(dir, f), '{}');
    }
    return dir;
  };
  const env = { HOME: '/nonexistent-home' };

  const markerCases: Array<[what: string, files: string[], project: boolean]> = [
    ['package.json', ['package.json'], true],
    ['a .git folder', ['.git/'], true],
    ['a .git file (worktree, submodule)', ['.git'], true],
    ...PROJECT_MARKERS.filter((m) => m.name.startsWith('ecosystem.')).map((m): [string, string[], boolean] => [`only ${m.name}`, [m.name], true]),
    ['nothing at all', [], false],
    ['only *.config.js files', ['vite.config.js', 'app.config.js', 'pm2.config.js'], false],
    ['ecosystem.json, not the conventional name', ['ecosystem.json'], false],
    ['a folder named package.json', ['package.json/'], false],
    ['a folder named ecosystem.config.js', ['ecosystem.config.js/'], false],
  ];
  for (const [what, files, project] of markerCases) {
    test(`${what}: ${project ? 'a project' : 'not a project'}`, () => {
      const dir = folder(files);
      assert.equal(judgeRoot(rootFacts(dir, env)).project, project);
    });
  }

  test('a package.json that is a dangling symlink is no marker', () => {
    const dir = folder([]);
    symlinkSync(join(dir, 'gone.json'), join(dir, 'package.json'));
    assert.equal(judgeRoot(rootFacts(dir, env)).project, false);
  });

  test('a symlink to / is judged as / (by its real path)', () => {
    const dir = folder([]);
    symlinkSync('/', join(dir, 'to-root'));
    const f = rootFacts(join(dir, 'to-root'), env);
    assert.equal(f.realCwd, '/');
    assert.deepEqual(judgeRoot(f), { project: false, why: 'it is the file system\'s root' });
  });

  test('a symlink to $HOME, through a symlinked HOME, is the home folder', () => {
    const home = folder(['package.json', '.git/']);
    const homeLink = join(tmp, `home-link${n}`);
    symlinkSync(home, homeLink);
    const link = folder([]);
    symlinkSync(home, join(link, 'proj'));
    const f = rootFacts(join(link, 'proj'), { HOME: homeLink });
    assert.ok(f.homes.includes(home), `homes: ${f.homes.join(', ')}`);
    assert.deepEqual(judgeRoot(f), { project: false, why: 'it is the home folder' });
  });

  test('$HOME and the passwd home are both homes; a relative or empty HOME is ignored', (t) => {
    const passwd = userInfo().homedir;
    if (!existsSync(passwd)) return t.skip(`this user's passwd home ${passwd} does not exist`);
    const homes = rootFacts(tmp, { HOME: tmp }).homes;
    assert.ok(homes.includes(tmp) && homes.includes(realpathSync(passwd)), homes.join(', '));
    assert.equal(judgeRoot(rootFacts(passwd, { HOME: tmp })).project, false, 'the real home is refused with HOME pointing elsewhere');
    for (const HOME of ['relative/home', '']) {
      const some = rootFacts(tmp, { HOME }).homes;
      assert.ok(some.length > 0 && some.every((h) => h.startsWith('/') && !h.endsWith('relative/home')), some.join(', '));
    }
  });

  test('with HOME unset, the home folder os.homedir() finds is still refused', (t) => {
    const saved = process.env.HOME;
    delete process.env.HOME;
    try {
      const home = homedir();
      if (!existsSync(home)) return t.skip(`this user's home ${home} does not exist`);
      assert.deepEqual(judgeRoot(rootFacts(home, {})), { project: false, why: 'it is the home folder' });
    } finally {
      if (saved !== undefined) process.env.HOME = saved;
    }
  });

  for (const mode of [0o777, 0o1777, 0o1755]) {
    test(`a project folder of mode ${mode.toString(8)}: not a root, with or without a config`, () => {
      const dir = folder(['package.json', '.git/']);
      chmodSync(dir, mode);
      assert.deepEqual(judgeRoot(rootFacts(dir, env)), { project: false, why: SHARED_WHY });
      assert.equal(refusedConfigRoot(dir), `its folder ${dir} cannot be the root (${SHARED_WHY}): put the config in the project's own folder`);
      chmodSync(dir, 0o755);
      assert.equal(judgeRoot(rootFacts(dir, env)).project, true);
      assert.equal(refusedConfigRoot(dir), undefined);
    });
  }

  test('a missing working folder throws (as the config search would)', () => {
    assert.throws(() => rootFacts(join(tmp, 'no-such-folder'), env), /ENOENT/);
  });
});
