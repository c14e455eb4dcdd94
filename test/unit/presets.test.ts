// The built-in presets (policies/*.json) say what DESIGN.md says they say: which tools each one
// turns on, whether env values are shown, whether "all" is a target, and that the tools a policy
// denies outright are the ones hidden from tools/list (none in audit mode).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveInterpreterPath } from '../../src/commands/load-policy.js';
import { type Pm2McpConfig } from '../../src/config/types.js';
import { TOOL_NAMES, type PresetName, type ToolName } from '../../src/model/tools.js';
import { compilePolicy, hiddenTools, type CompiledPolicy } from '../../src/policy/compile.js';
import { evaluate } from '../../src/policy/evaluate.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2-mcp-presets-')));
after(() => rmSync(ROOT, { recursive: true, force: true }));

function presetFile(name: PresetName): string {
  return fileURLToPath(new URL(`../../policies/${name}.json`, import.meta.url));
}

function compile(name: PresetName, over: Partial<Pm2McpConfig> = {}): CompiledPolicy {
  const config = { ...(JSON.parse(readFileSync(presetFile(name), 'utf8')) as Pm2McpConfig), ...over };
  return compilePolicy({ config, root: ROOT, sources: [presetFile(name)], preset: name }, resolveInterpreterPath);
}

const READS: ToolName[] = ['pm2_list_processes', 'pm2_describe_process', 'pm2_tail_logs'];
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

    test('the preset file names every tool, with allow or deny', () => {
      const config = JSON.parse(readFileSync(presetFile(e.preset), 'utf8')) as Pm2McpConfig;
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
  const policy = compilePolicy({ config: { tools: { pm2_list_processes: 'allow' } }, root: ROOT, sources: [], preset: 'strict' }, resolveInterpreterPath);
  assert.deepEqual(sorted(TOOL_NAMES.filter((t) => policy.tools[t] === 'allow')), ['pm2_list_processes']);
  assert.equal(hiddenTools(policy).size, TOOL_NAMES.length - 1);
});

test('redactEnv defaults to true and allowAll to false when a config says nothing', () => {
  const policy = compilePolicy({ config: {}, root: ROOT, sources: [], preset: 'strict' }, resolveInterpreterPath);
  assert.equal(policy.output.redactEnv, true);
  assert.equal(policy.processes.allowAll, false);
  assert.equal(policy.processes.updateEnv, false);
});
