// The policy's own tests (`pm2-mcp test`): pm2-mcp.tests.{json,yaml,yml} beside the config, a
// table of calls and the decision each must get, and an optional process table that stands in
// for pm2's list. A file that cannot be used is a ConfigError named as a config's problems are:
// the file, then one line per problem with its JSON path and what was expected.
import { closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import * as z from 'zod';
import { ConfigError, errorMessage } from '../errors.js';
import { TOOL_NAMES, type ToolName } from '../model/tools.js';
import type { TableEntry } from '../pm2/table-adapter.js';
import { jsonPath, kind, quote } from './validate.js';

export const TESTS_FILE_NAMES = ['pm2-mcp.tests.json', 'pm2-mcp.tests.yaml', 'pm2-mcp.tests.yml'] as const;

/** How ConfigError's header names such a file: "Invalid tests file …". */
export const TESTS_FILE = 'tests file';

export const EXPECTATIONS = ['allow', 'deny', 'ask'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

export interface PolicyCase {
  name: string;
  tool: ToolName;
  args: Record<string, unknown>;
  expect: Expectation;
  /** The rule id the decision must name, when the case pins it. */
  rule?: string;
}

/** One process of the table, as pm2 would list it; paths as written (relative to the root). */
export type TableProcess = TableEntry;

export interface TestsFile {
  file: string;
  cases: PolicyCase[];
  /** Empty when the file gives no table: the cases run against a pm2 with no process. */
  processes: TableProcess[];
}

const MAX_BYTES = 1024 * 1024;
const text = (max: number) => z.string().min(1).max(max);

const processShape = z.strictObject({
  name: text(256),
  namespace: text(256).optional(),
  cwd: text(4096).optional(),
  pm_id: z.int().min(0).max(1_000_000).optional(),
  script: text(4096).optional(),
  interpreter: text(4096).optional(),
});

const caseShape = z.strictObject({
  name: text(200),
  tool: z.enum(TOOL_NAMES as [ToolName, ...ToolName[]]),
  args: z.record(z.string(), z.unknown()).optional(),
  expect: z.enum(EXPECTATIONS),
  rule: text(200).optional(),
});

const fileShape = z.strictObject({
  $schema: z.string().optional(),
  processes: z.array(processShape).max(1000).optional(),
  cases: z.array(caseShape).min(1).max(10_000),
});

/** The tests file of `folder`, if it has one; two of them is a problem, not a choice. */
export function findTestsFile(folder: string): string | undefined {
  const found = TESTS_FILE_NAMES.map((name) => join(folder, name)).filter((file) => existsSync(file));
  if (found.length > 1) throw new ConfigError(found[0]!, [`(root): ${found.slice(1).join(' and ')} exist${found.length > 2 ? '' : 's'} too: keep one tests file`], TESTS_FILE);
  return found[0];
}

export function readTestsFile(file: string): TestsFile {
  let content: string;
  try {
    const info = statSync(file);
    if (info.isDirectory()) throw new ConfigError(file, ['is a folder, expected a tests file'], TESTS_FILE);
    // A regular file or nothing: a device (/dev/zero) or a FIFO has no size to bound the read by.
    if (!info.isFile()) throw new ConfigError(file, ['is not a regular file (a device, FIFO or socket), expected a tests file'], TESTS_FILE);
    if (info.size > MAX_BYTES) throw new ConfigError(file, [`(root): the file is larger than ${MAX_BYTES / 1024 / 1024} MiB`], TESTS_FILE);
    content = readBounded(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'file not found' : `cannot be read: ${errorMessage(err)}`], TESTS_FILE);
  }
  return parseTestsFile(file, content);
}

/** At most MAX_BYTES of the file, whatever it grew to after the stat. */
function readBounded(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const buffer = Buffer.alloc(MAX_BYTES + 1);
    let read = 0;
    for (let n = -1; n !== 0 && read <= MAX_BYTES; read += n) n = readSync(fd, buffer, read, buffer.length - read, null);
    if (read > MAX_BYTES) throw new ConfigError(file, [`(root): the file is larger than ${MAX_BYTES / 1024 / 1024} MiB`], TESTS_FILE);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Parses and checks the text of `file` (its extension says JSON or YAML): every problem at once. */
export function parseTestsFile(file: string, content: string): TestsFile {
  const data = parseText(file, content);
  const parsed = fileShape.safeParse(data);
  if (!parsed.success) throw new ConfigError(file, [...new Set(parsed.error.issues.flatMap((issue) => describeIssue(issue, data)))], TESTS_FILE);
  const processes = withIds(parsed.data.processes ?? [], file);
  const cases = parsed.data.cases.map((c) => ({ name: c.name, tool: c.tool, args: c.args ?? {}, expect: c.expect, ...(c.rule !== undefined ? { rule: c.rule } : {}) }));
  return { file, cases, processes };
}

function parseText(file: string, content: string): unknown {
  const ext = extname(file).toLowerCase();
  let data: unknown;
  if (ext === '.yaml' || ext === '.yml') {
    data = parseYaml(file, content);
  } else if (ext === '.json') {
    try {
      data = JSON.parse(content) as unknown;
    } catch (err) {
      throw new ConfigError(file, [`(root): not valid JSON: ${errorMessage(err)}`], TESTS_FILE);
    }
  } else {
    throw new ConfigError(file, ['(root): a tests file ends in .json, .yaml or .yml'], TESTS_FILE);
  }
  if (data === null || data === undefined) throw new ConfigError(file, ['(root): the file is empty (expected an object)'], TESTS_FILE);
  return data;
}

function parseYaml(file: string, content: string): unknown {
  try {
    // The core schema: no custom tags, no !!js; a few aliases at most (no billion laughs).
    return parseYamlText(content, { schema: 'core', maxAliasCount: 100, uniqueKeys: true }) as unknown;
  } catch (err) {
    throw new ConfigError(file, [`(root): not valid YAML: ${errorMessage(err).split('\n')[0]}`], TESTS_FILE);
  }
}

/** pm2 numbers processes from 0: a process without a pm_id gets the lowest one no other has. */
function withIds(entries: z.infer<typeof processShape>[], file: string): TableProcess[] {
  const problems: string[] = [];
  const taken = new Map<number, number>();
  entries.forEach((e, i) => {
    if (e.pm_id === undefined) return;
    const first = taken.get(e.pm_id);
    if (first !== undefined) problems.push(`processes[${i}].pm_id: ${e.pm_id} is the pm_id of processes[${first}] too (expected a pm_id of its own)`);
    else taken.set(e.pm_id, i);
  });
  if (problems.length) throw new ConfigError(file, problems, TESTS_FILE);
  let next = 0;
  return entries.map((e) => {
    let pmId = e.pm_id;
    if (pmId === undefined) {
      while (taken.has(next)) next++;
      pmId = next;
      taken.set(pmId, -1);
    }
    return {
      name: e.name,
      namespace: e.namespace ?? 'default',
      cwd: e.cwd ?? '.',
      pm_id: pmId,
      ...(e.script !== undefined ? { script: e.script } : {}),
      ...(e.interpreter !== undefined ? { interpreter: e.interpreter } : {}),
    };
  });
}

// --- messages, in the words of a config's (src/config/validate.ts) ------------------------------

function pathOf(path: readonly PropertyKey[]): string {
  return jsonPath(path.length === 0 ? '' : `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '(root)': Object.keys(fileShape.shape),
  processes: Object.keys(processShape.shape),
  cases: Object.keys(caseShape.shape),
};

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string[] {
  const path = pathOf(issue.path);
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined && issue.path.length > 0) return [`${pathOf(issue.path.slice(0, -1))}: missing required key "${String(issue.path.at(-1))}"`];
      return [`${path}: expected ${issue.expected === 'record' ? 'an object' : article(issue.expected)}, got ${kind(value)}`];
    case 'unrecognized_keys': {
      const section = issue.path.length === 0 ? '(root)' : String(issue.path[0]);
      const known = KNOWN_KEYS[section] ?? [];
      return issue.keys.map((key) => `${pathOf([...issue.path, key])}: unknown key (expected one of ${known.join(', ')})`);
    }
    case 'invalid_value':
      return [`${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${quote(value)}`];
    case 'too_small':
      if (issue.origin === 'string') return [`${path}: expected a non-empty string`];
      if (issue.origin === 'array') return [`${path}: expected at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`];
      return [`${path}: expected at least ${String(issue.minimum)}, got ${quote(value)}`];
    case 'too_big':
      if (issue.origin === 'string') return [`${path}: expected at most ${String(issue.maximum)} characters`];
      if (issue.origin === 'array') return [`${path}: expected at most ${String(issue.maximum)} items`];
      return [`${path}: expected at most ${String(issue.maximum)}, got ${quote(value)}`];
    default:
      return [`${path}: ${issue.message}`];
  }
}

function article(type: string): string {
  return type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`;
}
