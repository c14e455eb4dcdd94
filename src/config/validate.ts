// Validates one config object (a file or a preset) against schemas/pm2-mcp.config.schema.json and
// turns ajv's errors into one readable line each: `<json path>: <what was expected>`. The schema is
// generated from the zod shape (src/model/config.ts, scripts/generate-schema.ts); its "glob" and
// "name-glob" formats are checked here.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Minimatch } from 'minimatch';
import { GLOB_OPTIONS } from '../policy/globs.js';
// Imported, not read at run time: the bundle carries the schema, so dist/cli.js needs no file.
import schema from '../../schemas/pm2-mcp.config.schema.json' with { type: 'json' };

/**
 * Braces and brackets must pair up: minimatch quietly takes an unclosed `{` or `[` as a literal
 * character, which turns a typo into a pattern that never matches. Inside a class `[...]` a brace
 * is an ordinary character, and a `]` first in the class (after an optional ! or ^) is a member.
 */
function balanced(p: string): boolean {
  let braces = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (p[j] === '!' || p[j] === '^') j++;
      if (p[j] === ']') j++;
      for (; j < p.length && p[j] !== ']'; j++) if (p[j] === '\\') j++;
      if (j >= p.length) return false; // no closing ]
      i = j;
      continue;
    }
    if (c === ']') return false;
    if (c === '{') braces++;
    if (c === '}' && --braces < 0) return false;
  }
  return braces === 0;
}

export function isValidGlob(p: string): boolean {
  if (p.length === 0 || p.includes('\0') || !balanced(p)) return false;
  try {
    return new Minimatch(p, GLOB_OPTIONS).makeRe() !== false;
  } catch {
    return false;
  }
}

/** Name globs (env names, process names, namespaces): no "/", and * and ? only. */
const NAME_GLOB = /^[^\0/[\]{}]+$/;

export function isValidNameGlob(p: string): boolean {
  return NAME_GLOB.test(p);
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('glob', { type: 'string', validate: isValidGlob });
  ajv.addFormat('name-glob', { type: 'string', validate: isValidNameGlob });
  compiled = ajv.compile(schema);
  return compiled;
}

/**
 * The problems of one config, all at once, one line each, deduplicated; [] when it is valid.
 * `file` names the config for callers that wrap the result; the lines themselves carry only paths.
 */
export function validateConfig(data: unknown, _file: string): string[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // An empty or over-long glob already has its length error; "not a valid glob" would repeat it.
  const lengthIssue = new Set(errors.filter((e) => e.keyword === 'minLength' || e.keyword === 'maxLength').map((e) => e.instancePath));
  const lines = errors.filter((e) => !(e.keyword === 'format' && lengthIssue.has(e.instancePath))).map((e) => describe(e, data));
  return [...new Set(lines)];
}

// --- messages -------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `/start/scripts/2` → `start.scripts[2]`; `` → `(root)`. */
export function jsonPath(instancePath: string, extraKey?: string): string {
  const parts = instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extraKey !== undefined) parts.push(extraKey);
  let out = '';
  for (const part of parts) {
    if (/^(0|[1-9][0-9]*)$/.test(part)) out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(data: unknown, instancePath: string): unknown {
  if (instancePath === '') return data;
  let cur: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The schema node at an ajv schemaPath such as `#/properties/start` (no `verbose` needed). */
function schemaAt(schemaPath: string): unknown {
  let cur: unknown = schema;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** What a value is, for "expected …, got …". */
export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (Number.isInteger(v)) return 'an integer';
  switch (typeof v) {
    case 'object':
      return 'an object';
    case 'undefined':
      return 'nothing';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof v;
  }
}

const ARTICLE: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

/** A value quoted for a message, cut short so one bad line can't flood the output. */
export function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function describe(e: ErrorObject, data: unknown): string {
  const path = jsonPath(e.instancePath);
  const value = valueAt(data, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((schemaAt(e.schemaPath.replace(/\/additionalProperties$/, '')) as { properties?: object } | undefined)?.properties ?? {});
      return `${jsonPath(e.instancePath, key)}: unknown key (expected one of ${known.join(', ')})`;
    }
    case 'type': {
      const types = String(p.type).split(',').map((t) => ARTICLE[t] ?? t);
      return `${path}: expected ${types.join(' or ')}, got ${kind(value)}`;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return `${path}: expected one of ${allowed}, got ${quote(value)}`;
    }
    case 'format':
      return p.format === 'name-glob'
        ? `${path}: ${quote(value)} is not a valid name glob${typeof value === 'string' && value.includes('/') ? ' (a name has no "/")' : ' (name globs know * and ? only)'}`
        : `${path}: ${quote(value)} is not a valid ${String(p.format)}`;
    case 'minimum':
      return `${path}: expected at least ${String(p.limit)}, got ${quote(value)}`;
    case 'maximum':
      return `${path}: expected at most ${String(p.limit)}, got ${quote(value)}`;
    case 'minLength':
      return p.limit === 1 ? `${path}: expected a non-empty string` : `${path}: expected at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `${path}: expected at most ${String(p.limit)} characters`;
    case 'maxItems':
      return `${path}: expected at most ${String(p.limit)} items`;
    case 'required':
      return `${path}: missing required key "${String(p.missingProperty)}"`;
    case 'pattern':
      // The value is not echoed: a wrong sha256 may well be the raw token pasted by mistake.
      return `${path}: expected a string matching /${String(p.pattern)}/`;
    default:
      return `${path}: ${e.message ?? e.keyword}`;
  }
}
