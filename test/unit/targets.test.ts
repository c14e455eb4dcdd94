import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolError } from '../../src/errors.js';
import { nearestNames, resolveTarget, type ResolvedTarget } from '../../src/pm2/targets.js';
import type { Pm2RawProcess } from '../../src/pm2/types.js';

function proc(pm_id: number, name: string, namespace = 'default'): Pm2RawProcess {
  return { pm_id, name, pm2_env: { pm_id, name, namespace } };
}

// A process named "3" (pm_id 0) next to a process whose pm_id is 3; a cluster "web" of 3
// instances; namespaces "dev" and "jobs", plus a process named like the namespace "jobs".
const LIST: Pm2RawProcess[] = [
  proc(0, '3'),
  proc(1, 'api', 'dev'),
  proc(2, 'worker', 'dev'),
  proc(3, 'db-sync'),
  proc(4, 'web'),
  proc(5, 'web'),
  proc(6, 'web'),
  proc(7, 'jobs', 'batch'),
  proc(8, 'cron-a', 'jobs'),
  proc(9, 'cron-b', 'jobs'),
  proc(10, 'api-v2'),
];

const ALL_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

test('resolveTarget: a table of targets that resolve', async () => {
  const cases: { name: string; input: string | number; expected: ResolvedTarget }[] = [
    { name: 'number → id', input: 1, expected: { asked: 1, kind: 'id', ids: [1] } },
    { name: 'number 0 → id 0', input: 0, expected: { asked: 0, kind: 'id', ids: [0] } },
    { name: 'number 3 is the id 3, not the process named "3"', input: 3, expected: { asked: 3, kind: 'id', ids: [3] } },
    { name: 'string "3" is the process named "3" first', input: '3', expected: { asked: '3', kind: 'name', ids: [0] } },
    { name: 'numeric string with no such name → id', input: '2', expected: { asked: '2', kind: 'id', ids: [2] } },
    { name: 'numeric string, padded → id', input: ' 10 ', expected: { asked: ' 10 ', kind: 'id', ids: [10] } },
    { name: 'name', input: 'api', expected: { asked: 'api', kind: 'name', ids: [1] } },
    { name: 'name, surrounding spaces trimmed', input: '  worker\t', expected: { asked: '  worker\t', kind: 'name', ids: [2] } },
    { name: 'cluster instances sharing a name: all of them', input: 'web', expected: { asked: 'web', kind: 'name', ids: [4, 5, 6] } },
    { name: 'all', input: 'all', expected: { asked: 'all', kind: 'all', ids: ALL_IDS } },
    { name: 'all, padded', input: ' all ', expected: { asked: ' all ', kind: 'all', ids: ALL_IDS } },
    { name: 'namespace', input: 'dev', expected: { asked: 'dev', kind: 'namespace', ids: [1, 2] } },
    { name: 'namespace "default"', input: 'default', expected: { asked: 'default', kind: 'namespace', ids: [0, 3, 4, 5, 6, 10] } },
    { name: 'a name wins over a namespace of the same text', input: 'jobs', expected: { asked: 'jobs', kind: 'name', ids: [7] } },
    { name: 'regex', input: '/^cron-/', expected: { asked: '/^cron-/', kind: 'regex', ids: [8, 9] } },
    { name: 'regex over names, unanchored', input: '/api/', expected: { asked: '/api/', kind: 'regex', ids: [1, 10] } },
    { name: 'regex matching every instance of a cluster', input: '/^w/', expected: { asked: '/^w/', kind: 'regex', ids: [2, 4, 5, 6] } },
    { name: 'regex with a class and an alternation', input: '/^(api|db-[a-z]+)$/', expected: { asked: '/^(api|db-[a-z]+)$/', kind: 'regex', ids: [1, 3] } },
  ];
  for (const c of cases) assert.deepEqual(await resolveTarget(c.input, LIST), c.expected, c.name);
});

async function assertToolError(fn: () => unknown, code: string, includes: string[], label: string): Promise<ToolError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ToolError, `${label}: expected a ToolError, got ${String(caught)}`);
  assert.equal(caught.code, code, label);
  for (const piece of includes) assert.ok(caught.message.includes(piece), `${label}: message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(piece)}`);
  return caught;
}

test('resolveTarget: invalid or over-long regexes → INVALID_ARGUMENTS', async () => {
  const cases: { name: string; input: string; includes: string[] }[] = [
    { name: 'unclosed group', input: '/(abc/', includes: ['/(abc/', 'not a valid regular expression'] },
    { name: 'unclosed class', input: '/[a-/', includes: ['not a valid regular expression'] },
    { name: 'nothing to repeat', input: '/*x/', includes: ['not a valid regular expression'] },
    { name: 'bad escape range', input: '/a{2,1}/', includes: ['not a valid regular expression'] },
    { name: '201 characters', input: `/${'a'.repeat(201)}/`, includes: ['at most 200 characters'] },
    { name: 'a ReDoS-shaped long pattern', input: `/${'(a+)+'.repeat(40)}$/`, includes: ['at most 200 characters'] },
  ];
  for (const c of cases) await assertToolError(() => resolveTarget(c.input, LIST), 'INVALID_ARGUMENTS', c.includes, c.name);
});

test('resolveTarget: a regex of exactly 200 characters is compiled', async () => {
  const source = 'x'.repeat(196) + '|api';
  assert.equal(source.length, 200);
  assert.deepEqual((await resolveTarget(`/${source}/`, LIST)).ids, [1, 10]);
});

test('resolveTarget: strings that only look like a regex are names', async () => {
  const list = [proc(0, '/'), proc(1, '//'), proc(2, '/tmp/x.js')];
  assert.deepEqual(await resolveTarget('/', list), { asked: '/', kind: 'name', ids: [0] });
  assert.deepEqual(await resolveTarget('//', list), { asked: '//', kind: 'name', ids: [1] });
  // A script path is not a target: "/tmp/x.js" does not end with "/", so it is a name.
  assert.deepEqual(await resolveTarget('/tmp/x.js', list), { asked: '/tmp/x.js', kind: 'name', ids: [2] });
  // And the same script path against processes that run it but are named otherwise: not found.
  await assertToolError(() => resolveTarget('/tmp/x.js', [proc(0, 'x')]), 'PROCESS_NOT_FOUND', ['"/tmp/x.js"'], 'script path');
});

test('resolveTarget: unknown targets → PROCESS_NOT_FOUND naming the value and the nearest names', async () => {
  const cases: { name: string; input: string | number; includes: string[]; nearest: string[] }[] = [
    { name: '"ap" → api', input: 'ap', includes: ['No process matches "ap".', 'Nearest existing names: api, 3, api-v2.'], nearest: ['api', '3', 'api-v2'] },
    { name: 'typo "wokrer"', input: 'wokrer', includes: ['"wokrer"', 'worker'], nearest: ['worker'] },
    { name: 'case differs "API"', input: 'API', includes: ['"API"', 'Nearest existing names: api, api-v2.'], nearest: ['api', 'api-v2'] },
    { name: 'unknown id', input: 99, includes: ['No process matches 99.'], nearest: ['3'] },
    { name: 'unknown numeric string', input: '42', includes: ['No process matches "42".'], nearest: ['3'] },
    { name: 'regex matching nothing', input: '/^zzz$/', includes: ['No process matches "/^zzz$/".'], nearest: [] },
    { name: 'far from everything', input: 'completely-unrelated-name', includes: ['"completely-unrelated-name"'], nearest: [] },
    { name: 'negative id', input: -1, includes: ['No process matches -1.'], nearest: ['3'] },
    { name: 'fractional id', input: 1.5, includes: ['No process matches 1.5.'], nearest: [] },
    { name: 'injection-looking name', input: 'api; rm -rf /', includes: ['"api; rm -rf /"'], nearest: ['api'] },
  ];
  for (const c of cases) {
    const err = await assertToolError(() => resolveTarget(c.input, LIST), 'PROCESS_NOT_FOUND', c.includes, c.name);
    assert.deepEqual(err.details, { asked: c.input, nearest: c.nearest }, c.name);
    if (c.nearest.length === 0) assert.ok(!err.message.includes('Nearest'), c.name);
  }
});

test('resolveTarget: "ap" names api among the nearest', async () => {
  const err = await assertToolError(() => resolveTarget('ap', [proc(0, 'api'), proc(1, 'worker')]), 'PROCESS_NOT_FOUND', ['"ap"'], 'ap');
  assert.equal(err.message, 'No process matches "ap". Nearest existing names: api.');
});

test('resolveTarget: an empty list says nothing is managed', async () => {
  const cases: (string | number)[] = ['api', 0, '0', '/x/', 'default'];
  for (const input of cases) {
    const err = await assertToolError(() => resolveTarget(input, []), 'PROCESS_NOT_FOUND', [], String(input));
    assert.equal(err.message, `No process matches ${JSON.stringify(input)}. No process is managed by pm2 right now.`);
  }
});

test('resolveTarget: "all" over an empty list is an empty set, not an error', async () => {
  assert.deepEqual(await resolveTarget('all', []), { asked: 'all', kind: 'all', ids: [] });
});

test('resolveTarget: entries without a numeric pm_id are ignored', async () => {
  const list: Pm2RawProcess[] = [{ name: 'ghost' }, { name: 'stringy', pm_id: '4' as unknown as number }, proc(1, 'real')];
  assert.deepEqual((await resolveTarget('all', list)).ids, [1]);
  await assertToolError(() => resolveTarget('ghost', list), 'PROCESS_NOT_FOUND', ['"ghost"'], 'ghost');
  await assertToolError(() => resolveTarget(4, list), 'PROCESS_NOT_FOUND', ['4'], 'stringy id');
});

test('resolveTarget: name and namespace come from pm2_env when missing at the top', async () => {
  const list: Pm2RawProcess[] = [{ pm2_env: { pm_id: 5, name: 'inner', namespace: 'ns1' } }, { pm_id: 6, pm2_env: {} }];
  assert.deepEqual(await resolveTarget('inner', list), { asked: 'inner', kind: 'name', ids: [5] });
  assert.deepEqual(await resolveTarget('ns1', list), { asked: 'ns1', kind: 'namespace', ids: [5] });
  assert.deepEqual(await resolveTarget('default', list), { asked: 'default', kind: 'namespace', ids: [6] });
});

test('nearestNames: a table', () => {
  const names = ['api', 'api-v2', 'worker', 'web', 'web', 'db-sync', ''];
  const cases: { name: string; input: string; max?: number; expected: string[] }[] = [
    { name: 'prefix', input: 'ap', expected: ['api', 'api-v2'] },
    { name: 'exact', input: 'api', expected: ['api', 'api-v2'] },
    { name: 'one edit', input: 'worker1', expected: ['worker'] },
    { name: 'substring of a long name', input: 'sync', expected: ['db-sync'] },
    { name: 'case-insensitive', input: 'WEB', expected: ['web'] },
    { name: 'duplicates and empty names dropped', input: 'we', expected: ['web'] },
    { name: 'max 1', input: 'api', max: 1, expected: ['api'] },
    { name: 'nothing close', input: 'zzzzzzzzzz', expected: [] },
  ];
  for (const c of cases) assert.deepEqual(nearestNames(c.input, names, c.max), c.expected, c.name);
  assert.deepEqual(nearestNames('api', []), []);
  // At most three by default, closest first, ties by name.
  assert.deepEqual(nearestNames('a', ['a4', 'a2', 'a3', 'a1']), ['a1', 'a2', 'a3']);
  assert.deepEqual(nearestNames('web', ['webb', 'web', 'we']), ['web', 'we', 'webb']);
});
