// The one validator of process names and namespaces (src/policy/names.ts): what it lets through
// must be a name pm2 maps to itself in a log file name, so that no two names share a log file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultName, NAME_MAX_LENGTH, nameRefusal } from '../../src/model/names.js';

/** pm2's own mapping of a name to its log file name (node_modules/pm2/lib/Common.js, ~line 201). */
const pm2LogName = (name: string) => name.replace(/[^a-zA-Z0-9\\.\\-]/g, '-');

const ACCEPTED: Array<[string, string]> = [
  ['a plain name', 'api'],
  ['dashes and dots', 'api-server.v2'],
  ['mixed case and digits', 'Worker2'],
  ['starts with a digit', '2fa-worker'],
  ['one character', 'a'],
  ['the longest', 'a'.repeat(NAME_MAX_LENGTH)],
  ['pm2\'s default namespace', 'default'],
  ['a trailing dot', 'api.'],
  ['"all" inside a longer name', 'allocator'],
  ['digits with a letter', '123a'],
];

const REFUSED: Array<[string, string, RegExp]> = [
  ['empty', '', /empty/],
  ['too long', 'a'.repeat(NAME_MAX_LENGTH + 1), /longer than 64/],
  ['underscore: pm2 maps it to "-" (api_server shares api-server\'s log)', 'api_server', /letters/],
  ['ESC sequence', 'api\u001b[31mred', /letters/],
  ['a bare ESC', '\u001b', /letters/],
  ['U+202E right-to-left override', 'api\u202Egnp.exe', /letters/],
  ['U+200B zero-width space', 'api\u200B', /letters/],
  ['U+FEFF byte order mark', '\uFEFFapi', /letters/],
  ['NUL', 'api\u0000', /letters/],
  ['newline', 'api\nrm', /letters/],
  ['tab', 'api\tx', /letters/],
  ['space', 'api server', /letters/],
  ['slash: a path to pm2', 'apps/api', /letters/],
  ['a /regex/', '/^api/', /letters/],
  ['backslash (pm2 keeps it, but it is a path separator on Windows)', 'api\\x', /letters/],
  ['colon (pm2\'s name_prefix separator)', 'ns:api', /letters/],
  ['a Cyrillic homoglyph', 'аpi', /letters/],
  ['fullwidth letters', 'ａｐｉ', /letters/],
  ['starts with a dash (reads as a flag)', '-api', /starting with a letter or digit/],
  ['starts with a dot (a hidden file)', '.api', /starting with a letter or digit/],
  ['"all" is every process', 'all', /every process/],
  ['"ALL" too (pm2 compares exactly, people do not)', 'ALL', /every process/],
  ['a number reads as a pm_id', '0', /pm_id/],
  ['a long number', '123456', /pm_id/],
  ['".." inside', 'a..b', /parent folder/],
  ['".." at the end', 'a..', /parent folder/],
  ['glob characters', 'api*', /letters/],
  ['shell metacharacters', 'a;touch$(x)', /letters/],
];

for (const [what, name] of ACCEPTED) {
  test(`accepted: ${what} (${JSON.stringify(name)})`, () => {
    assert.equal(nameRefusal(name), undefined);
    assert.equal(nameRefusal(name, 'namespace'), undefined);
    // The property the character set is chosen for: pm2's log file name is the name itself.
    assert.equal(pm2LogName(name), name);
  });
}

for (const [what, name, reason] of REFUSED) {
  test(`refused: ${what}`, () => {
    const why = nameRefusal(name);
    assert.ok(why, `${JSON.stringify(name)} was accepted`);
    assert.match(why, reason);
    assert.match(why, /^The process name /);
    assert.match(nameRefusal(name, 'namespace') ?? '', /^The namespace /);
  });
}

test('every name pm2 would map to another name is refused: no two accepted names share a log file', () => {
  // Every printable ASCII character, and a few beyond, in the middle of a name.
  const chars = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\u00e9', '\u202e', '\u200b', '\u001b', '\u007f'];
  for (const ch of chars) {
    const name = `a${ch}b`;
    if (nameRefusal(name) === undefined) assert.equal(pm2LogName(name), name, `${JSON.stringify(name)} accepted but pm2 writes ${pm2LogName(name)}`);
  }
});

test('the refusal message escapes what it quotes: no raw control character reaches a terminal', () => {
  const why = nameRefusal('x\u001b[2Jy') ?? '';
  assert.ok(!why.includes('\u001b'), why);
  assert.ok(why.includes('\\u001b'), why);
});

const DEFAULTS: Array<[string, string]> = [
  ['server', 'server'],
  ['my_app', 'my-app'],
  ['hello world', 'hello-world'],
  ['api.v2', 'api.v2'],
  ['naïve', 'na-ve'],
];
for (const [base, expected] of DEFAULTS) {
  test(`default name of a script "${base}" is ${JSON.stringify(expected)}, and passes the validator`, () => {
    assert.equal(defaultName(base), expected);
    assert.equal(nameRefusal(expected), undefined);
  });
}

test('a default name that is still not a name stays refused (a script "1.js", "_x.js")', () => {
  assert.match(nameRefusal(defaultName('1')) ?? '', /pm_id/);
  assert.match(nameRefusal(defaultName('_x')) ?? '', /starting with a letter or digit/);
});
