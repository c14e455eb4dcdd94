// The library entry: what a typed config imports. `import { defineConfig } from 'pm2-mcp'`.
export { defineConfig } from './model/config.js';
export { PRESET_NAMES, TOOL_NAMES } from './model/tools.js';
export type { Pm2McpConfig } from './model/config.js';
export type { PresetName, ToolEffect, ToolName } from './model/tools.js';
