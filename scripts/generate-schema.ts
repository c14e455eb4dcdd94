// Writes schemas/pm2-mcp.config.schema.json from the config's zod shape (src/model/config.ts):
// `npm run generate`. The file stays committed and shipped: editors complete from it and ajv
// validates every config with it (src/config/validate.ts). test/unit/config-shape.test.ts fails
// when the committed file is not what this produces.
//
// zod's JSON Schema is adjusted where the validator's messages depend on it (the error lines of
// test/snapshots/config-errors.txt come from ajv reading this file):
// - an enum carries no "type": with one, a value of the wrong type would get two lines, "expected
//   a string" and "expected one of …", where one says it all;
// - an integer without a bound of its own gets none: zod writes its safe-integer limits, which
//   would turn a huge number into an error the contract never had;
// - the keys of a record (propertyNames) carry no "type": a key is a string already.
// Then every node's keywords are written in one order (KEYWORD_ORDER).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CONFIG_SHAPE } from '../src/model/config.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../schemas/pm2-mcp.config.schema.json', import.meta.url));

type Node = Record<string, unknown>;

/** The order the hand-written schema mostly had, so that generating it moved few lines. */
const KEYWORD_ORDER = [
  '$schema', '$id', 'title', 'type', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'format', 'minimum', 'maximum',
  'required', 'propertyNames', 'additionalProperties', 'description', 'properties', 'items', 'minItems', 'maxItems',
];

function adjust(zodSchema: unknown, json: Node, path: readonly (string | number)[]): void {
  const def = (zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
  if (Array.isArray(json.enum)) delete json.type;
  if (def?.type === 'number') {
    if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
    if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
  }
  if (path.at(-1) === 'propertyNames') delete json.type;
}

/** Keywords in KEYWORD_ORDER (others after them, as they came); property names keep their order. */
function ordered(value: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Node);
  const rank = (key: string) => (isPropertyMap ? 0 : KEYWORD_ORDER.indexOf(key) === -1 ? KEYWORD_ORDER.length : KEYWORD_ORDER.indexOf(key));
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e[0]) - rank(b.e[0]) || a.i - b.i).map(({ e }) => e);
  return Object.fromEntries(sorted.map(([k, v]) => [k, ordered(v, !isPropertyMap && k === 'properties')]));
}

/** The JSON Schema of the config, as committed. */
export function configJsonSchema(): Node {
  const schema = z.toJSONSchema(CONFIG_SHAPE, {
    target: 'draft-07',
    io: 'input',
    override: (ctx) => adjust(ctx.zodSchema, ctx.jsonSchema as Node, ctx.path),
  });
  return ordered(schema) as Node;
}

/** The file's text: two-space JSON and a final newline. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, configSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
