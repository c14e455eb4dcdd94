// What `pm2-mcp doctor` says of the files that decide what runs: the config files of the chain,
// and the scripts and ecosystem files the config lets an agent start. An agent that can edit
// them widens its own policy, or writes the code pm2 runs for it (a JSON or YAML ecosystem file
// is no such file: its apps pass the same rules as a start that names them). Its client may keep it off
// them: Claude Code's `permissions.deny` rules `Edit(<pattern>)` (src/config/claude-permissions.ts).
// The agent runs as this user, so "can edit" is what access(2) says of the file or its folder.
import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { searchDirs } from '../config/config-trust.js';
import { projectSettingsFiles, readDenyRules, ruleCovering, suggestedRule, userSettingsFiles, type DenyRule, type SettingsRead } from '../config/claude-permissions.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Check } from './doctor-checks.js';

/** The walk over the root for the scripts: as bounded as `check`'s (src/config/warnings.ts). */
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 12;
const SKIPPED_DIRS = new Set(['node_modules', '.git']);
/** How many files a line names. */
const NAMED = 3;

/** The rules of every Claude Code settings file that holds for this project. */
export function claudeRules(root: string): SettingsRead {
  // Claude Code is started in the project: the config's folder, or the repository above it.
  const reads = searchDirs(root).map((dir) => readDenyRules(projectSettingsFiles(dir), dir));
  reads.push(readDenyRules(userSettingsFiles(), root));
  return { rules: reads.flatMap((r) => r.rules), read: reads.flatMap((r) => r.read), unreadable: reads.flatMap((r) => r.unreadable) };
}

/** The agent can change the file in place, or replace it in its folder. */
function editable(path: string): boolean {
  for (const [target, mode] of [[path, constants.W_OK], [dirname(path), constants.W_OK | constants.X_OK]] as const) {
    try {
      accessSync(target, mode);
      return true;
    } catch {
      // Not this way.
    }
  }
  return false;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A rule covers the file by the path it is named by, or by its real path. */
function covering(path: string, rules: readonly DenyRule[]): DenyRule | undefined {
  return ruleCovering(path, rules) ?? ruleCovering(real(path), rules);
}

function settingsNote(settings: SettingsRead, root: string): string {
  const unreadable = settings.unreadable.map((u) => `; ${u.file} cannot be read (${u.why}), its rules are unknown`).join('');
  const read = settings.read.length ? `read ${settings.read.map((f) => relativeOrAbsolute(f, root)).join(', ')}` : 'no Claude Code settings file found';
  return `${read}${unreadable}`;
}

function relativeOrAbsolute(path: string, root: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

const where = (root: string) => join(root, '.claude', 'settings.json');

/** Each config file of the chain (presets are pm2-mcp's own): the agent may not edit it unguarded. */
export function configEditsCheck(policy: CompiledPolicy, settings: SettingsRead): Check | undefined {
  const files = policy.sources.filter((s) => !s.startsWith('preset '));
  if (files.length === 0) return undefined;
  const what = 'config edits';
  const open = files.filter((f) => editable(f) && covering(f, settings.rules) === undefined);
  if (open.length === 0) {
    const guarded = files.map((f) => {
      const rule = editable(f) ? covering(f, settings.rules) : undefined;
      return rule ? `${relativeOrAbsolute(f, policy.root)}: ${relativeOrAbsolute(rule.file, policy.root)} denies ${rule.rule}` : `${relativeOrAbsolute(f, policy.root)}: not writable by this user`;
    });
    return { mark: 'ok', what, text: guarded.join('; ') };
  }
  const rules = open.map((f) => `"${suggestedRule(real(f), real(policy.root))}"`).join(', ');
  return {
    mark: 'warn',
    what,
    text: `${open.map((f) => relativeOrAbsolute(f, policy.root)).join(', ')} can be edited by the agent, and no Claude Code permissions.deny rule covers ${open.length === 1 ? 'it' : 'them'} (${settingsNote(settings, policy.root)}): an agent that edits the config grants itself what it allows. Add ${rules} to permissions.deny in ${where(policy.root)}, or make the file read-only for the agent's user`,
  };
}

/** The files under the root whose code a start runs: scripts (less the exclusions), and JS ecosystem files (executed to be read). */
function runnableFiles(policy: CompiledPolicy): { files: string[]; truncated: boolean } {
  const files: string[] = [];
  let entries = 0;
  let level = [policy.root];
  for (let depth = 1; level.length > 0 && depth <= MAX_DEPTH; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let children;
      try {
        children = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const child of children) {
        // Policy globs match real paths: a link's target is judged where it lies, not here.
        if (child.isSymbolicLink()) continue;
        if (++entries > MAX_ENTRIES) return { files, truncated: true };
        const path = join(dir, child.name);
        if (child.isDirectory()) {
          if (!SKIPPED_DIRS.has(child.name)) next.push(path);
          continue;
        }
        const s = policy.start;
        if ((s.scripts.test(path) && !s.scriptsExclude.test(path)) || s.jsEcosystemFiles.has(path)) files.push(path);
      }
    }
    level = next;
  }
  return { files, truncated: level.length > 0 };
}

export function scriptEditsCheck(policy: CompiledPolicy, settings: SettingsRead): Check {
  const what = 'script edits';
  if (policy.tools.pm2_start_process === 'deny') return { mark: 'ok', what, text: 'starts are off (tools.pm2_start_process is deny): no script of the config runs on the agent\'s word' };
  const { files, truncated } = runnableFiles(policy);
  const partial = truncated ? ` (only the first ${MAX_ENTRIES} entries under the root were looked at)` : '';
  if (files.length === 0) return { mark: 'ok', what, text: `no file under ${policy.root} matches start.scripts or names a JavaScript file of start.ecosystemFiles${partial}` };
  const open = files.filter((f) => editable(f) && covering(f, settings.rules) === undefined);
  const counted = `${files.length} file${files.length === 1 ? '' : 's'} under the root whose code a start may run (start.scripts, JavaScript start.ecosystemFiles)${partial}`;
  if (open.length === 0) return { mark: 'ok', what, text: `${counted}: none can be edited by the agent unguarded` };
  const named = open.slice(0, NAMED).map((f) => relativeOrAbsolute(f, policy.root));
  const more = open.length > NAMED ? ` and ${open.length - NAMED} more` : '';
  const rules = open.slice(0, NAMED).map((f) => `"${suggestedRule(f, policy.root)}"`).join(', ');
  return {
    mark: 'warn',
    what,
    text: `${open.length} of the ${counted} can be edited by the agent with no Claude Code deny rule over them (${named.join(', ')}${more}): what the agent writes there, pm2 runs on its next start or restart. Deny their edits (${rules}${more ? ' …' : ''} in permissions.deny of ${where(policy.root)}, or a folder's: "Edit(apps/**)"), or allow fewer files in start.scripts`,
  };
}
