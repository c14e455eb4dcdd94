// The library entry: what a typed config imports. `import { defineConfig } from 'pm2-mcp'`.
export { defineConfig, PRESET_NAMES, TOOL_NAMES } from './config/types.js';
export type { Pm2McpConfig, PresetName, ToolEffect, ToolName } from './config/types.js';
