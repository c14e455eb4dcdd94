// The command lines of `pm2-mcp test [FILE]` and `pm2-mcp init [--preset P]` (src/options.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { helpText, parseCli, type CliOptions } from '../../src/options.js';

test('parseCli: test and init', () => {
  const cases: Array<[string[], Record<string, string>, CliOptions]> = [
    [['test'], {}, { command: 'test' }],
    [['test', 'ci/policy.tests.yaml'], {}, { command: 'test', file: 'ci/policy.tests.yaml' }],
    [['test', '--config', 'c.json', '--policy', 'strict', '--pm2-home', '/h', '--audit-file', 'a.jsonl'], {}, { command: 'test', configFile: 'c.json', policy: 'strict', pm2Home: '/h', auditFile: 'a.jsonl' }],
    [['test'], { PM2_MCP_READONLY: 'true' }, { command: 'test', policy: 'readonly' }],
    [['init'], {}, { command: 'init' }],
    [['init', '--preset', 'standard'], {}, { command: 'init', preset: 'standard' }],
    [['init', '--preset=readonly', '--config', 'ignored.json'], {}, { command: 'init', preset: 'readonly' }],
  ];
  for (const [argv, env, expected] of cases) assert.deepEqual(parseCli(argv, env), expected, argv.join(' '));
});

test('parseCli: test and init refuse what they do not take', () => {
  const cases: Array<[string[], string]> = [
    [['test', 'a.json', 'b.json'], 'Unexpected argument "b.json": pm2-mcp test takes one tests file.'],
    [['init', 'somewhere'], 'Unexpected argument "somewhere": pm2-mcp init writes into the working folder.'],
    [['init', '--preset', 'lenient'], '--preset must be readonly, strict, standard or permissive (got "lenient").'],
    [['test', '--preset', 'strict'], '--preset goes with pm2-mcp init.'],
    [['check', '--preset', 'strict'], '--preset goes with pm2-mcp init.'],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseCli(argv, {}), (err: unknown) => err instanceof UsageError && err.message === message, argv.join(' '));
  }
});

test('--help lists test and init', () => {
  const help = helpText('0.0.0');
  assert.match(help, /^ {2}pm2-mcp test \[FILE\] /m);
  assert.match(help, /^ {2}pm2-mcp init \[--preset P\] /m);
});
