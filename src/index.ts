// The library entry: what a typed config imports, `import { defineConfig } from 'pm2-mcp'` or
// `const { defineConfig } = require('pm2-mcp')`. It holds no zod (the config's shape is only a
// type here), so a config that loads it loads a few hundred bytes, not the server.
import type { Pm2McpConfig } from './model/config.js';

export { PRESET_NAMES, TOOL_NAMES } from './model/tools.js';
export type { Pm2McpConfig } from './model/config.js';
export type { PresetName, ToolEffect, ToolName } from './model/tools.js';

/** For typed configs: `export default defineConfig({ extends: 'strict', … })`. */
export function defineConfig(config: Pm2McpConfig): Pm2McpConfig {
  return config;
}
