// Which files a Claude Code `permissions.deny` rule keeps its file tools off, as doctor reads
// them (src/config/claude-permissions.ts): gitignore's rules, Claude Code's four kinds of path.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectSettingsFiles, readDenyRules, ruleCovering, suggestedRule } from '../../src/config/claude-permissions.js';

const PROJECT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-claude-')));
after(() => rmSync(PROJECT, { recursive: true, force: true }));
const HOME = '/home/me';

function covers(rule: string, path: string): boolean {
  mkdirSync(join(PROJECT, '.claude'), { recursive: true });
  writeFileSync(join(PROJECT, '.claude', 'settings.json'), JSON.stringify({ permissions: { deny: [rule] } }));
  const { rules } = readDenyRules(projectSettingsFiles(PROJECT), PROJECT, HOME);
  return ruleCovering(path, rules) !== undefined;
}

const p = (rel: string) => join(PROJECT, rel);

const CASES: Array<[rule: string, path: string, covered: boolean]> = [
  ['Edit(pm2-mcp.config.json)', p('pm2-mcp.config.json'), true],
  ['Edit(pm2-mcp.config.json)', p('sub/pm2-mcp.config.json'), true], // no slash: any depth
  ['Edit(./pm2-mcp.config.json)', p('sub/pm2-mcp.config.json'), false],
  ['Edit(/pm2-mcp.config.json)', p('pm2-mcp.config.json'), true],
  ['Edit(pm2-mcp.config.yaml)', p('pm2-mcp.config.json'), false],
  ['Edit(*.json)', p('pm2-mcp.config.json'), true],
  ['Edit(apps/**)', p('apps/api/server.js'), true],
  ['Edit(apps/**)', p('other/apps/x.js'), false],
  ['Edit(apps)', p('apps/api/server.js'), true], // a folder covers what is in it
  ['Edit(apps/)', p('apps/api/server.js'), true],
  ['Edit(app)', p('apps/api/server.js'), false], // app is not apps
  [`Edit(/${PROJECT}/x.js)`, p('x.js'), true], // //abs
  ['Edit(~/proj/**)', '/home/me/proj/x.js', true],
  ['Edit', p('anything.js'), true],
  ['Edit(**)', p('deep/down/anything.js'), true],
  ['Read(pm2-mcp.config.json)', p('pm2-mcp.config.json'), false], // reads are not edits
  ['Write(pm2-mcp.config.json)', p('pm2-mcp.config.json'), false], // Claude Code checks Edit rules for writes
  ['Bash(rm:*)', p('pm2-mcp.config.json'), false],
];

for (const [rule, path, covered] of CASES) {
  test(`${rule} ${covered ? 'covers' : 'does not cover'} ${path.replace(PROJECT, '<project>')}`, () => {
    assert.equal(covers(rule, path), covered);
  });
}

test('a project folder whose name has glob characters is matched literally', () => {
  const odd = join(PROJECT, 'proj[1]');
  mkdirSync(join(odd, '.claude'), { recursive: true });
  writeFileSync(join(odd, '.claude', 'settings.json'), JSON.stringify({ permissions: { deny: ['Edit(/x.js)'] } }));
  const { rules } = readDenyRules(projectSettingsFiles(odd), odd, HOME);
  assert.ok(ruleCovering(join(odd, 'x.js'), rules));
  assert.equal(ruleCovering(join(PROJECT, 'proj1', 'x.js'), rules), undefined);
});

test('a settings file that is not JSON is reported, not guessed at', () => {
  const dir = join(PROJECT, 'broken');
  mkdirSync(join(dir, '.claude'), { recursive: true });
  writeFileSync(join(dir, '.claude', 'settings.local.json'), '{ nope');
  const read = readDenyRules(projectSettingsFiles(dir), dir, HOME);
  assert.deepEqual(read.rules, []);
  assert.equal(read.unreadable.length, 1);
  assert.match(read.unreadable[0]!.file, /settings\.local\.json$/);
});

test('suggestedRule: relative inside the project, //absolute outside it', () => {
  assert.equal(suggestedRule(p('apps/api.js'), PROJECT), 'Edit(apps/api.js)');
  assert.equal(suggestedRule('/etc/x.json', PROJECT), 'Edit(//etc/x.json)');
});
