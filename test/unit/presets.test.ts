// The built-in presets (policies/*.json, with their tools from the tool catalog) say what
// DESIGN.md says they say: which tools each one turns on, whether env values are shown, whether
// "all" is a target, and that the tools a policy denies outright are the ones hidden from
// tools/list (none in audit mode).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileResolved } from '../../src/commands/load-policy.js';
import { loadPreset } from '../../src/config/load.js';
import { presetFile, presetTools } from '../../src/config/presets.js';
import { type Pm2McpConfig } from '../../src/model/config.js';
import { PRESET_NAMES, TOOL_NAMES, type PresetName, type ToolName } from '../../src/model/tools.js';
import { hiddenTools, type CompiledPolicy } from '../../src/policy/compile.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { READ_TOOLS } from '../helpers/fixtures.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-presets-')));
after(() => rmSync(ROOT, { recursive: true, force: true }));

/** Each preset as the loader gives it: its file, with its tools from the catalog. */
const PRESETS = new Map(await Promise.all(PRESET_NAMES.map(async (name) => [name, (await loadPreset(name)).config] as const)));

function compile(name: PresetName, over: Partial<Pm2McpConfig> = {}): CompiledPolicy {
  const config = { ...PRESETS.get(name), ...over };
  return compileResolved({ config, root: ROOT, sources: [presetFile(name)], preset: name });
}

const READS = READ_TOOLS;
const ALL_BUT_KILL = TOOL_NAMES.filter((t) => t !== 'pm2_kill_daemon');

const EXPECTED: { preset: PresetName; allowed: readonly ToolName[]; redactEnv: boolean; allowAll: boolean }[] = [
  { preset: 'readonly', allowed: READS, redactEnv: true, allowAll: false },
  { preset: 'strict', allowed: [...READS, 'pm2_start_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process'], redactEnv: true, allowAll: false },
  { preset: 'standard', allowed: ALL_BUT_KILL, redactEnv: true, allowAll: false },
  { preset: 'permissive', allowed: ALL_BUT_KILL, redactEnv: false, allowAll: true },
];

const sorted = (xs: Iterable<string>) => [...xs].sort();

for (const e of EXPECTED) {
  describe(`preset ${e.preset}`, () => {
    const policy = compile(e.preset);
    const denied = TOOL_NAMES.filter((t) => !e.allowed.includes(t));

    test('the preset as loaded names every tool, with allow or deny', () => {
      const config = PRESETS.get(e.preset)!;
      assert.deepEqual(sorted(Object.keys(config.tools ?? {})), sorted(TOOL_NAMES));
      for (const t of TOOL_NAMES) assert.ok(['allow', 'deny'].includes(config.tools?.[t] ?? ''), t);
    });

    test('the compiled tool effects allow exactly the documented tools', () => {
      assert.deepEqual(sorted(TOOL_NAMES.filter((t) => policy.tools[t] === 'allow')), sorted(e.allowed));
    });

    test('evaluate: each documented tool passes the tool rule, every other one is denied by tools.<tool>', () => {
      for (const tool of TOOL_NAMES) {
        const decision = evaluate({ kind: 'daemon', operation: tool }, policy);
        if (e.allowed.includes(tool)) {
          assert.equal(decision.effect, 'allow', tool);
        } else {
          assert.equal(decision.effect, 'deny', tool);
          assert.equal(decision.ruleId, `tools.${tool}`, tool);
          assert.ok(decision.hint?.includes(tool), `${tool}: the hint names the tool`);
        }
      }
    });

    test('every read is allowed', () => {
      for (const tool of READS) {
        const decision = evaluate({ kind: 'read', operation: tool, targets: [] }, policy);
        assert.deepEqual([decision.effect, decision.ruleId], ['allow', 'read'], tool);
      }
    });

    test('pm2_kill_daemon is off', () => {
      assert.equal(policy.tools.pm2_kill_daemon, 'deny');
      const decision = evaluate({ kind: 'daemon', operation: 'pm2_kill_daemon' }, policy);
      assert.deepEqual([decision.effect, decision.ruleId], ['deny', 'tools.pm2_kill_daemon']);
    });

    test(`output.redactEnv is ${e.redactEnv}`, () => {
      assert.equal(policy.output.redactEnv, e.redactEnv);
    });

    test(`processes.allowAll is ${e.allowAll}`, () => {
      assert.equal(policy.processes.allowAll, e.allowAll);
    });

    test('the mode is enforce', () => {
      assert.equal(policy.mode, 'enforce');
    });

    test('hiddenTools is the denied set', () => {
      assert.deepEqual(sorted(hiddenTools(policy)), sorted(denied));
    });

    test('hiddenTools is empty in audit mode', () => {
      assert.deepEqual(sorted(hiddenTools(compile(e.preset, { mode: 'audit' }))), []);
    });

    test('a config that turns a tool on un-hides it', () => {
      const on = compile(e.preset, { tools: { ...policy.config.tools, pm2_kill_daemon: 'allow' } });
      assert.equal(hiddenTools(on).has('pm2_kill_daemon'), false);
      assert.deepEqual(evaluate({ kind: 'daemon', operation: 'pm2_kill_daemon' }, on).effect, 'allow');
    });
  });
}

test('a tool the config does not name is denied (absent from tools means deny)', () => {
  const policy = compileResolved({ config: { tools: { pm2_list_processes: 'allow' } }, root: ROOT, sources: [], preset: 'strict' });
  assert.deepEqual(sorted(TOOL_NAMES.filter((t) => policy.tools[t] === 'allow')), ['pm2_list_processes']);
  assert.equal(hiddenTools(policy).size, TOOL_NAMES.length - 1);
});

test('redactEnv defaults to true and allowAll to false when a config says nothing', () => {
  const policy = compileResolved({ config: {}, root: ROOT, sources: [], preset: 'strict' });
  assert.equal(policy.output.redactEnv, true);
  assert.equal(policy.processes.allowAll, false);
  assert.equal(policy.processes.updateEnv, false);
});

test('a preset lists its tools from the most widely allowed to the least: reads first, pm2_kill_daemon last', () => {
  assert.deepEqual(Object.keys(presetTools('standard')), [
    'pm2_list_processes', 'pm2_describe_process', 'pm2_diagnose_process', 'pm2_tail_logs',
    'pm2_start_process', 'pm2_restart_process', 'pm2_reload_process', 'pm2_stop_process',
    'pm2_delete_process', 'pm2_flush_logs', 'pm2_reload_logs', 'pm2_dump',
    'pm2_kill_daemon',
  ]);
});
