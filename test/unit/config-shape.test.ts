// The config shape is written once, in zod (src/model/config.ts): the committed JSON Schema is
// what the generator makes of it, the shape accepts what the schema accepts, and the defaults
// are one frozen table that the compiled policy of an empty config shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchemaText, SCHEMA_FILE } from '../../scripts/generate-schema.js';
import { loadPreset } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { CONFIG_DEFAULTS, CONFIG_SHAPE, type Pm2McpConfig } from '../../src/model/config.js';
import { PRESET_NAMES, TOOL_NAMES } from '../../src/model/tools.js';
import { compilePolicy } from '../../src/policy/compile.js';

test('schemas/pm2-mcp.config.schema.json is what `npm run generate` makes of the zod shape', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), configSchemaText(), 'the committed schema drifted from src/model/config.ts: run npm run generate');
});

test('the generated schema: draft-07, enums without a type, no safe-integer bounds zod would add', () => {
  const schema = JSON.parse(configSchemaText()) as { $schema: string; properties: Record<string, { properties?: Record<string, Record<string, unknown>> } & Record<string, unknown>> };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(schema.properties.mode, { enum: ['enforce', 'audit'], description: schema.properties.mode!.description });
  assert.deepEqual(schema.properties.audit!.properties!.fsync!.enum, [true, false, 'always']);
  assert.equal(schema.properties.audit!.properties!.fsync!.type, undefined);
  assert.equal(schema.properties.audit!.properties!.maxBytes!.maximum, undefined);
});

test('the zod shape accepts every preset and a config of every key, as the schema does', async () => {
  const full: Pm2McpConfig = {
    $schema: './schema.json', extends: 'strict', mode: 'audit', tools: { pm2_dump: 'allow' },
    start: {
      scripts: ['apps/*.js'], scriptsExclude: ['**/.*'], cwd: ['.'], interpreters: ['node'], interpreterArgs: ['--no-warnings'], ecosystemFiles: ['eco.json'],
      env: { allow: ['APP_*'], deny: ['*_TOKEN'], passThrough: ['PATH'] }, logFiles: ['logs/**'], maxInstances: 2, watch: false, runWith: { 'bin/*': ['python3'] },
    },
    processes: { names: ['api'], namespaces: ['dev'], inRoot: true, allowAll: false, updateEnv: false, max: 5 },
    output: { redactEnv: true },
    logs: { maxLines: 100 },
    audit: { enabled: true, file: 'audit.jsonl', maxBytes: 4096, fsync: 'always' },
    http: { tokens: [{ name: 'ci', sha256: 'a'.repeat(64), extends: 'readonly' }], allowedHosts: ['localhost'], allowedOrigins: ['http://localhost'], sessionIdleSeconds: 60, maxSessions: 5, maxBodyBytes: 2048, maxConnections: 64, sessionReclaimSeconds: 30 },
    limits: { pm2_restart_process: { calls: 3, perSeconds: 60, per: 'process' }, pm2_start_process: { calls: 10, perSeconds: 60 } },
  };
  const configs = [full, ...(await Promise.all(PRESET_NAMES.map(async (name) => (await loadPreset(name)).config)))];
  for (const config of configs) {
    assert.deepEqual(validateConfig(config, 'x.json'), [], 'the schema');
    assert.equal(CONFIG_SHAPE.safeParse(config).success, true, 'the zod shape');
  }
  assert.equal(CONFIG_SHAPE.safeParse({ tools: { pm2_restart: 'allow' } }).success, false, 'an unknown tool');
});

test('an empty config compiles to the table of defaults', () => {
  const policy = compilePolicy({ config: {}, root: '/nowhere', sources: [], preset: 'strict' }, new Map());
  const D = CONFIG_DEFAULTS;
  assert.equal(policy.mode, D.mode);
  assert.deepEqual(policy.tools, Object.fromEntries(TOOL_NAMES.map((t) => [t, D.tools[t]])));
  assert.deepEqual([policy.start.maxInstances, policy.start.watch, policy.start.env.passThrough], [D.start.maxInstances, D.start.watch, D.start.env.passThrough]);
  assert.deepEqual(policy.processes.max, D.processes.max);
  assert.deepEqual([policy.processes.inRoot, policy.processes.allowAll, policy.processes.updateEnv], [D.processes.inRoot, D.processes.allowAll, D.processes.updateEnv]);
  assert.deepEqual([policy.output.redactEnv, policy.logs.maxLines], [D.output.redactEnv, D.logs.maxLines]);
  assert.deepEqual([policy.limits, D.limits], [{}, {}], 'no tool is limited');
  // What the table says, spelled out: a change of a default is a change of the contract.
  assert.deepEqual(
    [D.extends, D.mode, D.start.maxInstances, D.processes.max, D.output.redactEnv, D.logs.maxLines, D.audit.enabled, D.audit.maxBytes, D.audit.fsync, D.http.sessionIdleSeconds, D.http.maxSessions, D.http.maxBodyBytes, D.http.maxConnections, D.http.sessionReclaimSeconds],
    ['standard', 'enforce', 1, 0, true, 1000, true, 50 * 1024 * 1024, true, 1800, 100, 1024 * 1024, 256, 60],
  );
});

test('the table of defaults is frozen: a reader cannot change a default for the next one', () => {
  assert.throws(() => (CONFIG_DEFAULTS.start.scripts as unknown as string[]).push('/**'));
  assert.throws(() => {
    (CONFIG_DEFAULTS.logs as { maxLines: number }).maxLines = 5;
  });
});
