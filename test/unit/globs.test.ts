// Attack tables for the policy's matchers (src/policy/globs.ts): path globs over real absolute
// paths, name globs over env names / process names / interpreter arguments, and the whole-segment
// root test. Each row says what a careful reader of the config would expect.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteGlob, insideRoot, nameMatcher, pathMatcher } from '../../src/policy/globs.js';

interface PathCase {
  name: string;
  patterns: string[];
  root: string;
  value: string;
  match: boolean;
  /** A known gap, kept visible: the row states the expected behaviour. */
  todo?: string;
}

const opts = (todo?: string) => (todo ? { todo } : {});

describe('pathMatcher', () => {
  const cases: PathCase[] = [
    // prefix tricks: a glob over a folder must not reach a sibling that shares its prefix
    { name: 'app/** does not match the sibling app-evil', patterns: ['app/**'], root: '/r', value: '/r/app-evil/x', match: false },
    { name: 'app/** does not match app-evil itself', patterns: ['app/**'], root: '/r', value: '/r/app-evil', match: false },
    { name: 'app/* does not match the sibling appx', patterns: ['app/*'], root: '/r', value: '/r/appx', match: false },
    { name: 'app/** matches a file deep inside app', patterns: ['app/**'], root: '/r', value: '/r/app/a/b/c.js', match: true },
    { name: 'app/** matches the folder app itself', patterns: ['app/**'], root: '/r', value: '/r/app', match: true },
    { name: 'a plain folder pattern matches only that folder', patterns: ['app'], root: '/r', value: '/r/app/x', match: false },
    { name: 'a plain folder pattern matches the folder', patterns: ['app'], root: '/r', value: '/r/app', match: true },
    { name: 'the root of another project with the same prefix', patterns: ['./**'], root: '/r/app', value: '/r/app-evil/x.js', match: false },
    // "." is the root
    { name: '"." is the root itself', patterns: ['.'], root: '/r', value: '/r', match: true },
    { name: '"./" is the root itself', patterns: ['./'], root: '/r', value: '/r', match: true },
    { name: '"." does not reach inside the root', patterns: ['.'], root: '/r', value: '/r/x', match: false },
    { name: '"./**" matches the root', patterns: ['./**'], root: '/r', value: '/r', match: true },
    { name: '"./**" matches inside the root', patterns: ['./**'], root: '/r', value: '/r/a/b.js', match: true },
    { name: '"./**" does not match the parent', patterns: ['./**'], root: '/r/p', value: '/r', match: false },
    { name: '"./**" does not match outside', patterns: ['./**'], root: '/r', value: '/etc/passwd', match: false },
    { name: '"../x" leaves the root as written (the config owner wrote it)', patterns: ['../x/*.js'], root: '/r/p', value: '/r/x/a.js', match: true },
    // dot files: documented, * and ** match them
    { name: '* matches a dot file', patterns: ['*'], root: '/r', value: '/r/.env', match: true },
    { name: 'app/*.js matches a dot file', patterns: ['app/*.js'], root: '/r', value: '/r/app/.x.js', match: true },
    { name: '** walks through dot folders', patterns: ['./**'], root: '/r', value: '/r/a/.git/config', match: true },
    // NUL bytes
    { name: 'a NUL byte never matches', patterns: ['./**'], root: '/r', value: '/r/a\0.js', match: false },
    { name: 'a NUL byte never matches /**', patterns: ['/**'], root: '/r', value: '/etc\0/passwd', match: false },
    // relative values
    { name: 'a relative value never matches', patterns: ['app/**'], root: '/r', value: 'app/x', match: false },
    { name: 'a relative value never matches **', patterns: ['**'], root: '/r', value: 'x', match: false },
    { name: 'a ./relative value never matches', patterns: ['./**'], root: '/r', value: './x', match: false },
    { name: 'an empty value never matches', patterns: ['./**'], root: '/r', value: '', match: false },
    // case, negation, comments
    { name: 'matching is case sensitive', patterns: ['APP/**'], root: '/r', value: '/r/app/x', match: false },
    { name: 'a leading ! is not a negation', patterns: ['!app/**'], root: '/r', value: '/r/x', match: false },
    { name: 'a leading # is not a comment', patterns: ['#app'], root: '/r', value: '/r/#app', match: true },
    // empty pattern list
    { name: 'no patterns match nothing', patterns: [], root: '/r', value: '/r', match: false },
    { name: 'no patterns match nothing, even under /', patterns: [], root: '/', value: '/x', match: false },
    // root "/"
    { name: 'root /: ./** matches any absolute path', patterns: ['./**'], root: '/', value: '/etc/passwd', match: true },
    { name: 'root /: ./** matches /', patterns: ['./**'], root: '/', value: '/', match: true },
    { name: 'root /: "." is /', patterns: ['.'], root: '/', value: '/', match: true },
    { name: '/** matches everything absolute', patterns: ['/**'], root: '/r', value: '/etc/passwd', match: true },
    { name: 'an absolute pattern ignores the root', patterns: ['/opt/app/*.js'], root: '/r', value: '/opt/app/a.js', match: true },
    // a root that holds a space is still literal
    { name: 'a root with a space', patterns: ['./**'], root: '/r/a b', value: '/r/a b/x', match: true },
    // a root holding glob syntax: the root is a folder name, not a pattern
    {
      name: 'a root holding [..] does not match a sibling folder the class would spell',
      patterns: ['./**'], root: '/r/proj[1]', value: '/r/proj1/x.js', match: false,
    },
    {
      name: 'a root holding [..] matches its own files',
      patterns: ['./**'], root: '/r/proj[1]', value: '/r/proj[1]/x.js', match: true,
    },
    {
      name: 'a root holding {a,b} does not match a sibling the braces expand to',
      patterns: ['./**'], root: '/r/a{b,c}', value: '/r/ab/x.js', match: false,
    },
    // lexical . and .. segments: callers pass real paths, but a pure guard should not need that
    {
      name: 'a .. segment does not walk out of app/**',
      patterns: ['app/**'], root: '/r', value: '/r/app/../etc/passwd', match: false,
    },
  ];
  for (const c of cases) {
    test(c.name, opts(c.todo), () => {
      assert.equal(pathMatcher(c.patterns, c.root).test(c.value), c.match, `${JSON.stringify(c.patterns)} @ ${c.root} vs ${JSON.stringify(c.value)}`);
    });
  }

  test('patterns are kept as written, for messages', () => {
    assert.deepEqual(pathMatcher(['apps/**', '.'], '/r').patterns, ['apps/**', '.']);
    assert.deepEqual(pathMatcher([], '/r').patterns, []);
  });
});

describe('nameMatcher', () => {
  const cases: { name: string; patterns: string[]; value: string; match: boolean }[] = [
    { name: 'exact name', patterns: ['api'], value: 'api', match: true },
    { name: 'no prefix match', patterns: ['api'], value: 'api-evil', match: false },
    { name: 'no suffix match', patterns: ['api'], value: 'evil-api', match: false },
    { name: 'case sensitive', patterns: ['api'], value: 'API', match: false },
    { name: '* is any run', patterns: ['worker-*'], value: 'worker-1', match: true },
    { name: '* may be empty', patterns: ['worker-*'], value: 'worker-', match: true },
    { name: '* is anchored', patterns: ['worker-*'], value: 'x-worker-1', match: false },
    { name: '* alone matches the empty name', patterns: ['*'], value: '', match: true },
    { name: '* spans a newline', patterns: ['*'], value: 'a\nb', match: true },
    { name: '? is exactly one character', patterns: ['a?c'], value: 'abc', match: true },
    { name: '? is not zero characters', patterns: ['a?c'], value: 'ac', match: false },
    { name: '? is not two characters', patterns: ['a?c'], value: 'abbc', match: false },
    { name: '? is one code point (emoji)', patterns: ['?'], value: '🙂', match: true },
    { name: 'unicode: café-* matches café-1', patterns: ['café-*'], value: 'café-1', match: true },
    { name: 'unicode: café-* does not match cafe-1', patterns: ['café-*'], value: 'cafe-1', match: false },
    { name: 'unicode: decomposed é is another name (fails closed)', patterns: ['café-*'], value: 'cafe\u0301-1', match: false },
    // regex metacharacters are literal
    { name: '. is literal', patterns: ['a.b'], value: 'aXb', match: false },
    { name: '. matches a dot', patterns: ['a.b'], value: 'a.b', match: true },
    { name: '(x) is literal', patterns: ['(x)'], value: '(x)', match: true },
    { name: '(x) is not a group', patterns: ['(x)'], value: 'x', match: false },
    { name: '\\d is literal', patterns: ['\\d'], value: '\\d', match: true },
    { name: '\\d is not a digit class', patterns: ['\\d'], value: '1', match: false },
    { name: '| is not an alternative', patterns: ['a|b'], value: 'a', match: false },
    { name: '| is literal', patterns: ['a|b'], value: 'a|b', match: true },
    { name: '[ab] is not a class', patterns: ['[ab]'], value: 'a', match: false },
    { name: '[ab] is literal', patterns: ['[ab]'], value: '[ab]', match: true },
    { name: '{2} is not a quantifier', patterns: ['x{2}'], value: 'xx', match: false },
    { name: '+ is not a quantifier', patterns: ['a+'], value: 'aa', match: false },
    { name: '^ and $ are literal', patterns: ['^a$'], value: '^a$', match: true },
    { name: '$ does not anchor early', patterns: ['^a$'], value: 'a', match: false },
    // several patterns
    { name: 'one of several patterns', patterns: ['NODE_ENV', 'PORT', 'APP_*'], value: 'APP_MODE', match: true },
    { name: 'none of several patterns', patterns: ['NODE_ENV', 'PORT', 'APP_*'], value: 'NODE_OPTIONS', match: false },
    { name: 'an alternative does not leak across patterns', patterns: ['a', 'b'], value: 'a|b', match: false },
    // NUL and empty lists
    { name: 'a NUL byte never matches', patterns: ['*'], value: 'a\0', match: false },
    { name: 'a NUL byte never matches an exact name', patterns: ['api\0'], value: 'api\0', match: false },
    { name: 'no patterns match nothing', patterns: [], value: 'api', match: false },
    { name: 'no patterns do not match the empty name', patterns: [], value: '', match: false },
    // interpreter arguments
    { name: 'an argument glob does not accept a second flag after it', patterns: ['--enable-source-maps'], value: '--enable-source-maps --require=x', match: false },
    { name: 'an argument value glob', patterns: ['--max-old-space-size=*'], value: '--max-old-space-size=512', match: true },
    { name: '--require is not --max-old-space-size', patterns: ['--max-old-space-size=*'], value: '--require=/tmp/x.js', match: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(nameMatcher(c.patterns).test(c.value), c.match, `${JSON.stringify(c.patterns)} vs ${JSON.stringify(c.value)}`);
    });
  }
});

describe('insideRoot', () => {
  const cases: { name: string; path: string; root: string; inside: boolean; todo?: string }[] = [
    { name: 'the root itself', path: '/r/app', root: '/r/app', inside: true },
    { name: 'a child', path: '/r/app/x', root: '/r/app', inside: true },
    { name: 'a deep child', path: '/r/app/a/b/c', root: '/r/app', inside: true },
    { name: 'prefix trick: app-evil is not inside app', path: '/r/app-evil', root: '/r/app', inside: false },
    { name: 'prefix trick: a child of app-evil', path: '/r/app-evil/x', root: '/r/app', inside: false },
    { name: 'prefix trick: appx', path: '/r/appx', root: '/r/app', inside: false },
    { name: 'the parent is not inside', path: '/r', root: '/r/app', inside: false },
    { name: 'a sibling', path: '/r/other', root: '/r/app', inside: false },
    { name: 'a NUL byte', path: '/r/app/\0', root: '/r/app', inside: false },
    { name: 'a NUL byte that could cut the path', path: '/r/app\0-evil', root: '/r/app', inside: false },
    { name: 'root /: any absolute path', path: '/etc/passwd', root: '/', inside: true },
    { name: 'root /: / itself', path: '/', root: '/', inside: true },
    { name: 'root /: a relative path is not inside', path: 'etc', root: '/', inside: false },
    { name: 'a relative path is not inside', path: 'r/app/x', root: '/r/app', inside: false },
    { name: 'a trailing slash on the path', path: '/r/app/', root: '/r/app', inside: true },
    {
      name: 'a .. segment does not walk out',
      path: '/r/app/../etc', root: '/r/app', inside: false,
    },
  ];
  for (const c of cases) {
    test(c.name, opts(c.todo), () => {
      assert.equal(insideRoot(c.path, c.root), c.inside, `${JSON.stringify(c.path)} in ${c.root}`);
    });
  }
});

describe('absoluteGlob', () => {
  const cases: { pattern: string; root: string; expected: string }[] = [
    { pattern: '.', root: '/r', expected: '/r' },
    { pattern: './', root: '/r', expected: '/r' },
    { pattern: './**', root: '/r', expected: '/r/**' },
    { pattern: 'apps/**/*.js', root: '/r', expected: '/r/apps/**/*.js' },
    { pattern: '/opt/**', root: '/r', expected: '/opt/**' },
    { pattern: '../x', root: '/r/p', expected: '/r/x' },
    { pattern: 'apps/../outside/*.js', root: '/r', expected: '/r/outside/*.js' },
    { pattern: '.', root: '/', expected: '/' },
    { pattern: './**', root: '/', expected: '/**' },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.pattern)} under ${c.root} → ${c.expected}`, () => {
      assert.equal(absoluteGlob(c.pattern, c.root), c.expected);
    });
  }
});
