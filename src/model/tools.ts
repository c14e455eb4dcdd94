// The names the policy and the server share: every tool, and the presets. Neither policy/ nor
// pm2/ nor server/ owns them; each imports them from here.

export const TOOL_NAMES = [
  'pm2_list_processes', 'pm2_describe_process', 'pm2_start_process', 'pm2_restart_process',
  'pm2_reload_process', 'pm2_stop_process', 'pm2_delete_process', 'pm2_flush_logs',
  'pm2_reload_logs', 'pm2_dump', 'pm2_tail_logs', 'pm2_kill_daemon',
] as const;

export type ToolName = (typeof TOOL_NAMES)[number];
export type ToolEffect = 'allow' | 'deny';
export type PresetName = 'readonly' | 'strict' | 'standard' | 'permissive';
export const PRESET_NAMES: readonly PresetName[] = ['readonly', 'strict', 'standard', 'permissive'];
