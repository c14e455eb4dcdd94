// The README documents every config key of the schema, every flag and env var, every tool and
// every preset, and its preset table says of each tool what the tool catalog says: a key added
// without its documentation, or a catalog row the table contradicts, fails here. And every `docs/threat-model.md
// §T<n>` that src/ cites names a section the threat model has.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRESET_NAMES, TOOL_CATALOG, TOOL_NAMES } from '../../src/model/tools.js';
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

/**
 * The rows of the README's preset table that name tools ("restart, reload, stop"), as tool
 * name → the cell of each preset. A part of a label names the tool it spells without the pm2_
 * prefix ("kill_daemon", "tail logs"), or else the one tool it begins ("flush" → pm2_flush_logs)
 * that no other part spells in full ("reload" → pm2_reload_process, "reload_logs" is spelled).
 */
function presetTableTools(): Map<string, string[]> {
  const table = README.slice(README.indexOf('### Presets'));
  const lines = table.split('\n').filter((l) => l.startsWith('|'));
  const header = lines[0]!.split('|').slice(2, -1).map((c) => c.trim());
  assert.deepEqual(header.map((c) => /`(\w+)`/.exec(c)?.[1]), [...PRESET_NAMES], 'the preset table\'s columns');
  const rows = lines.slice(2).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const shortNames = TOOL_NAMES.map((t) => t.slice('pm2_'.length));
  const parts = rows.flatMap((cells) => cells[0]!.split(',').map((p) => ({ part: p.trim().replace(/ /g, '_'), cells: cells.slice(1) })));
  const spelled = new Set(parts.map((p) => p.part).filter((p) => shortNames.includes(p)));
  const found = new Map<string, string[]>();
  for (const { part, cells } of parts) {
    const tools = spelled.has(part) ? [part] : shortNames.filter((n) => n.startsWith(`${part}_`) && !spelled.has(n));
    if (tools.length === 1) found.set(`pm2_${tools[0]}`, cells);
  }
  return found;
}

test('the README\'s preset table allows each tool under the presets the catalog names', () => {
  const rows = presetTableTools();
  assert.deepEqual([...rows.keys()].sort(), [...TOOL_NAMES].sort(), 'every tool has one row of the preset table');
  for (const { name, allowedBy } of TOOL_CATALOG) {
    // "—" and "off (opt-in …)" say the preset denies the tool; anything else says how it allows it.
    const allowedInTable = PRESET_NAMES.filter((_, i) => !/^(—|off\b)/.test(rows.get(name)![i]!));
    assert.deepEqual(allowedInTable, PRESET_NAMES.filter((p) => (allowedBy as readonly string[]).includes(p)), name);
  }
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
