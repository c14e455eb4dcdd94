// The catalog (src/model/tools.ts) says which tools are read-only so that start-up need not load
// the tools themselves; the tools' own readOnlyHint must agree, and serve's choice whether a
// daemon may be spawned follows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mayChangeProcesses } from '../../src/commands/serve.js';
import { TOOL_CATALOG } from '../../src/model/tools.js';
import { TOOLS } from '../../src/server/tools/index.js';
import { presetPolicy } from '../helpers/policies.js';

test('every tool\'s readOnlyHint is what the catalog says', () => {
  assert.equal(TOOLS.length, TOOL_CATALOG.length);
  for (const row of TOOL_CATALOG) {
    const tool = TOOLS.find((t) => t.name === row.name);
    assert.ok(tool, row.name);
    assert.equal(tool.annotations.readOnlyHint, row.readOnly, row.name);
  }
});

const root = realpathSync(mkdtempSync(join(tmpdir(), 'pm2mcp-catalog-')));
const cases: { name: string; preset: 'readonly' | 'strict' | 'standard'; over?: Record<string, unknown>; spawns: boolean }[] = [
  { name: 'readonly preset', preset: 'readonly', spawns: false },
  { name: 'readonly, every changing tool denied explicitly', preset: 'readonly', over: { tools: { pm2_start_process: 'deny' } }, spawns: false },
  { name: 'readonly with start asked: an approved start needs a daemon', preset: 'readonly', over: { tools: { pm2_start_process: 'ask' } }, spawns: true },
  { name: 'readonly with kill_daemon allowed', preset: 'readonly', over: { tools: { pm2_kill_daemon: 'allow' } }, spawns: true },
  { name: 'readonly in audit mode (denials are recorded, calls run)', preset: 'readonly', over: { mode: 'audit' }, spawns: true },
  { name: 'strict preset', preset: 'strict', spawns: true },
  { name: 'standard preset', preset: 'standard', spawns: true },
];
for (const c of cases) {
  test(`a daemon may be spawned: ${c.name} → ${c.spawns}`, () => {
    assert.equal(mayChangeProcesses(presetPolicy(root, c.preset, c.over as never)), c.spawns);
  });
}
