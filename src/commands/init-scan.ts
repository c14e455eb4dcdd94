// What `pm2-mcp init` finds in a project: its JSON and YAML ecosystem files, read and resolved as
// a start of them would be (src/pm2/start-request.ts: real paths, the interpreter that would
// run), and from their apps the globs, names and interpreters a config needs to let the agent
// start and restart them. A JavaScript ecosystem file is never read: reading it runs it.
import { readdir } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
import { errorMessage } from '../errors.js';
import type { StartApp } from '../model/requests.js';
import { resolveStartApps } from '../pm2/start-request.js';
import { safe } from '../safe-text.js';

export interface FoundEcosystem {
  /** Relative to the root, with "/" between folders. */
  file: string;
  apps: StartApp[];
}

export interface ProjectScan {
  ecosystems: FoundEcosystem[];
  /** What was found and left out, one line each, for the person running init. */
  notes: string[];
}

/** pm2's names for an ecosystem file: ecosystem.config.json, ecosystem.prod.yml, process.json, pm2.json … */
const ECOSYSTEM_NAME = /^(?:ecosystem|process|pm2)(?:\.[A-Za-z0-9_-]+)*\.(?:json|ya?ml|c?js|mjs)$/i;
const JS_EXT = /\.(?:c?js|mjs)$/i;
/** Ecosystem files sit at the root or a few folders down; a bounded walk keeps init quick in a big tree. */
const MAX_DEPTH = 4;
const MAX_ENTRIES = 20_000;
const SKIPPED = new Set(['node_modules']);

export async function scanProject(root: string): Promise<ProjectScan> {
  const notes: string[] = [];
  const ecosystems: FoundEcosystem[] = [];
  const { files, cut } = await ecosystemCandidates(root);
  if (cut) notes.push(`the project has more than ${MAX_ENTRIES} entries: only part of it was searched for ecosystem files`);
  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    if (JS_EXT.test(file)) {
      notes.push(`${safe(rel)}: not added; a JavaScript ecosystem file is executed to be read, so name it yourself in start.ecosystemFiles if you trust it as you trust the config`);
      continue;
    }
    try {
      ecosystems.push({ file: rel, apps: await resolveStartApps({ jsonConfigFile: file }, root) });
    } catch (err) {
      notes.push(`${safe(rel)}: not added; ${safe(errorMessage(err))}`);
    }
  }
  return { ecosystems, notes };
}

async function ecosystemCandidates(root: string): Promise<{ files: string[]; cut: boolean }> {
  const files: string[] = [];
  let seen = 0;
  let cut = false;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES) {
        cut = true;
        return;
      }
      // Dot folders (.git, .cache …) and dependencies hold no ecosystem file of the project's own;
      // links are not followed: the walk stays in the project.
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED.has(entry.name) && depth < MAX_DEPTH) await walk(path, depth + 1);
      else if (entry.isFile() && ECOSYSTEM_NAME.test(entry.name)) files.push(path);
    }
  };
  await walk(root, 1);
  return { files, cut };
}

/** What a strict config must name for the apps found to start and restart. */
export interface Grants {
  scripts: string[];
  cwd: string[];
  ecosystemFiles: string[];
  /** Beyond node, which strict allows already. */
  interpreters: string[];
  envNames: string[];
  names: string[];
}

export function grantsFor(root: string, scan: ProjectScan): { grants: Grants; notes: string[] } {
  const grants: Grants = { scripts: [], cwd: [], ecosystemFiles: [], interpreters: [], envNames: [], names: [] };
  const notes: string[] = [];
  const add = (list: string[], value: string) => void (list.includes(value) || list.push(value));
  for (const eco of scan.ecosystems) {
    add(grants.ecosystemFiles, escapeGlob(eco.file));
    for (const app of eco.apps) {
      add(grants.names, app.name);
      const script = inside(root, app.script);
      if (script === undefined) notes.push(`${safe(app.name)} runs ${safe(app.script)}, outside the project: not added to start.scripts`);
      else add(grants.scripts, scriptGlob(script));
      const cwd = inside(root, app.cwd);
      if (cwd === undefined) notes.push(`${safe(app.name)} works in ${safe(app.cwd)}, outside the project: not added to start.cwd`);
      else add(grants.cwd, cwd === '' ? '.' : escapeGlob(cwd));
      if (app.interpreter.name !== 'node') add(grants.interpreters, app.interpreter.name);
      for (const name of Object.keys(app.env)) add(grants.envNames, name);
    }
  }
  return { grants, notes };
}

/** The path relative to the root with "/" separators, or undefined when it is outside. */
function inside(root: string, path: string): string | undefined {
  if (!isAbsolute(path)) return undefined;
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/**
 * A script at the root is named alone; one in a folder opens that folder for scripts of its kind
 * (apps/api/server.js → apps/api/**\/*.js), where the app's other files are.
 */
function scriptGlob(rel: string): string {
  const folder = dirname(rel);
  const ext = extname(rel);
  if (folder === '.' || ext === '') return escapeGlob(rel);
  return `${escapeGlob(folder)}/**/*${escapeGlob(ext)}`;
}

/** A path taken literally in a glob (the escape src/policy/globs.ts gives the root). */
function escapeGlob(literal: string): string {
  return literal.replace(/[[\]{}()*?!+@,\\]/g, '\\$&');
}
