// The config loader: schema validation messages (tables of bad configs), the search, the extends
// chain and its merge, --config and --policy, and `pm2-mcp check`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../../src/commands/check.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { mergeConfigs } from '../../src/config/merge.js';
import { isPresetName, packageRoot, presetFile, withPresetTools } from '../../src/config/presets.js';
import { type Pm2McpConfig } from '../../src/model/config.js';
import { PRESET_NAMES, TOOL_NAMES } from '../../src/model/tools.js';
import { isValidGlob, isValidNameGlob, jsonPath, validateConfig } from '../../src/config/validate.js';
import { configError } from '../helpers/fixtures.js';
import { assertSnapshot } from '../helpers/snapshot.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SNAPSHOT = join(ROOT, 'test', 'snapshots', 'config-errors.txt');
const TYPES_URL = new URL('../../src/model/config.js', import.meta.url).href;

const TOP_KEYS = '$schema, extends, mode, tools, start, processes, output, logs, audit, http, reads, limits';
const START_KEYS = 'scripts, scriptsExclude, cwd, interpreters, interpreterArgs, ecosystemFiles, env, logFiles, maxInstances, maxWaitMs, watch, ask, runWith';

let tmp = '';
let savedXdg: string | undefined;
let counter = 0;

before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'pm2-mcp-config-')));
  // cosmiconfig's 'global' search ends in the user's config folder (~/.config/pm2-mcp): keep a
  // real one on this machine out of the tests.
  savedXdg = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = join(tmp, 'xdg');
});

after(async () => {
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A fresh folder for one test, with files written from a map of relative path → content. */
async function project(files: Record<string, string | object>): Promise<string> {
  const dir = join(tmp, `p${counter++}`);
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const file = join(dir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    // A config must not be group-writable (config-trust.ts), whatever this machine's umask.
    await chmod(file, 0o644);
  }
  return dir;
}

/** A preset as the loader gives it: its file, with the catalog's tools, without $schema. */
function presetData(name: (typeof PRESET_NAMES)[number]): Pm2McpConfig {
  const { $schema: _schema, ...rest } = JSON.parse(readFileSync(join(ROOT, 'policies', `${name}.json`), 'utf8')) as Pm2McpConfig;
  return withPresetTools(name, rest);
}

const presetLabel = (name: (typeof PRESET_NAMES)[number]) => `preset ${name} (${presetFile(name)})`;

describe('presets', () => {
  test('packageRoot is the folder of pm2-mcp package.json; presetFile points into policies/', () => {
    assert.equal(packageRoot(), ROOT);
    assert.equal(presetFile('strict'), join(ROOT, 'policies', 'strict.json'));
    assert.ok(isPresetName('readonly'));
    assert.ok(!isPresetName('./readonly'));
    assert.ok(!isPresetName(undefined));
  });

  test('every file in policies/ is a preset and validates with no problem', () => {
    const files = readdirSync(join(ROOT, 'policies')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.map((f) => f.replace(/\.json$/, '')).sort(), [...PRESET_NAMES].sort());
    for (const f of files) {
      const data: unknown = JSON.parse(readFileSync(join(ROOT, 'policies', f), 'utf8'));
      assert.deepEqual(validateConfig(data, f), [], f);
    }
  });

  test('no preset file lists tools: the tool catalog does (src/model/tools.ts)', () => {
    for (const name of PRESET_NAMES) {
      const data = JSON.parse(readFileSync(presetFile(name), 'utf8')) as object;
      assert.ok(!Object.hasOwn(data, 'tools'), `policies/${name}.json has "tools"`);
    }
  });

  test('the schema knows exactly the tools of TOOL_NAMES', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'pm2-mcp.config.schema.json'), 'utf8')) as { properties: { tools: { properties: object } } };
    assert.deepEqual(Object.keys(schema.properties.tools.properties), [...TOOL_NAMES]);
  });
});

describe('validateConfig', () => {
  const cases: Array<{ name: string; config: unknown; problems: string[] }> = [
    { name: 'not an object: array', config: [], problems: ['(root): expected an object, got an array'] },
    { name: 'not an object: string', config: 'strict', problems: ['(root): expected an object, got a string'] },
    { name: 'not an object: null', config: null, problems: ['(root): expected an object, got null'] },
    { name: 'unknown top-level key', config: { moed: 'audit' }, problems: [`moed: unknown key (expected one of ${TOP_KEYS})`] },
    { name: 'unknown nested key', config: { start: { scirpts: [] } }, problems: [`start.scirpts: unknown key (expected one of ${START_KEYS})`] },
    { name: 'unknown key deeper', config: { start: { env: { allowed: [] } } }, problems: ['start.env.allowed: unknown key (expected one of allow, deny, passThrough)'] },
    { name: 'a key that is no identifier', config: { 'my key': 1 }, problems: [`["my key"]: unknown key (expected one of ${TOP_KEYS})`] },
    { name: '$import is not ours', config: { $import: './base.json' }, problems: [`$import: unknown key (expected one of ${TOP_KEYS})`] },
    { name: 'array where a list is expected', config: { start: { scripts: 'apps/*.js' } }, problems: ['start.scripts: expected an array, got a string'] },
    { name: 'object expected', config: { processes: ['api'] }, problems: ['processes: expected an object, got an array'] },
    { name: 'boolean expected', config: { output: { redactEnv: 'yes' } }, problems: ['output.redactEnv: expected a boolean, got a string'] },
    { name: 'integer expected', config: { start: { maxInstances: 2.5 } }, problems: ['start.maxInstances: expected an integer, got a number'] },
    { name: 'string item expected', config: { start: { cwd: [1] } }, problems: ['start.cwd[0]: expected a string, got an integer'] },
    { name: 'bad mode', config: { mode: 'dryrun' }, problems: ['mode: expected one of "enforce", "audit", got "dryrun"'] },
    { name: 'bad tool effect', config: { tools: { pm2_dump: 'yes' } }, problems: ['tools.pm2_dump: expected one of "allow", "deny", "ask", got "yes"'] },
    { name: 'tool effect of the wrong type', config: { tools: { pm2_dump: true } }, problems: ['tools.pm2_dump: expected one of "allow", "deny", "ask", got true'] },
    { name: 'unknown tool name', config: { tools: { pm2_restart: 'allow' } }, problems: [`tools.pm2_restart: unknown key (expected one of ${TOOL_NAMES.join(', ')})`] },
    { name: 'unclosed brace', config: { start: { scripts: ['apps/{a'] } }, problems: ['start.scripts[0]: "apps/{a" is not a valid glob'] },
    { name: 'unclosed brace in a list', config: { start: { scripts: ['apps/*.js', 'apps/{a,b'] } }, problems: ['start.scripts[1]: "apps/{a,b" is not a valid glob'] },
    { name: 'stray closing brace', config: { start: { ecosystemFiles: ['eco}.json'] } }, problems: ['start.ecosystemFiles[0]: "eco}.json" is not a valid glob'] },
    { name: 'unclosed bracket', config: { start: { cwd: ['[abc'] } }, problems: ['start.cwd[0]: "[abc" is not a valid glob'] },
    { name: 'stray closing bracket', config: { start: { interpreters: ['node]'] } }, problems: ['start.interpreters[0]: "node]" is not a valid glob'] },
    { name: 'NUL byte', config: { start: { logFiles: ['logs/a\0b.log'] } }, problems: ['start.logFiles[0]: "logs/a\\u0000b.log" is not a valid glob'] },
    { name: 'empty glob', config: { start: { scripts: [''] } }, problems: ['start.scripts[0]: expected a non-empty string'] },
    { name: 'name glob with /', config: { processes: { names: ['api/*'] } }, problems: ['processes.names[0]: "api/*" is not a valid name glob (a name has no "/")'] },
    { name: 'env name glob with /', config: { start: { env: { deny: ['A/B'] } } }, problems: ['start.env.deny[0]: "A/B" is not a valid name glob (a name has no "/")'] },
    { name: 'malformed name glob', config: { processes: { namespaces: ['dev-[1'] } }, problems: ['processes.namespaces[0]: "dev-[1" is not a valid name glob (name globs know * and ? only)'] },
    { name: 'passThrough must be a variable name', config: { start: { env: { passThrough: ['MY-VAR'] } } }, problems: ['start.env.passThrough[0]: expected a string matching /^[A-Za-z_][A-Za-z0-9_]*$/'] },
    { name: 'maxInstances 0', config: { start: { maxInstances: 0 } }, problems: ['start.maxInstances: expected at least 1, got 0'] },
    { name: 'maxInstances 65', config: { start: { maxInstances: 65 } }, problems: ['start.maxInstances: expected at most 64, got 65'] },
    { name: 'maxLines 5000', config: { logs: { maxLines: 5000 } }, problems: ['logs.maxLines: expected at most 1000, got 5000'] },
    { name: 'audit maxBytes too small', config: { audit: { maxBytes: 10 } }, problems: ['audit.maxBytes: expected at least 1024, got 10'] },
    { name: 'empty extends', config: { extends: '' }, problems: ['extends: expected a non-empty string'] },
    {
      name: 'bad sha256 (the value is not echoed)',
      config: { http: { tokens: [{ name: 'ci', sha256: 'my-secret-token' }] } },
      problems: ['http.tokens[0].sha256: expected a string matching /^[0-9a-f]{64}$/'],
    },
    { name: 'token without sha256', config: { http: { tokens: [{ name: 'ci' }] } }, problems: ['http.tokens[0]: missing required key "sha256"'] },
    {
      name: 'token with an unknown key',
      config: { http: { tokens: [{ name: 'ci', sha256: 'a'.repeat(64), scope: 'x' }] } },
      problems: ['http.tokens[0].scope: unknown key (expected one of name, sha256, extends)'],
    },
    { name: 'a long bad value is cut short', config: { mode: 'x'.repeat(200) }, problems: [`mode: expected one of "enforce", "audit", got "${'x'.repeat(76)}…`] },
  ];

  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(validateConfig(c.config, 'test.json'), c.problems);
    });
  }

  test('valid configs have no problems', () => {
    const ok: Pm2McpConfig[] = [
      {},
      { $schema: './schema.json', extends: 'strict', mode: 'audit', tools: { pm2_dump: 'allow' } },
      { start: { scripts: ['apps/**/*.js', '{a,b}/*.js', '[abc].js', '[!x]*.sh', '[]]x', '\\{literal', '.'], cwd: ['.', './**'] } },
      { start: { env: { allow: ['APP_*', 'PORT'], deny: ['*_TOKEN', 'A?_*'], passThrough: ['PATH'] } } },
      { processes: { names: ['api', 'worker-*'], namespaces: ['dev'], allowAll: false } },
      { http: { tokens: [{ name: 'ci', sha256: 'a'.repeat(64), extends: 'readonly' }] } },
    ];
    for (const c of ok) assert.deepEqual(validateConfig(c, 'ok.json'), [], JSON.stringify(c));
  });

  test('all problems at once: three problems, three lines', () => {
    const problems = validateConfig({ mode: 'dryrun', start: { scirpts: [], maxInstances: 0 } }, 'x.json');
    assert.equal(problems.length, 3);
    assert.deepEqual(problems, [
      'mode: expected one of "enforce", "audit", got "dryrun"',
      `start.scirpts: unknown key (expected one of ${START_KEYS})`,
      'start.maxInstances: expected at least 1, got 0',
    ]);
  });

  test('the same problem is reported once', () => {
    const problems = validateConfig({ start: { scripts: ['[a', '[a'] } }, 'x.json');
    assert.deepEqual(problems, ['start.scripts[0]: "[a" is not a valid glob', 'start.scripts[1]: "[a" is not a valid glob']);
  });

  test('glob and name-glob formats', () => {
    for (const p of ['*', '**', '/**', 'apps/*.js', '{a,b}', '[{]', '\\[', '[]]']) assert.ok(isValidGlob(p), p);
    for (const p of ['', 'a\0', '{', '}', '[', ']', '[]', '{a,[b}', 'a{b{c}']) assert.ok(!isValidGlob(p), p);
    assert.ok(isValidNameGlob('worker-*'));
    assert.ok(!isValidNameGlob('a/b'));
  });

  test('json paths', () => {
    assert.equal(jsonPath(''), '(root)');
    assert.equal(jsonPath('/start/scripts/2'), 'start.scripts[2]');
    assert.equal(jsonPath('/http/tokens/0', 'sha256'), 'http.tokens[0].sha256');
    assert.equal(jsonPath('/a~1b'), '["a/b"]');
  });
});

describe('mergeConfigs', () => {
  test('objects merge, arrays and scalars replace, extends and $schema are dropped', () => {
    const base: Pm2McpConfig = { $schema: 's', mode: 'enforce', start: { scripts: ['a', 'b'], cwd: ['.'], env: { allow: ['X'], deny: ['Y'] } }, logs: { maxLines: 10 } };
    const over: Pm2McpConfig = { extends: './base.json', mode: 'audit', start: { scripts: ['c'], env: { deny: [] } } };
    assert.deepEqual(mergeConfigs(base, over), {
      mode: 'audit',
      // Deny lists accumulate: extending never drops one of the base's refusals.
      start: { scripts: ['c'], cwd: ['.'], env: { allow: ['X'], deny: ['Y'] } },
      logs: { maxLines: 10 },
    });
  });

  test('pure: inputs unchanged, result shares nothing with them', () => {
    const base: Pm2McpConfig = { start: { scripts: ['a'] }, processes: { names: ['x'] } };
    const over: Pm2McpConfig = { start: { cwd: ['.'] } };
    const before = structuredClone([base, over]);
    const merged = mergeConfigs(base, over);
    merged.start!.scripts!.push('mutated');
    merged.processes!.names!.push('mutated');
    assert.deepEqual([base, over], before);
  });

  test('undefined in the overlay does not erase', () => {
    assert.deepEqual(mergeConfigs({ mode: 'audit' }, { mode: undefined }), { mode: 'audit' });
  });
});

describe('loadConfig', () => {
  test('no config in a project: the standard preset, root = realpath(cwd)', async () => {
    const dir = await project({ 'sub/package.json': { name: 'app' } });
    const loaded = await loadConfig({ cwd: join(dir, 'sub') });
    assert.deepEqual(loaded, {
      config: presetData('standard'),
      root: join(dir, 'sub'),
      sources: [presetLabel('standard')],
      preset: 'standard',
      presetConfig: withPresetTools('standard', JSON.parse(readFileSync(join(ROOT, 'policies', 'standard.json'), 'utf8')) as Pm2McpConfig),
    } satisfies LoadedConfig);
  });

  test('no config in a project with a policy: that preset', async () => {
    for (const preset of PRESET_NAMES) {
      const dir = await project({ '.git/HEAD': 'ref: refs/heads/main\n' });
      const loaded = await loadConfig({ cwd: dir, policy: preset });
      assert.equal(loaded.preset, preset);
      assert.deepEqual(loaded.sources, [presetLabel(preset)]);
      assert.deepEqual(loaded.config, presetData(preset));
      assert.equal(loaded.rootRefused, undefined);
    }
  });

  // The subfolder of a project is no project (markers are not looked for upward: a dotfiles repo
  // in the home would make the whole home one).
  const notProjects: Array<[what: string, files: Record<string, string | object>, cwd: string]> = [
    ['an empty folder', {}, '.'],
    ['a folder with only scripts', { 'app.js': '', 'vite.config.js': '' }, '.'],
    ['the subfolder of a project', { 'package.json': { name: 'app' }, '.git/HEAD': '', 'src/app.js': '' }, 'src'],
  ];
  for (const [what, files, sub] of notProjects) {
    test(`no config in ${what}: readonly, whatever --policy says, and why`, async () => {
      const dir = await project(files);
      const cwd = join(dir, sub);
      for (const policy of [undefined, 'standard', 'permissive', 'strict'] as const) {
        const loaded = await loadConfig({ cwd, ...(policy ? { policy } : {}) });
        assert.equal(loaded.preset, 'readonly', `--policy ${policy}`);
        assert.deepEqual(loaded.sources, [presetLabel('readonly')]);
        assert.deepEqual(loaded.config, presetData('readonly'));
        assert.equal(loaded.root, cwd);
        assert.match(loaded.rootRefused ?? '', new RegExp(`^the working folder ${cwd} is not a project root \\(it holds no package\\.json, \\.git or ecosystem\\.config\\.\\* file\\)`));
        assert.equal(loaded.rootRefused!.includes(`instead of --policy ${policy}`), policy !== undefined);
      }
      const asked = await loadConfig({ cwd, policy: 'readonly' });
      assert.equal(asked.preset, 'readonly');
      assert.equal(asked.rootRefused, undefined, 'readonly asked for: nothing was taken away');
    });
  }

  test('no config from / or from the home folder: readonly', async () => {
    assert.equal((await loadConfig({ cwd: '/' })).preset, 'readonly');
    assert.match((await loadConfig({ cwd: '/', policy: 'permissive' })).rootRefused ?? '', /\(it is the file system's root\)/);
    const home = await project({ 'package.json': { name: 'dotfiles' }, '.git/HEAD': '' });
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const loaded = await loadConfig({ cwd: home });
      assert.equal(loaded.preset, 'readonly');
      assert.match(loaded.rootRefused ?? '', /\(it is the home folder\)/);
    } finally {
      if (saved === undefined) delete process.env.HOME;
      else process.env.HOME = saved;
    }
  });

  test('a config file in a folder that is no project: its folder is the root (the owner chose it)', async () => {
    const dir = await project({ 'pm2-mcp.config.json': { extends: 'standard' } });
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.preset, 'standard');
    assert.equal(loaded.root, dir);
    assert.equal(loaded.rootRefused, undefined);
    const named = await loadConfig({ cwd: '/', configFile: join(dir, 'pm2-mcp.config.json'), policy: 'permissive' });
    assert.equal(named.preset, 'permissive');
    assert.equal(named.root, dir);
    assert.equal(named.rootRefused, undefined);
  });

  // The search goes up to the nearest folder with a .git only (test/unit/config-search.test.ts).
  test('search finds pm2-mcp.config.json in a parent folder of cwd, up to the repository root', async () => {
    const dir = await project({ '.git/HEAD': '', 'pm2-mcp.config.json': { extends: 'strict', mode: 'audit' }, 'a/b/c/keep': '' });
    const loaded = await loadConfig({ cwd: join(dir, 'a', 'b', 'c') });
    assert.equal(loaded.configFile, join(dir, 'pm2-mcp.config.json'));
    assert.equal(loaded.root, dir);
    assert.equal(loaded.preset, 'strict');
    assert.equal(loaded.config.mode, 'audit');
    assert.deepEqual(loaded.sources, [presetLabel('strict'), join(dir, 'pm2-mcp.config.json')]);
  });

  test('search finds .pm2-mcprc.yaml', async () => {
    const dir = await project({ '.pm2-mcprc.yaml': 'extends: readonly\nlogs:\n  maxLines: 20\n' });
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.configFile, join(dir, '.pm2-mcprc.yaml'));
    assert.equal(loaded.preset, 'readonly');
    assert.equal(loaded.config.logs?.maxLines, 20);
  });

  test('search finds the "pm2-mcp" key of package.json, and skips a package.json without it', async () => {
    const dir = await project({ '.git/HEAD': '', 'package.json': { name: 'app', 'pm2-mcp': { extends: 'permissive', processes: { allowAll: false } } }, 'pkg/package.json': { name: 'inner' } });
    const loaded = await loadConfig({ cwd: join(dir, 'pkg') });
    assert.equal(loaded.configFile, join(dir, 'package.json'));
    assert.equal(loaded.preset, 'permissive');
    assert.equal(loaded.config.processes?.allowAll, false);
    assert.equal(loaded.config.processes?.inRoot, true);
  });

  test('an .mjs config with export default defineConfig({...})', async () => {
    const dir = await project({
      'pm2-mcp.config.mjs': `import { defineConfig } from ${JSON.stringify(TYPES_URL)};\nexport default defineConfig({ extends: 'strict', start: { scripts: ['apps/*.js'] } });\n`,
    });
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.configFile, join(dir, 'pm2-mcp.config.mjs'));
    assert.deepEqual(loaded.config.start?.scripts, ['apps/*.js']);
    assert.equal(loaded.preset, 'strict');
  });

  test('a .cjs config (module.exports) and a CommonJS-compiled default export', async () => {
    const dir = await project({ 'pm2-mcp.config.cjs': `module.exports = { extends: 'readonly', mode: 'audit' };\n` });
    assert.equal((await loadConfig({ cwd: dir })).config.mode, 'audit');
    const dir2 = await project({ 'pm2-mcp.config.cjs': `Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = { mode: 'audit' };\n` });
    assert.equal((await loadConfig({ cwd: dir2 })).config.mode, 'audit');
  });

  test('a .ts config is transpiled by cosmiconfig (needs the typescript package)', async () => {
    const dir = await project({ 'pm2-mcp.config.ts': `const n: number = 3;\nexport default { extends: 'strict', start: { maxInstances: n } };\n` });
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.config.start?.maxInstances, 3);
    assert.deepEqual(readdirSync(dir), ['pm2-mcp.config.ts'], 'the transpiled file is removed');
  });

  test('--config names a file (relative to cwd), in any folder and format', async () => {
    const dir = await project({ 'conf/agents.yml': 'extends: strict\nprocesses:\n  names: [api]\n', 'pm2-mcp.config.json': { mode: 'audit' } });
    const loaded = await loadConfig({ cwd: dir, configFile: 'conf/agents.yml' });
    assert.equal(loaded.configFile, join(dir, 'conf', 'agents.yml'));
    assert.equal(loaded.root, join(dir, 'conf'));
    assert.deepEqual(loaded.config.processes?.names, ['api']);
    assert.equal(loaded.config.mode, 'enforce');
  });

  test('a missing --config file is a ConfigError', async () => {
    const dir = await project({});
    const err = await configError(loadConfig({ cwd: dir, configFile: 'nope.json' }));
    assert.equal(err.file, join(dir, 'nope.json'));
    assert.deepEqual(err.problems, ['file not found']);
    const err2 = await configError(loadConfig({ cwd: dir, configFile: '.' }));
    assert.deepEqual(err2.problems, ['is a folder, expected a config file']);
  });

  test('extends chain file → file → preset: arrays replace, objects merge, sources base first', async () => {
    const dir = await project({
      'shared/base.yaml': [
        'extends: strict',
        'start:',
        '  scripts: [x/*.js, y/*.js]',
        '  cwd: [apps]',
        '  maxInstances: 2',
        'processes:',
        '  namespaces: [dev]',
        'logs:',
        '  maxLines: 100',
        '',
      ].join('\n'),
      'pm2-mcp.config.json': { $schema: './schema.json', extends: './shared/base.yaml', start: { scripts: ['apps/*.js'] }, processes: { names: ['api'] } },
    });
    const loaded = await loadConfig({ cwd: dir });
    const strict = presetData('strict');
    assert.deepEqual(loaded.sources, [presetLabel('strict'), join(dir, 'shared', 'base.yaml'), join(dir, 'pm2-mcp.config.json')]);
    assert.equal(loaded.preset, 'strict');
    assert.equal(loaded.root, dir, 'the root is the top file folder, not the base file folder');
    assert.deepEqual(loaded.config, {
      ...strict,
      start: { ...strict.start, scripts: ['apps/*.js'], cwd: ['apps'], maxInstances: 2 },
      processes: { ...strict.processes, names: ['api'], namespaces: ['dev'] },
      logs: { maxLines: 100 },
    });
    assert.ok(!('extends' in loaded.config) && !('$schema' in loaded.config));
  });

  test('a file without extends extends standard', async () => {
    const dir = await project({ 'base.json': { mode: 'audit' }, 'pm2-mcp.config.json': { extends: './base.json' } });
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.preset, 'standard');
    assert.deepEqual(loaded.sources, [presetLabel('standard'), join(dir, 'base.json'), join(dir, 'pm2-mcp.config.json')]);
    assert.deepEqual(loaded.config, { ...presetData('standard'), mode: 'audit' });
  });

  test('extends by path to one of our preset files is that preset (the chain ends there)', async () => {
    const dir = await project({});
    await writeFile(join(dir, 'pm2-mcp.config.json'), JSON.stringify({ extends: relative(dir, presetFile('strict')) }));
    await chmod(join(dir, 'pm2-mcp.config.json'), 0o644);
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.preset, 'strict');
    assert.deepEqual(loaded.sources, [presetLabel('strict'), join(dir, 'pm2-mcp.config.json')]);
    assert.deepEqual(loaded.config, presetData('strict'));
  });

  test('extends cycle is a ConfigError naming the cycle', async () => {
    const dir = await project({ 'a.json': { extends: './b.json' }, 'b.json': { extends: './a.json' }, 'pm2-mcp.config.json': { extends: './a.json' } });
    const err = await configError(loadConfig({ cwd: dir }));
    assert.equal(err.file, join(dir, 'b.json'));
    assert.deepEqual(err.problems, [`extends: cycle ${join(dir, 'a.json')} → ${join(dir, 'b.json')} → ${join(dir, 'a.json')}`]);
    const self = await project({ 'pm2-mcp.config.json': { extends: './pm2-mcp.config.json' } });
    const err2 = await configError(loadConfig({ cwd: self }));
    assert.deepEqual(err2.problems, [`extends: cycle ${join(self, 'pm2-mcp.config.json')} → ${join(self, 'pm2-mcp.config.json')}`]);
  });

  test('extends naming neither a preset nor a file', async () => {
    const dir = await project({ 'pm2-mcp.config.json': { extends: 'strickt' } });
    const err = await configError(loadConfig({ cwd: dir }));
    assert.equal(err.file, join(dir, 'pm2-mcp.config.json'));
    assert.deepEqual(err.problems, [`extends: "strickt" is not a preset (readonly, strict, standard, permissive) and no file ${join(dir, 'strickt')}`]);
  });

  test('each file of the chain is validated on its own; the error names that file', async () => {
    const dir = await project({ 'base.json': { mode: 'dryrun', start: { scirpts: [] } }, 'pm2-mcp.config.json': { extends: './base.json' } });
    const err = await configError(loadConfig({ cwd: dir }));
    assert.equal(err.file, join(dir, 'base.json'));
    assert.deepEqual(err.problems, ['mode: expected one of "enforce", "audit", got "dryrun"', `start.scirpts: unknown key (expected one of ${START_KEYS})`]);
  });

  test('policy replaces the extends of the top-level file (what it extended is not read)', async () => {
    const dir = await project({ 'base.json': { mode: 'dryrun' }, 'pm2-mcp.config.json': { extends: './base.json', logs: { maxLines: 7 } } });
    const loaded = await loadConfig({ cwd: dir, policy: 'readonly' });
    assert.equal(loaded.preset, 'readonly');
    assert.deepEqual(loaded.sources, [presetLabel('readonly'), join(dir, 'pm2-mcp.config.json')]);
    assert.deepEqual(loaded.config, { ...presetData('readonly'), logs: { maxLines: 7 } });
  });

  test('an invalid policy name is a ConfigError listing the presets', async () => {
    const dir = await project({});
    const err = await configError(loadConfig({ cwd: dir, policy: 'lax' }));
    assert.equal(err.file, '--policy');
    assert.deepEqual(err.problems, ['"lax" is not a preset (expected one of readonly, strict, standard, permissive)']);
  });

  test('root is the realpath of the config folder (reached through a symlink)', async () => {
    const dir = await project({ 'real/.git/HEAD': '', 'real/pm2-mcp.config.json': { extends: 'strict' }, 'real/sub/keep': '' });
    await symlink(join(dir, 'real'), join(dir, 'link'));
    const loaded = await loadConfig({ cwd: join(dir, 'link', 'sub') });
    assert.equal(loaded.configFile, join(dir, 'link', 'pm2-mcp.config.json'));
    assert.equal(loaded.root, join(dir, 'real'));
    const noConfig = await project({ 'inner/package.json': '{}' });
    await symlink(join(noConfig, 'inner'), join(noConfig, 'alias'));
    assert.equal((await loadConfig({ cwd: join(noConfig, 'alias') })).root, join(noConfig, 'inner'));
  });

  const notObjects: Array<[string, string, string]> = [
    ['pm2-mcp.config.json', '[]', '(root): expected an object, got an array'],
    ['pm2-mcp.config.json', '"strict"', '(root): expected an object, got a string'],
    ['pm2-mcp.config.yaml', 'just a string\n', '(root): expected an object, got a string'],
    ['pm2-mcp.config.yaml', '', '(root): the file is empty (expected an object)'],
    ['pm2-mcp.config.yaml', '# only a comment\n', '(root): the file is empty (expected an object)'],
    ['pm2-mcp.config.yaml', 'null\n', '(root): expected an object, got null'],
    ['pm2-mcp.config.json', 'null', '(root): expected an object, got null'],
    ['pm2-mcp.config.mjs', 'export default [1, 2];\n', '(root): expected an object, got an array'],
  ];
  for (const [name, content, problem] of notObjects) {
    test(`a config that is not an object: ${name} ${JSON.stringify(content)}`, async () => {
      const dir = await project({ [name]: content });
      const err = await configError(loadConfig({ cwd: dir, configFile: name }));
      assert.equal(err.file, join(dir, name));
      assert.deepEqual(err.problems, [problem]);
    });
  }

  for (const content of ['', '# all commented out\n# mode: audit\n']) {
    test(`an empty config file found by the search is an error, not skipped: ${JSON.stringify(content)}`, async () => {
      const dir = await project({ '.git/HEAD': '', '.pm2-mcprc.yml': content, 'sub/keep': '' });
      const err = await configError(loadConfig({ cwd: join(dir, 'sub') }));
      assert.equal(err.file, join(dir, '.pm2-mcprc.yml'));
      assert.deepEqual(err.problems, ['(root): the file is empty (expected an object)']);
    });
  }

  test('--config package.json without the "pm2-mcp" key', async () => {
    const dir = await project({ 'package.json': { name: 'x' } });
    const err = await configError(loadConfig({ cwd: dir, configFile: 'package.json' }));
    assert.deepEqual(err.problems, ['(root): package.json has no "pm2-mcp" key']);
  });

  test('a syntax error is a ConfigError naming the file', async () => {
    const dir = await project({ 'pm2-mcp.config.json': '{ "mode": ' });
    const err = await configError(loadConfig({ cwd: dir }));
    assert.equal(err.file, join(dir, 'pm2-mcp.config.json'));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^JSON error: /);
  });

  test('a JS config that fails to load: its own error, not a require() fallback', async () => {
    const syntax = await project({ 'pm2-mcp.config.mjs': "export default { mode: 'audit' ;\n" });
    const err = await configError(loadConfig({ cwd: syntax }));
    assert.equal(err.file, join(syntax, 'pm2-mcp.config.mjs'));
    assert.match(err.problems[0]!, /Unexpected token|Expected/);
    const throws = await project({ 'pm2-mcp.config.js': "throw new Error('boom');\n", 'package.json': { name: 'x', type: 'module' } });
    assert.deepEqual((await configError(loadConfig({ cwd: throws }))).problems, ['boom']);
    const enoent = await project({ 'pm2-mcp.config.mjs': "import { readFileSync } from 'node:fs';\nexport default JSON.parse(readFileSync('/nonexistent/x.json', 'utf8'));\n" });
    const err3 = await configError(loadConfig({ cwd: enoent }));
    assert.equal(err3.file, join(enoent, 'pm2-mcp.config.mjs'));
    assert.match(err3.problems[0]!, /^ENOENT: no such file or directory, open '\/nonexistent\/x.json'/);
    const named = await project({ 'pm2-mcp.config.mjs': 'export const config = {};\n' });
    assert.deepEqual((await configError(loadConfig({ cwd: named }))).problems, ['(root): no default export (expected `export default {…}` or `module.exports = {…}`)']);
  });

  test("cosmiconfig's $import is refused, not merged behind our back", async () => {
    const dir = await project({ 'base.json': { mode: 'audit' }, 'pm2-mcp.config.json': { $import: './base.json' } });
    const err = await configError(loadConfig({ cwd: dir }));
    assert.equal(err.file, join(dir, 'pm2-mcp.config.json'));
    assert.deepEqual(err.problems, [`$import: unknown key (expected one of ${TOP_KEYS})`]);
  });

  test('snapshot: the full message of a multi-error config', async () => {
    const dir = await project({
      'pm2-mcp.config.yaml': [
        'extends: strict',
        'mode: dryrun',
        'tools:',
        '  pm2_restart: allow',
        '  pm2_dump: yes',
        'start:',
        '  scirpts: []',
        '  scripts: ["apps/{a,b", "[abc"]',
        '  maxInstances: 0',
        'processes:',
        '  names: ["api/*"]',
        'logs:',
        '  maxLines: 5000',
        'http:',
        '  tokens:',
        '    - name: ci',
        '      sha256: not-a-hash',
        '',
      ].join('\n'),
    });
    const err = await configError(loadConfig({ cwd: dir }));
    const actual = `${err.message.split(dir).join('<dir>')}\n`;
    assertSnapshot(SNAPSHOT, actual, 'the config errors');
  });
});

describe('check', () => {
  test('prints config, root, sources, the effective policy and warnings; returns 0', async () => {
    const dir = await project({ 'pm2-mcp.config.json': { extends: 'strict', start: { scripts: ['apps/*.js'] } }, 'apps/a.js': '' });
    const lines: string[] = [];
    const code = await check({ cwd: dir }, (s) => lines.push(s));
    assert.equal(code, 0);
    const loaded = await loadConfig({ cwd: dir });
    assert.deepEqual(lines, [
      `Config: ${join(dir, 'pm2-mcp.config.json')}`,
      `Root: ${dir}`,
      'Sources:',
      `  - ${presetLabel('strict')}`,
      `  - ${join(dir, 'pm2-mcp.config.json')}`,
      'Effective policy:',
      JSON.stringify(loaded.config, null, 2),
      'Limits (counted across every session of a server):',
      '  - pm2_start_process: 15 calls per 60 s',
      '  - pm2_restart_process: 3 calls per 60 s per process',
      '  - pm2_reload_process: 3 calls per 60 s per process',
      'Warnings: none',
    ]);
  });

  test('no config: "none (preset …)"; unmatched globs are listed as warnings', async () => {
    // A .git file (a worktree's) makes it a project without a JSON file the globs would match.
    const dir = await project({ 'app.js': '', '.git': 'gitdir: /elsewhere\n' });
    const lines: string[] = [];
    assert.equal(await check({ cwd: dir, policy: 'standard' }, (s) => lines.push(s)), 0);
    assert.equal(lines[0], 'Config: none (preset standard)');
    const at = lines.indexOf('Warnings:');
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1), [
      `  - start.ecosystemFiles[0]: "./**/*.json" matches nothing under ${dir}`,
      `  - start.ecosystemFiles[1]: "./**/*.yaml" matches nothing under ${dir}`,
      `  - start.ecosystemFiles[2]: "./**/*.yml" matches nothing under ${dir}`,
    ]);
  });

  test('no config in a folder that is no project: says the root was refused, and why', async () => {
    const dir = await project({ 'app.js': '' });
    const lines: string[] = [];
    assert.equal(await check({ cwd: dir, policy: 'standard' }, (s) => lines.push(s)), 0);
    assert.deepEqual(lines.slice(0, 3), [
      'Config: none (preset readonly)',
      `Root: ${dir}`,
      `Root refused: ${(await loadConfig({ cwd: dir, policy: 'standard' })).rootRefused}`,
    ]);
    assert.match(lines[2]!, /instead of --policy standard/);
    const inProject = await project({ 'package.json': '{}' });
    const more: string[] = [];
    await check({ cwd: inProject }, (s) => more.push(s));
    assert.ok(!more.some((l) => l.startsWith('Root refused')), more.join('\n'));
  });

  test('an invalid config: prints the ConfigError and returns 2', async () => {
    const dir = await project({ 'pm2-mcp.config.json': { mode: 'dryrun' } });
    const lines: string[] = [];
    assert.equal(await check({ cwd: dir }, (s) => lines.push(s)), 2);
    assert.deepEqual(lines, [`Invalid config ${join(dir, 'pm2-mcp.config.json')}:\n  - mode: expected one of "enforce", "audit", got "dryrun"`]);
  });
});
