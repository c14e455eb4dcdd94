// Claude Code's own guard over the files that decide what pm2-mcp allows: a `permissions.deny`
// rule `Edit(<pattern>)` in one of its settings files keeps its file tools (Edit, Write …) off
// the files the pattern matches. `pm2-mcp doctor` reads those rules to say whether the config,
// and the scripts it lets run, are protected from the agent. Patterns follow Claude Code's
// documentation: gitignore's rules, with `//path` absolute, `~/path` under the home folder,
// `/path` from the project folder, and `path` or `./path` from the project folder too (Claude
// Code's working folder, which is where it is started: the project).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { Minimatch } from 'minimatch';

export interface DenyRule {
  /** As written: `Edit(pm2-mcp.config.json)`, or `Edit` alone (every file). */
  rule: string;
  /** The settings file it is in. */
  file: string;
  /** The folder relative patterns start from. */
  base: string;
  matches(path: string): boolean;
}

/** The settings files of a project folder (shared, then personal), where a team's rule belongs first. */
export function projectSettingsFiles(projectDir: string): string[] {
  return [join(projectDir, '.claude', 'settings.json'), join(projectDir, '.claude', 'settings.local.json')];
}

/** Claude Code's user and managed (system-wide) settings: their rules hold in every project. */
export function userSettingsFiles(home: string = homedir()): string[] {
  const managed = process.platform === 'darwin' ? '/Library/Application Support/ClaudeCode/managed-settings.json' : '/etc/claude-code/managed-settings.json';
  return [join(home, '.claude', 'settings.json'), managed];
}

export interface SettingsRead {
  rules: DenyRule[];
  /** The settings files that exist and were read. */
  read: string[];
  /** Files that exist but could not be read as JSON: their rules are unknown. */
  unreadable: Array<{ file: string; why: string }>;
}

/** The Edit deny rules of `files`; relative patterns start from `projectDir`. */
export function readDenyRules(files: readonly string[], projectDir: string, home: string = homedir()): SettingsRead {
  const out: SettingsRead = { rules: [], read: [], unreadable: [] };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.unreadable.push({ file, why: (err as Error).message });
      continue;
    }
    let deny: unknown;
    try {
      deny = (JSON.parse(text) as { permissions?: { deny?: unknown } } | null)?.permissions?.deny;
    } catch (err) {
      out.unreadable.push({ file, why: (err as Error).message });
      continue;
    }
    out.read.push(file);
    if (!Array.isArray(deny)) continue;
    for (const entry of deny) {
      const rule = typeof entry === 'string' ? editRule(entry, file, projectDir, home) : undefined;
      if (rule) out.rules.push(rule);
    }
  }
  return out;
}

/** The first rule that keeps Claude Code's file tools off `path`. */
export function ruleCovering(path: string, rules: readonly DenyRule[]): DenyRule | undefined {
  return rules.find((r) => r.matches(path));
}

/** `Edit` or `Edit(<pattern>)` (Claude Code checks file edits against Edit rules only). */
function editRule(text: string, file: string, base: string, home: string): DenyRule | undefined {
  const trimmed = text.trim();
  if (trimmed === 'Edit' || trimmed === 'Edit(*)' || trimmed === 'Edit(**)') return { rule: trimmed, file, base, matches: () => true };
  const m = /^Edit\((.+)\)$/s.exec(trimmed);
  if (!m) return undefined;
  const globs = absoluteGlobs(m[1]!, base, home);
  const matchers = globs.map((g) => new Minimatch(g, { dot: true, nonegate: true, nocomment: true }));
  // gitignore: a pattern that matches a folder covers everything under it.
  return { rule: trimmed, file, base, matches: (path) => selfAndFolders(path).some((p) => matchers.some((mm) => mm.match(p))) };
}

function absoluteGlobs(pattern: string, base: string, home: string): string[] {
  let p = pattern;
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  let globs: string[];
  if (p.startsWith('//')) globs = [p.slice(1)];
  else if (p.startsWith('~/')) globs = [join(home, p.slice(2))];
  else {
    const rel = p.startsWith('./') ? p.slice(2) : p.startsWith('/') ? p.slice(1) : p;
    // gitignore: a pattern with no slash but a trailing one matches at any depth below the base.
    const anchored = p.startsWith('/') || p.startsWith('./') || rel.includes('/');
    globs = anchored ? [join(base, rel)] : [join(base, rel), join(base, '**', rel)];
  }
  return globs.map((g) => escapeLiteralBase(g, pattern, base, home));
}

/** The base folder is literal: a "[" or "*" in its name is not a glob. */
function escapeLiteralBase(glob: string, pattern: string, base: string, home: string): string {
  const literal = pattern.startsWith('//') ? '' : pattern.startsWith('~/') ? home : base;
  if (literal === '' || !glob.startsWith(literal)) return glob;
  return literal.replace(/[[\]{}()*?!+@,\\]/g, '\\$&') + glob.slice(literal.length);
}

/** The path and every folder above it, up to the root of the file system. */
function selfAndFolders(path: string): string[] {
  const out = [path];
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) out.push(dir);
  return out;
}

/** The rule to suggest for `path`: relative to the project folder when it lies inside, absolute otherwise. */
export function suggestedRule(path: string, projectDir: string): string {
  const rel = relative(projectDir, path);
  if (rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)) return `Edit(${rel.split(sep).join('/')})`;
  return `Edit(/${path})`;
}
