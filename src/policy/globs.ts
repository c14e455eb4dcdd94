// Matchers the policy compiles once. Path globs match REAL absolute paths (minimatch, dot files
// included, no negation, no comments); name globs (env names, process names, interpreter
// arguments) are plain wildcards where * is any run of characters and ? one character.
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { Minimatch } from 'minimatch';

export interface Matcher {
  /** The patterns as written in the config, for messages. */
  readonly patterns: readonly string[];
  test(value: string): boolean;
}

const NEVER: Matcher = { patterns: [], test: () => false };

/**
 * Relative globs resolve against the root; "." is the root itself. The root is a literal path:
 * its own [, {, * … are escaped, so a root "/r/proj[1]" never reads as a character class.
 */
export function absoluteGlob(pattern: string, root: string): string {
  if (isAbsolute(pattern)) return pattern;
  const joined = resolve(root, pattern);
  const rest = joined === root ? '' : joined.slice(root.length);
  if (!joined.startsWith(root)) return joined; // "../x": leaves the root; nothing of it to escape
  return escapeGlob(root) + rest;
}

/** minimatch's own escape leaves braces, which brace expansion would still expand. */
function escapeGlob(literal: string): string {
  return literal.replace(/[[\]{}()*?!+@,\\]/g, '\\$&');
}

/** Only normalized absolute paths can match: a ".." or "//" in a value is refused, never interpreted. */
function normalizedAbsolute(value: string): boolean {
  return !value.includes('\0') && isAbsolute(value) && normalize(value) === value;
}

/**
 * Matched with minimatch's own match(), never makeRe(): minimatch 10's makeRe drops the trailing
 * "/**" of a rooted pattern with two globstars ("/r/**\/node_modules/**" became a regex ending in
 * "node_modules$"), so the presets' exclusions matched nothing. Compiled on first use: most of a
 * policy's matchers never run in a short session.
 */
export function pathMatcher(patterns: readonly string[], root: string): Matcher {
  if (patterns.length === 0) return NEVER;
  let globs: Minimatch[] | undefined;
  const compiled = () => (globs ??= patterns.flatMap((p) => compileGlob(absoluteGlob(p, root))));
  return {
    patterns,
    test: (value) => normalizedAbsolute(value) && compiled().some((m) => m.match(value)),
  };
}

/** How every glob of a config is read: dot files match, no negation, no comments (check and validate read them alike). */
export const GLOB_OPTIONS = { dot: true, nonegate: true, nocomment: true } as const;

/**
 * "x/**" covers the folder x itself too (a config that allows "app/**" as cwd means app and what
 * is below it); minimatch's match() wants "x/" for that, and values are normalized paths without
 * a trailing slash. So "x/**" also compiles as "x".
 */
function compileGlob(glob: string): Minimatch[] {
  const globs = [new Minimatch(glob, GLOB_OPTIONS)];
  const folder = glob.replace(/(?:\/\*\*)+$/, '');
  // "/**" is left alone: it already matches "/", and "" would match nothing worth matching.
  if (folder !== glob && folder !== '') globs.push(new Minimatch(folder, GLOB_OPTIONS));
  return globs;
}

export function nameMatcher(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return NEVER;
  const source = patterns.map((p) => [...p].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('')).join('|');
  const re = new RegExp(`^(?:${source})$`, 'su');
  return { patterns, test: (value) => !value.includes('\0') && re.test(value) };
}

/** Is `path` the root or inside it? A prefix test on whole path segments: /app is not inside /ap. */
export function insideRoot(path: string, root: string): boolean {
  if (!normalizedAbsolute(path)) return false;
  if (root === sep) return path.startsWith(sep);
  return path === root || path.startsWith(root + sep);
}
