// `pm2-mcp init [--preset P]`: a starting config and tests file for the project in the working
// folder. pm2-mcp.config.json extends the preset (strict by default) and, under strict, names the
// ecosystem files found, their apps' script folders, working folders, interpreters and env names;
// processes.names lists the apps. pm2-mcp.tests.json holds a few cases, each decided against
// what was written before it is kept, so `pm2-mcp test` passes on it, as `pm2-mcp check` does.
// It never overwrites: if either file, or any other config, is there, nothing is written.
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SEARCH_PLACES } from '../config/load.js';
import { refusedConfigRoot } from '../config/project-root.js';
import { TESTS_FILE_NAMES, type PolicyCase } from '../config/tests-file.js';
import { choosePm2Home } from '../home.js';
import type { PresetName } from '../model/tools.js';
import type { TableEntry } from '../pm2/table-adapter.js';
import { safe } from '../safe-text.js';
import { servedFacts } from './gate.js';
import { grantsFor, scanProject, type Grants, type ProjectScan } from './init-scan.js';
import { loadPolicy } from './load-policy.js';
import { judgeCase } from './policy-cases.js';

export interface InitOptions {
  command: 'init';
  preset?: PresetName;
}

export const CONFIG_FILE = 'pm2-mcp.config.json';
export const TESTS_FILE = 'pm2-mcp.tests.json';
/** Where an install from the registry keeps the schema, as the README's configs say. */
const SCHEMA_PATH = './node_modules/pm2-mcp/schemas/pm2-mcp.config.schema.json';
const DEFAULT_PRESET: PresetName = 'strict';
/** A starter, not an inventory: a few apps and files make the point. */
const MAX_APP_CASES = 5;
const MAX_FILE_CASES = 3;

export interface InitOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function init(options: InitOptions, io: InitOutput): Promise<number> {
  const root = realpathSync(process.cwd());
  const refused = refusedConfigRoot(root);
  if (refused !== undefined) {
    io.err(`pm2-mcp init: ${refused}. Nothing was written.`);
    return 1;
  }
  const existing = existingFiles(root);
  if (existing.length > 0) {
    io.err(`pm2-mcp init: ${existing.join(', ')} ${existing.length > 1 ? 'exist' : 'exists'} already in ${root}, and init never overwrites: nothing was written. Edit ${existing.length > 1 ? 'them' : 'it'}, or move ${existing.length > 1 ? 'them' : 'it'} away to start over.`);
    return 1;
  }
  const preset = options.preset ?? DEFAULT_PRESET;
  const scan = await scanProject(root);
  const { grants, notes } = grantsFor(root, scan);
  const configFile = join(root, CONFIG_FILE);
  // 'wx': created here or not at all, even if another init raced this one since the check.
  writeFileSync(configFile, `${JSON.stringify(configFor(preset, grants), null, 2)}\n`, { flag: 'wx', mode: 0o644 });
  let kept: PolicyCase[];
  let dropped: string[];
  const processes = tableOf(root, scan);
  try {
    ({ kept, dropped } = await keepHolding(starterCases(preset, scan), processes, configFile));
    writeFileSync(join(root, TESTS_FILE), `${JSON.stringify({ processes, cases: kept }, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    // What init wrote does not load, or the tests file could not be made: leave nothing half done.
    rmSync(configFile, { force: true });
    throw err;
  }

  const apps = grants.names;
  io.out(`Wrote ${CONFIG_FILE} (extends ${preset}): ${count(grants.ecosystemFiles.length, 'ecosystem file')}, ${count(apps.length, 'app')}${apps.length ? ` (${apps.map(safe).join(', ')})` : ''}.`);
  io.out(`Wrote ${TESTS_FILE}: ${count(kept.length, 'case')}, ${count(processes.length, 'process')} in its process table.`);
  const left = [...scan.notes, ...(preset === 'strict' ? notes : []), ...dropped];
  if (left.length) {
    io.out('Left out:');
    for (const note of left) io.out(`  - ${note}`);
  }
  io.out('Next: pm2-mcp check shows the effective policy; pm2-mcp test runs the cases (add your own, and run it in CI).');
  return 0;
}

/** Files that a new config or tests file here would overwrite or be shadowed by. */
function existingFiles(root: string): string[] {
  const places = [...SEARCH_PLACES.filter((p) => p !== 'package.json'), ...TESTS_FILE_NAMES];
  const found = places.filter((p) => existsSync(join(root, p)));
  if (hasPackageKey(join(root, 'package.json'))) found.unshift('package.json (its "pm2-mcp" key)');
  return found;
}

function hasPackageKey(file: string): boolean {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return data !== null && typeof data === 'object' && Object.hasOwn(data, 'pm2-mcp');
  } catch {
    return false;
  }
}

/**
 * strict allows no script until the config names it: it gets what was found. The other presets
 * already allow the root's own scripts (standard, permissive) or nothing (readonly), and lists
 * written here would replace theirs: they get the names only.
 */
export function configFor(preset: PresetName, g: Grants): Record<string, unknown> {
  const config: Record<string, unknown> = { $schema: SCHEMA_PATH, extends: preset };
  if (preset === 'strict') {
    const start: Record<string, unknown> = {};
    if (g.scripts.length) start.scripts = g.scripts;
    if (g.cwd.length) start.cwd = g.cwd;
    if (g.ecosystemFiles.length) start.ecosystemFiles = g.ecosystemFiles;
    // A list replaces the preset's: node, strict's own, stays in it.
    if (g.interpreters.length) start.interpreters = ['node', ...g.interpreters];
    if (g.envNames.length) start.env = { allow: g.envNames };
    if (Object.keys(start).length) config.start = start;
  }
  if (g.names.length) config.processes = { names: g.names };
  return config;
}

/** The apps found, as pm2 would list them once started: the restarts of the cases find them. */
function tableOf(root: string, scan: ProjectScan): TableEntry[] {
  const entries: TableEntry[] = [];
  for (const app of scan.ecosystems.flatMap((e) => e.apps)) {
    if (entries.some((e) => e.name === app.name)) continue;
    const cwd = relative(root, app.cwd) || '.';
    entries.push({
      name: app.name,
      namespace: app.namespace,
      cwd,
      pm_id: entries.length,
      script: relative(app.cwd, app.script),
      ...(app.interpreter.name !== 'node' ? { interpreter: app.interpreter.name } : {}),
    });
  }
  return entries;
}

function starterCases(preset: PresetName, scan: ProjectScan): PolicyCase[] {
  const mayAct = preset !== 'readonly';
  const expect = mayAct ? 'allow' : 'deny';
  const cases: PolicyCase[] = [{ name: 'list the processes', tool: 'pm2_list_processes', args: {}, expect: 'allow' }];
  for (const eco of scan.ecosystems.slice(0, MAX_FILE_CASES)) {
    cases.push({ name: `start ${eco.file}`, tool: 'pm2_start_process', args: { jsonConfigFile: eco.file }, expect });
  }
  const names = [...new Set(scan.ecosystems.flatMap((e) => e.apps.map((a) => a.name)))];
  for (const name of names.slice(0, MAX_APP_CASES)) {
    cases.push({ name: `restart ${name}`, tool: 'pm2_restart_process', args: { process: name }, expect });
  }
  cases.push(
    { name: 'start a file outside the project', tool: 'pm2_start_process', args: { script: '/etc/passwd' }, expect: 'deny' },
    { name: 'stop every process at once', tool: 'pm2_stop_process', args: { process: 'all' }, expect: 'deny' },
    { name: 'kill the pm2 daemon', tool: 'pm2_kill_daemon', args: {}, expect: 'deny' },
  );
  return cases;
}

/**
 * Each case decided under the config just written, as `pm2-mcp test` will: a case that does not
 * hold is left out and said why; a denial keeps the rule it was denied by, so the file shows it.
 */
async function keepHolding(cases: PolicyCase[], processes: TableEntry[], configFile: string): Promise<{ kept: PolicyCase[]; dropped: string[] }> {
  const policy = await loadPolicy({ cwd: process.cwd(), configFile });
  const home = choosePm2Home({ env: process.env }).home;
  const world = { policy, facts: servedFacts({ policy, home, env: process.env, cwd: process.cwd() }), home, processes };
  const kept: PolicyCase[] = [];
  const dropped: string[] = [];
  for (const c of cases) {
    const v = await judgeCase(world, c);
    if (v.held) kept.push(v.effect === 'deny' ? { ...c, rule: v.ruleId } : c);
    else dropped.push(`the case "${safe(c.name)}": ${v.effect} under this config, not ${c.expect} (rule ${safe(v.ruleId)}: ${safe(v.reason)})`);
  }
  return { kept, dropped };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : what.endsWith('s') ? 'es' : 's'}`;
}
