// The tests file of `pm2-mcp test` (src/config/tests-file.ts): what a valid one reads as, in JSON
// and YAML, and an invalid one reported as a config's problems are: the file, then one line per
// problem with its JSON path and what was expected, all at once.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findTestsFile, parseTestsFile, readTestsFile } from '../../src/config/tests-file.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/project/pm2-mcp.tests.json';

function problemsOf(text: string, file = FILE): { message: string; problems: string[] } {
  try {
    parseTestsFile(file, text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { message: err.message, problems: err.problems };
  }
  assert.fail('the file was accepted');
}

describe('a valid tests file', () => {
  test('JSON: cases with their defaults, and a process table numbered as pm2 numbers it', () => {
    const parsed = parseTestsFile(
      FILE,
      JSON.stringify({
        processes: [{ name: 'api', cwd: 'apps/api', script: 'server.js' }, { name: 'worker', namespace: 'jobs', pm_id: 0 }, { name: 'web', interpreter: 'bash' }],
        cases: [
          { name: 'restart api', tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'allow' },
          { name: 'kill', tool: 'pm2_kill_daemon', expect: 'deny', rule: 'tools.pm2_kill_daemon' },
          { name: 'delete asks', tool: 'pm2_delete_process', args: { process: 'api' }, expect: 'ask' },
        ],
      }),
    );
    assert.deepEqual(parsed.processes, [
      { name: 'api', namespace: 'default', cwd: 'apps/api', pm_id: 1, script: 'server.js' },
      { name: 'worker', namespace: 'jobs', cwd: '.', pm_id: 0 },
      { name: 'web', namespace: 'default', cwd: '.', pm_id: 2, interpreter: 'bash' },
    ]);
    assert.deepEqual(parsed.cases, [
      { name: 'restart api', tool: 'pm2_restart_process', args: { process: 'api' }, expect: 'allow' },
      { name: 'kill', tool: 'pm2_kill_daemon', args: {}, expect: 'deny', rule: 'tools.pm2_kill_daemon' },
      { name: 'delete asks', tool: 'pm2_delete_process', args: { process: 'api' }, expect: 'ask' },
    ]);
  });

  test('YAML reads the same, and no process table is an empty one', () => {
    const yaml = ['cases:', '  - name: list', '    tool: pm2_list_processes', '    expect: allow', ''].join('\n');
    const parsed = parseTestsFile('/project/pm2-mcp.tests.yaml', yaml);
    assert.deepEqual(parsed, { file: '/project/pm2-mcp.tests.yaml', processes: [], cases: [{ name: 'list', tool: 'pm2_list_processes', args: {}, expect: 'allow' }] });
    assert.deepEqual(parseTestsFile('/p/pm2-mcp.tests.yml', yaml).cases.length, 1);
  });
});

describe('an invalid tests file names the file, the key and what was expected', () => {
  test('every problem at once, under one header', () => {
    const { message, problems } = problemsOf(
      JSON.stringify({
        processes: [{ name: 'api', pm_id: -1 }, { namespace: 'x' }],
        cases: [
          { name: 'a', tool: 'pm2_format_disk', expect: 'allow' },
          { name: 'b', tool: 'pm2_list_processes', expect: 'maybe', expekt: 'allow' },
          { tool: 'pm2_list_processes', expect: 'deny' },
          { name: 'd', tool: 'pm2_stop_process', args: ['api'], expect: 'deny' },
        ],
        extra: true,
      }),
    );
    assert.match(message, /^Invalid tests file \/project\/pm2-mcp\.tests\.json:\n {2}- /);
    assert.deepEqual(new Set(problems), new Set([
      'processes[0].pm_id: expected at least 0, got -1',
      'processes[1]: missing required key "name"',
      `cases[0].tool: expected one of ${problemsTools()}, got "pm2_format_disk"`,
      'cases[1].expect: expected one of "allow", "deny", "ask", got "maybe"',
      'cases[1].expekt: unknown key (expected one of name, tool, args, expect, rule)',
      'cases[2]: missing required key "name"',
      'cases[3].args: expected an object, got an array',
      'extra: unknown key (expected one of $schema, processes, cases)',
    ]));
  });

  test('no case, no cases key, a pm_id given twice', () => {
    assert.deepEqual(problemsOf('{"cases": []}').problems, ['cases: expected at least 1 item']);
    assert.deepEqual(problemsOf('{}').problems, ['(root): missing required key "cases"']);
    const twice = JSON.stringify({ processes: [{ name: 'a', pm_id: 3 }, { name: 'b', pm_id: 3 }], cases: [{ name: 'x', tool: 'pm2_dump', expect: 'deny' }] });
    assert.deepEqual(problemsOf(twice).problems, ['processes[1].pm_id: 3 is the pm_id of processes[0] too (expected a pm_id of its own)']);
  });

  test('text that is no JSON or YAML, an empty file, another extension', () => {
    assert.match(problemsOf('{"cases": [').problems[0]!, /^\(root\): not valid JSON: /);
    assert.match(problemsOf('cases: [\n', '/p/pm2-mcp.tests.yaml').problems[0]!, /^\(root\): not valid YAML: /);
    assert.deepEqual(problemsOf('# nothing\n', '/p/pm2-mcp.tests.yml').problems, ['(root): the file is empty (expected an object)']);
    assert.deepEqual(problemsOf('[]').problems, ['(root): expected an object, got an array']);
    assert.deepEqual(problemsOf('{}', '/p/tests.toml').problems, ['(root): a tests file ends in .json, .yaml or .yml']);
  });

  test('a missing file, and two tests files in one folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-tests-file-'));
    assert.throws(() => readTestsFile(join(dir, 'pm2-mcp.tests.json')), (err: unknown) => err instanceof ConfigError && err.problems[0] === 'file not found');
    assert.equal(findTestsFile(dir), undefined);
    writeFileSync(join(dir, 'pm2-mcp.tests.json'), '{}');
    assert.equal(findTestsFile(dir), join(dir, 'pm2-mcp.tests.json'));
    writeFileSync(join(dir, 'pm2-mcp.tests.yaml'), 'cases: []\n');
    assert.throws(() => findTestsFile(dir), (err: unknown) => err instanceof ConfigError && /pm2-mcp\.tests\.yaml exists too: keep one tests file/.test(err.problems[0]!));
  });
});

/** The tools a case may name, as the message lists them. */
function problemsTools(): string {
  const { problems } = problemsOf(JSON.stringify({ cases: [{ name: 'a', tool: 'x', expect: 'allow' }] }));
  const listed = /expected one of (.*), got "x"$/.exec(problems[0]!)?.[1];
  assert.ok(listed !== undefined && listed.includes('"pm2_restart_process"'), problems[0]);
  return listed;
}
