// The names the policy and the server share: every tool, and the presets. Neither policy/ nor
// pm2/ nor server/ owns them; each imports them from here.
//
// The tool catalog is the one place a tool is named for the policy: its row says which presets
// allow it. The config schema's `tools` keys (src/model/config.ts) and each preset's `tools` map
// (src/config/presets.ts) are built from it, so a new tool needs its definition in
// src/server/tools/ and one row here, nothing else.

export type PresetName = 'readonly' | 'strict' | 'standard' | 'permissive';
export const PRESET_NAMES: readonly PresetName[] = ['readonly', 'strict', 'standard', 'permissive'];

/** ask: the call runs only once a person approved it, through the client (MCP elicitation). */
export const TOOL_EFFECTS = ['allow', 'deny', 'ask'] as const;
export type ToolEffect = (typeof TOOL_EFFECTS)[number];

interface ToolRow {
  name: `pm2_${string}`;
  /** The presets that allow the tool; every other preset denies it. */
  allowedBy: readonly PresetName[];
  /** It changes nothing (its readOnlyHint): known here so that start-up need not load the tools to ask. */
  readOnly: boolean;
}

const EVERY_PRESET = PRESET_NAMES;
/** The presets that may change processes at all. */
const CHANGING = ['strict', 'standard', 'permissive'] as const;
/** The presets that may also delete, flush and save what the root runs. */
const BROAD = ['standard', 'permissive'] as const;

/** In the order tools/list shows them. */
export const TOOL_CATALOG = [
  { name: 'pm2_list_processes', allowedBy: EVERY_PRESET, readOnly: true },
  { name: 'pm2_describe_process', allowedBy: EVERY_PRESET, readOnly: true },
  { name: 'pm2_diagnose_process', allowedBy: EVERY_PRESET, readOnly: true },
  { name: 'pm2_start_process', allowedBy: CHANGING, readOnly: false },
  { name: 'pm2_restart_process', allowedBy: CHANGING, readOnly: false },
  { name: 'pm2_reload_process', allowedBy: CHANGING, readOnly: false },
  { name: 'pm2_stop_process', allowedBy: CHANGING, readOnly: false },
  { name: 'pm2_delete_process', allowedBy: BROAD, readOnly: false },
  { name: 'pm2_flush_logs', allowedBy: BROAD, readOnly: false },
  { name: 'pm2_reload_logs', allowedBy: BROAD, readOnly: false },
  { name: 'pm2_dump', allowedBy: BROAD, readOnly: false },
  { name: 'pm2_tail_logs', allowedBy: EVERY_PRESET, readOnly: true },
  // Opt-in under every preset: it stops every process of the home, the agent's and the user's.
  { name: 'pm2_kill_daemon', allowedBy: [], readOnly: false },
] as const satisfies readonly ToolRow[];

export type ToolName = (typeof TOOL_CATALOG)[number]['name'];

export const TOOL_NAMES: readonly ToolName[] = TOOL_CATALOG.map((row) => row.name);
