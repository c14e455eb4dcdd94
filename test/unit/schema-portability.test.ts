// Tool schemas every client can take: the MCP Inspector's portability lint finds nothing in what
// the server serves (the committed tools/list snapshots, which test/e2e/surface.test.ts holds
// equal to the built binary's tools/list, and the in-process server's own tools/list), and
// neither does our stricter rule: one JSON type per value, no null, no boolean schema
// (test/helpers/schema-lint.ts). A value that may be absent is an optional key.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TOOLS } from '../../src/server/tools/index.js';
import { connectInProcess } from '../helpers/in-process.js';
import { presetPolicy } from '../helpers/policies.js';
import { SNAPSHOTS } from '../helpers/snapshot.js';
import { describeFinding, lintSchema, lintTools, type Rule, type ToolSchemas } from '../helpers/schema-lint.js';

describe('the lint itself', () => {
  const cases: Array<{ name: string; schema: unknown; rules: Rule[] }> = [
    { name: 'a type array', schema: { type: 'object', properties: { pid: { type: ['number', 'null'] } } }, rules: ['type-union', 'one-type', 'null-type'] },
    { name: 'a type array without null', schema: { type: ['string', 'number'] }, rules: ['type-union', 'one-type'] },
    { name: 'a nullable anyOf', schema: { type: 'object', properties: { cwd: { anyOf: [{ type: 'string' }, { type: 'null' }] } } }, rules: ['null-type'] },
    { name: 'OpenAPI\'s nullable', schema: { type: 'string', nullable: true }, rules: ['null-type'] },
    { name: 'a null const', schema: { type: 'string', const: null }, rules: ['null-type'] },
    { name: 'a bare true for a property', schema: { type: 'object', properties: { x: true } }, rules: ['boolean-schema'] },
    { name: 'a bare false for items', schema: { type: 'array', items: false }, rules: ['boolean-schema'] },
    { name: 'a bare true as the schema', schema: true, rules: ['boolean-schema'] },
    { name: 'an untyped {}', schema: { type: 'object', properties: { x: {} } }, rules: ['untyped-schema', 'one-type'] },
    { name: 'a description only', schema: { type: 'object', properties: { x: { description: 'anything' } } }, rules: ['untyped-schema', 'one-type'] },
    { name: 'a remote $ref', schema: { type: 'object', properties: { x: { $ref: 'https://example.com/s.json' } } }, rules: ['remote-ref', 'one-type'] },
    { name: 'a constraint but no type', schema: { minLength: 1 }, rules: ['one-type'] },
    { name: 'an allOf without a type', schema: { allOf: [{ type: 'string' }, { minLength: 1 }] }, rules: ['one-type', 'one-type'] },
    { name: 'deep: a type array inside anyOf inside items', schema: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: ['number', 'boolean'] }] } }, rules: ['type-union', 'one-type'] },
    // What must pass:
    { name: 'additionalProperties: false is a boolean where one belongs', schema: { type: 'object', properties: {}, additionalProperties: false }, rules: [] },
    { name: 'an anyOf of one-type branches (the process argument)', schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1 }] }, rules: [] },
    { name: 'an optional field: absent from required', schema: { type: 'object', properties: { pid: { type: 'number' } }, required: [] }, rules: [] },
    { name: 'a local $ref', schema: { $defs: { a: { type: 'string' } }, type: 'object', properties: { x: { $ref: '#/$defs/a' } } }, rules: [] },
    { name: 'a remote $ref in a document that embeds $id', schema: { $defs: { a: { $id: 'https://example.com/s.json', type: 'string' } }, type: 'object', properties: { x: { $ref: 'https://example.com/s.json' } } }, rules: [] },
    { name: '{} under not (the always-false form)', schema: { type: 'string', not: {} }, rules: [] },
    { name: 'an enum of strings', schema: { type: 'string', enum: ['out', 'err'] }, rules: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(lintSchema(c.schema).map((f) => f.rule).sort(), [...c.rules].sort());
    });
  }

  test('paths and severities read as the Inspector\'s', () => {
    const schema = { type: 'object', properties: { processes: { type: 'array', items: { type: 'object', properties: { pid: { type: ['number', 'null'] }, 'odd key': true } } } } };
    assert.deepEqual(lintSchema(schema).filter((f) => f.rule === 'type-union' || f.rule === 'boolean-schema'), [
      { rule: 'type-union', severity: 'warning', path: 'properties.processes.items.properties.pid' },
      { rule: 'boolean-schema', severity: 'error', path: 'properties.processes.items.properties["odd key"]' },
    ]);
  });
});

/** A finding per line, for a failure that says where. */
const report = (tools: readonly ToolSchemas[]): string[] => lintTools(tools).map(describeFinding);

describe('the schemas the server serves', () => {
  test('the committed tools/list snapshots: no finding', () => {
    const dir = join(SNAPSHOTS, 'tools');
    const tools = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ToolSchemas);
    assert.ok(tools.length >= 12, `only ${tools.length} snapshots in ${dir}`);
    assert.ok(tools.every((t) => t.inputSchema !== undefined && t.outputSchema !== undefined), 'a snapshot without its schemas lints nothing');
    assert.deepEqual(report(tools), []);
  });

  test('the in-process server\'s tools/list, every tool shown: no finding', async () => {
    const s = await connectInProcess({ policy: (root) => presetPolicy(root, 'permissive', { tools: { pm2_kill_daemon: 'allow' } }) });
    try {
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), TOOLS.map((t) => t.name), 'a tool is hidden, so its schemas go unlinted');
      assert.deepEqual(report(tools), []);
    } finally {
      await s.close();
    }
  });
});
