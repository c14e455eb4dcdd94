// Hints for `pm2-mcp check`: path globs of the config that match nothing under the root are
// usually typos (a policy that allows nothing is valid, just rarely meant). The walk is bounded
// so a check over a huge tree stays quick, and says so when it could not look everywhere.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { absoluteGlob, insideRoot, pathMatcher, type Matcher } from '../policy/globs.js';
import type { Pm2McpConfig } from '../model/config.js';

export interface WalkLimits {
  maxEntries: number;
  maxDepth: number;
}

export const WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({ maxEntries: 20_000, maxDepth: 12 });

const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/** The same options as the policy's path matchers (src/policy/globs.ts). */

interface PathGlob {
  /** Where it is in the config, e.g. start.scripts[1]. */
  where: string;
  pattern: string;
  re: Matcher;
  matched: boolean;
}

/** The literal part of an absolute glob before its first magic segment: /opt/apps/** → /opt/apps. */
function staticBase(glob: string): string {
  const parts = glob.split('/');
  const literal: string[] = [];
  for (const part of parts) {
    if (/[*?[\]{}()!+@\\]/.test(part)) break;
    literal.push(part);
  }
  const base = literal.join('/');
  return base === '' ? '/' : base;
}

/** `root` is a real path (LoadedConfig.root); `limits` is for tests. */
export async function globWarnings(config: Pm2McpConfig, root: string, limits: WalkLimits = WALK_LIMITS): Promise<string[]> {
  const start = config.start ?? {};
  const lists: Array<[string, string[] | undefined]> = [
    ['start.scripts', start.scripts],
    ['start.cwd', start.cwd],
    ['start.ecosystemFiles', start.ecosystemFiles],
    ['start.logFiles', start.logFiles],
  ];
  const warnings: string[] = [];
  const globs: PathGlob[] = [];
  for (const [key, patterns] of lists) {
    (patterns ?? []).forEach((pattern, i) => {
      const where = `${key}[${i}]`;
      const abs = absoluteGlob(pattern, root);
      // Only what lies under the root is walked; an absolute glob (or a relative one climbing out
      // with ..) elsewhere can't be judged by this walk.
      if (!insideRoot(staticBase(abs), root)) {
        warnings.push(`${where}: ${JSON.stringify(pattern)} is outside the root; not checked`);
        return;
      }
      // The policy's own matcher (minimatch's match(), never makeRe: it drops a trailing /**).
      globs.push({ where, pattern, re: pathMatcher([pattern], root), matched: false });
    });
  }
  if (globs.length === 0) return warnings;

  const walk = await walkMatching(root, globs, limits);
  for (const g of globs) {
    if (g.matched) continue;
    const partial = walk.truncated ? ` (only ${walk.truncated} were searched)` : '';
    warnings.push(`${g.where}: ${JSON.stringify(g.pattern)} matches nothing under ${root}${partial}`);
  }
  return warnings;
}

/**
 * Visits the root and what lies under it (breadth first, symlinks not followed: policy globs match
 * real paths), marking each glob that matches some path. Stops once every glob has matched.
 */
async function walkMatching(root: string, globs: PathGlob[], limits: WalkLimits): Promise<{ truncated: string | null }> {
  let pending = globs.length;
  const visit = (path: string): boolean => {
    for (const g of globs) {
      if (!g.matched && g.re.test(path)) {
        g.matched = true;
        pending--;
      }
    }
    return pending === 0;
  };
  if (visit(root)) return { truncated: null };

  let entries = 0;
  let tooDeep = false;
  let level = [root];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > limits.maxDepth) {
      tooDeep = true;
      break;
    }
    const next: string[] = [];
    for (const dir of level) {
      let children;
      try {
        children = await readdir(dir, { withFileTypes: true });
      } catch {
        continue; // unreadable: nothing to match there
      }
      for (const child of children) {
        if (child.isSymbolicLink()) continue;
        if (child.isDirectory() && SKIPPED_DIRS.has(child.name)) continue;
        if (++entries > limits.maxEntries) return { truncated: `the first ${limits.maxEntries} entries` };
        const path = join(dir, child.name);
        if (visit(path)) return { truncated: null };
        if (child.isDirectory()) next.push(path);
      }
    }
    level = next;
  }
  return { truncated: tooDeep ? `the top ${limits.maxDepth} levels` : null };
}
