// The README documents every config key of the schema, every flag and env var, every tool and
// every preset: a key added without its documentation fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRESET_NAMES, TOOL_NAMES } from '../../src/config/types.js';
import { FLAGS } from '../../src/options.js';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schemas', 'pm2-mcp.config.schema.json'), 'utf8')) as Schema;

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Dotted paths of every key: start.env.allow, http.tokens[].sha256 … */
function keyPaths(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (key === '$schema') continue;
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    out.push(...keyPaths(sub, path));
    if (sub.items) out.push(...keyPaths(sub.items, `${path}[]`));
  }
  return out;
}

test('every config key of the schema is in the README\'s config reference', () => {
  const paths = keyPaths(SCHEMA);
  assert.ok(paths.length > 30, 'the schema walk found too few keys');
  const missing = paths.filter((p) => !README.includes(`\`${p}\``));
  assert.deepEqual(missing, [], `README.md lacks these config keys (written as \`key.path\`): ${missing.join(', ')}`);
});

test('every flag and env twin is in the README', () => {
  for (const f of FLAGS) {
    const flag = f.flag.split(/[ ,]/)[0]!;
    assert.ok(README.includes(`\`${flag}`), `README.md lacks ${flag}`);
    if (f.env) assert.ok(README.includes(`\`${f.env}\``), `README.md lacks ${f.env}`);
  }
});

test('every tool and preset is in the README', () => {
  for (const t of TOOL_NAMES) assert.ok(README.includes(`\`${t}\``), `README.md lacks ${t}`);
  for (const p of PRESET_NAMES) assert.ok(README.includes(`\`${p}\``), `README.md lacks the preset ${p}`);
});
