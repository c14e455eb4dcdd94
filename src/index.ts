// The library entry: what a typed config imports. `import { defineConfig } from 'pm2-mcp'`.
export { defineConfig } from './config/types.js';
export { PRESET_NAMES, TOOL_NAMES } from './model/tools.js';
export type { Pm2McpConfig } from './config/types.js';
export type { PresetName, ToolEffect, ToolName } from './model/tools.js';
