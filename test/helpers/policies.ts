// Compiled policies for unit tests: a preset from policies/ with a config laid over it, the way
// the config contract merges (objects key by key; arrays and scalars replace).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileResolved } from '../../src/commands/load-policy.js';
import { withPresetTools } from '../../src/config/presets.js';
import type { Pm2McpConfig } from '../../src/model/config.js';
import type { PresetName } from '../../src/model/tools.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';

export type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

export function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(out[k]) && isPlain(v) ? merge(out[k] as Plain, v) : v;
  return out;
}

export function presetConfig(name: PresetName): Pm2McpConfig {
  return withPresetTools(name, JSON.parse(readFileSync(fileURLToPath(new URL(`../../policies/${name}.json`, import.meta.url)), 'utf8')) as Pm2McpConfig);
}

/** The preset, `over` laid on it, compiled with `root` as the config's folder. */
export function presetPolicy(root: string, preset: PresetName, over: Pm2McpConfig = {}): CompiledPolicy {
  const config = merge(presetConfig(preset) as Plain, over as Plain) as Pm2McpConfig;
  return compileResolved({ config, root, sources: [`policies/${preset}.json`], preset });
}
