// Bounds on client values, checked without recursion: a table of what passes and what does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CHARS, MAX_DEPTH, MAX_NODES, valueBoundsProblem } from '../../src/bounded-value.js';

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const CASES: Array<[string, unknown, RegExp | undefined]> = [
  ['a start\'s arguments', { script: 'app.js', env: { A: '1', B: '2' }, args: ['--port', '3000'] }, undefined],
  ['nothing', undefined, undefined],
  ['null', null, undefined],
  [`${MAX_DEPTH} levels`, nested(MAX_DEPTH), undefined],
  [`${MAX_DEPTH + 1} levels`, nested(MAX_DEPTH + 1), /nested deeper than 32 levels/],
  ['100 000 levels', nested(100_000), /nested deeper/],
  ['a long array', Array.from({ length: MAX_NODES + 1 }, () => 0), /more than 20000 values/],
  ['many keys', Object.fromEntries(Array.from({ length: MAX_NODES + 1 }, (_, i) => [`k${i}`, 0])), /more than 20000 values/],
  ['a huge string', 'x'.repeat(MAX_CHARS + 1), /characters in all/],
  ['a huge key', { ['k'.repeat(MAX_CHARS + 1)]: 1 }, /characters in all/],
  ['__proto__ as parsed from JSON', JSON.parse('{"__proto__": {"instances": 64}}'), /__proto__/],
  ['__proto__ deep inside', JSON.parse('{"env": {"__proto__": "x"}}'), /__proto__/],
  ['constructor is just a key', { constructor: 'x' }, undefined],
];

for (const [name, value, problem] of CASES) {
  test(`bounds: ${name}`, () => {
    const got = valueBoundsProblem(value);
    if (problem === undefined) assert.equal(got, undefined);
    else assert.match(got ?? '', problem);
  });
}
