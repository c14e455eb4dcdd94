// Where the built-in presets live. They ship as data in policies/ next to package.json, so the
// package folder is found by walking up from this module: the code runs bundled at dist/cli.js
// and unbundled from src/config/ under tsx, at different depths.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESET_NAMES, type PresetName } from '../model/tools.js';

const PACKAGE_NAME = 'pm2-mcp';

let cachedRoot: string | undefined;

/** The folder of pm2-mcp's own package.json. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (readPackageName(join(dir, 'package.json')) === PACKAGE_NAME) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the ${PACKAGE_NAME} package folder above ${start}`);
    dir = parent;
  }
}

function readPackageName(file: string): unknown {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined; // missing or unreadable: keep walking up
  }
}

export function isPresetName(s: unknown): s is PresetName {
  return typeof s === 'string' && (PRESET_NAMES as readonly string[]).includes(s);
}

/** The absolute path of a preset's JSON file in policies/. */
export function presetFile(name: PresetName): string {
  return join(packageRoot(), 'policies', `${name}.json`);
}
