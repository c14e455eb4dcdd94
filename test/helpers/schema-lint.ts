// The schema-portability lint of the MCP Inspector (v2.12.0, core/json/schemaLint.ts), rule for
// rule, plus this project's stricter positive rule. The Inspector warns on a `type` array
// (`type-union`: Gemini's single-type dialect rejects it), a node with no validation keyword
// (`untyped-schema`), a `$ref` outside the document (`remote-ref`), and errs on a bare true/false
// where a schema is expected (`boolean-schema`). Ours (`one-type`, `null-type`): every node that
// describes a value has exactly one `type` string, or is an anyOf/oneOf whose branches each have
// one; nothing is typed or valued null. A value that may be absent is an optional key instead.

export type Rule = 'type-union' | 'untyped-schema' | 'remote-ref' | 'boolean-schema' | 'one-type' | 'null-type';
export interface Finding {
  rule: Rule;
  severity: 'error' | 'warning';
  /** Where, as the Inspector spells it: `properties.processes.items.properties.pid`. */
  path: string;
}

/** Rules the Inspector has; the others are ours. */
export const INSPECTOR_RULES: ReadonlySet<Rule> = new Set(['type-union', 'untyped-schema', 'remote-ref', 'boolean-schema']);

// The keyword tables are the Inspector's.
/** Where a boolean is a legal, portable value rather than a schema (`additionalProperties: false`). */
const BOOLEAN_VALUED = new Set(['additionalProperties', 'unevaluatedProperties', 'additionalItems', 'unevaluatedItems']);
const SUBSCHEMA = ['items', 'contains', 'not', 'propertyNames', 'if', 'then', 'else', 'additionalProperties', 'unevaluatedProperties', 'additionalItems', 'unevaluatedItems', 'contentSchema'];
const SUBSCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', 'dependencies', '$defs', 'definitions'];
const CONSTRAINING = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'format',
  'contentMediaType', 'contentEncoding', 'contentSchema', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties',
  'required', 'dependentRequired', 'allOf', 'anyOf', 'oneOf', 'not', 'items', 'prefixItems', 'contains', 'additionalItems', 'unevaluatedItems', 'properties',
  'patternProperties', 'additionalProperties', 'unevaluatedProperties', 'propertyNames', 'dependentSchemas', 'dependencies', '$ref', '$dynamicRef', '$recursiveRef',
]);
const JSON_TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);
const MAX_DEPTH = 64;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

const child = (parent: string, key: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? (parent === '' ? key : `${parent}.${key}`) : `${parent}[${JSON.stringify(key)}]`;

function eachSubschema(node: Node, path: string, visit: (sub: unknown, path: string, keyword: string) => void): void {
  for (const key of SUBSCHEMA_MAPS) {
    const map = node[key];
    if (isNode(map)) for (const [name, sub] of Object.entries(map)) visit(sub, child(child(path, key), name), key);
  }
  for (const key of SUBSCHEMA_ARRAYS) {
    const list = node[key];
    if (Array.isArray(list)) list.forEach((sub, i) => visit(sub, `${child(path, key)}[${i}]`, key));
  }
  for (const key of SUBSCHEMA) {
    if (!(key in node)) continue;
    const value = node[key];
    if (key === 'items' && Array.isArray(value)) value.forEach((sub, i) => visit(sub, `${child(path, key)}[${i}]`, key));
    else visit(value, child(path, key), key);
  }
}

function declaresAnyId(node: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || !isNode(node)) return false;
  if (typeof node.$id === 'string' && node.$id !== '') return true;
  let found = false;
  eachSubschema(node, '', (sub) => { found ||= declaresAnyId(sub, depth + 1); });
  return found;
}

const constrains = (node: Node): boolean => Object.keys(node).some((k) => CONSTRAINING.has(k)) || ('if' in node && ('then' in node || 'else' in node));
const portableUnion = (type: unknown[]): boolean => type.length > 0 && type.every((t) => typeof t === 'string' && JSON_TYPES.has(t)) && new Set(type).size === type.length;

export function lintSchema(schema: unknown): Finding[] {
  const findings: Finding[] = [];
  const hasEmbeddedIds = declaresAnyId(schema);
  const add = (rule: Rule, path: string, severity: Finding['severity'] = 'warning') => findings.push({ rule, severity, path });
  const walk = (node: unknown, path: string, keyword: string | undefined, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof node === 'boolean') {
      if (keyword === undefined || !BOOLEAN_VALUED.has(keyword)) add('boolean-schema', path, 'error');
      return;
    }
    if (!isNode(node)) return;
    const type = node.type;
    // The Inspector's three.
    if (Array.isArray(type) && portableUnion(type)) add('type-union', path);
    const ref = node.$ref;
    if (typeof ref === 'string' && ref !== '' && !ref.startsWith('#') && !hasEmbeddedIds) add('remote-ref', path);
    if (!constrains(node) && keyword !== 'not') add('untyped-schema', path);
    // Ours: one type string, or a union of branches that each have one (checked on their own);
    // a $ref the document resolves itself is typed where it points. Under `not` a schema describes
    // no value.
    const union = type === undefined && (Array.isArray(node.anyOf) || Array.isArray(node.oneOf));
    const localRef = type === undefined && typeof ref === 'string' && (ref.startsWith('#') || hasEmbeddedIds);
    if (keyword !== 'not' && typeof type !== 'string' && !union && !localRef) add('one-type', path);
    const types = Array.isArray(type) ? type : [type];
    if (types.includes('null') || node.const === null || (Array.isArray(node.enum) && node.enum.includes(null)) || 'nullable' in node) add('null-type', path);
    eachSubschema(node, path, (sub, subPath, subKeyword) => walk(sub, subPath, subKeyword, depth + 1));
  };
  walk(schema, '', undefined, 0);
  return findings;
}

export interface ToolSchemas {
  name: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

/** Every finding of every tool, each as `<tool> <inputSchema|outputSchema>.<path>: <rule>`. */
export function lintTools(tools: readonly ToolSchemas[]): Array<Finding & { tool: string; schema: 'inputSchema' | 'outputSchema' }> {
  return tools.flatMap((tool) => (['inputSchema', 'outputSchema'] as const).flatMap((schema) =>
    tool[schema] === undefined ? [] : lintSchema(tool[schema]).map((f) => ({ ...f, tool: tool.name, schema }))));
}

export const describeFinding = (f: Finding & { tool: string; schema: string }): string => `${f.tool} ${f.schema}${f.path ? `.${f.path}` : ''}: ${f.rule} (${f.severity})`;
