// The built-in presets. They ship as data in policies/ next to package.json, all but their tools:
// which tools a preset allows is the tool catalog's column (src/model/tools.ts), laid into the
// preset's config here, so that a new tool is one catalog row and no preset file changes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pm2McpConfig } from '../model/config.js';
import { PRESET_NAMES, TOOL_CATALOG, type PresetName, type ToolEffect, type ToolName } from '../model/tools.js';

let cachedRoot: string | undefined;

/**
 * The folder of pm2-mcp's own package.json: the nearest one named pm2-mcp above this module,
 * which works from the bundle (dist/cli.js, dist/chunks/) and from src/config/ under tsx alike,
 * installed or in a checkout. A few reads, where resolving the package by name through
 * require.resolve cost a few ms of every start.
 */
export function packageRoot(): string {
  cachedRoot ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return cachedRoot;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (packageName(join(dir, 'package.json')) === 'pm2-mcp') return dir;
    if (dirname(dir) === dir) throw new Error(`pm2-mcp's package.json is not in any folder above ${from}`);
  }
}

function packageName(file: string): unknown {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

export function isPresetName(s: unknown): s is PresetName {
  return typeof s === 'string' && (PRESET_NAMES as readonly string[]).includes(s);
}

/** The absolute path of a preset's JSON file in policies/. */
export function presetFile(name: PresetName): string {
  return join(packageRoot(), 'policies', `${name}.json`);
}

/**
 * Every tool with its effect under the preset: allow where the catalog's row names it, deny
 * elsewhere (a preset's effective config names every tool). Listed from the most widely allowed
 * to the least, catalog order among equals: reads first, pm2_kill_daemon last, the order the
 * preset files wrote them in, which `pm2-mcp check` prints.
 */
export function presetTools(name: PresetName): Record<ToolName, ToolEffect> {
  const rows = [...TOOL_CATALOG].sort((a, b) => b.allowedBy.length - a.allowedBy.length);
  return Object.fromEntries(rows.map((row) => [row.name, (row.allowedBy as readonly PresetName[]).includes(name) ? 'allow' : 'deny'])) as Record<ToolName, ToolEffect>;
}

/** A preset file's config with the preset's tools laid in, after `mode` where the files had them. */
export function withPresetTools(name: PresetName, data: Pm2McpConfig): Pm2McpConfig {
  const entries = Object.entries(data).filter(([key]) => key !== 'tools');
  const after = entries.findIndex(([key]) => key === 'mode') + 1;
  entries.splice(after, 0, ['tools', presetTools(name)]);
  return Object.fromEntries(entries) as Pm2McpConfig;
}
