// The README documents every config key of the schema, every flag and env var, every tool and
// every preset: a key added without its documentation fails here. And every `docs/threat-model.md
// §T<n>` that src/ cites names a section the threat model has.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRESET_NAMES, TOOL_NAMES } from '../../src/model/tools.js';
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

test('the README links the threat model and SECURITY.md, and every §id src/ cites is a section of the threat model', () => {
  const model = readFileSync(join(ROOT, 'docs', 'threat-model.md'), 'utf8');
  assert.ok(README.includes('](docs/threat-model.md'), 'README.md does not link docs/threat-model.md');
  assert.ok(README.includes('](SECURITY.md)'), 'README.md does not link SECURITY.md');
  const sections = new Set([...model.matchAll(/^#{2,3} ([A-Z]\d*) /gm)].map((m) => m[1]!));
  const cited: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[cm]?ts$/.test(entry.name)) {
        // "docs/threat-model.md §T2, §T16": every § after a mention of the file, up to the line's end.
        for (const line of readFileSync(path, 'utf8').split('\n')) {
          const at = line.indexOf('threat-model.md');
          if (at === -1) continue;
          for (const m of line.slice(at).matchAll(/§([A-Z]\d*)/g)) cited.push(`${m[1]} (${path.slice(ROOT.length + 1)})`);
        }
      }
    }
  };
  walk(join(ROOT, 'src'));
  const unknown = cited.filter((c) => !sections.has(c.split(' ')[0]!));
  assert.deepEqual(unknown, [], `src/ cites sections docs/threat-model.md does not have: ${unknown.join(', ')}`);
});
