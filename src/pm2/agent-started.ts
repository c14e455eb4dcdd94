// Which processes the agent's starts created (docs/threat-model.md §T23): processes.max counts
// them. Every start through pm2-mcp carries this variable; an agent can never set a PM2_* name
// itself (src/policy/env-families.ts), so a process carries it only when pm2-mcp started it.
import type { Pm2RawProcess } from './types.js';

export const STARTED_MARKER = 'PM2_MCP_STARTED';

export function startedByAgent(proc: Pm2RawProcess): boolean {
  const env = proc.pm2_env ?? {};
  const inner = env.env && typeof env.env === 'object' ? (env.env as Record<string, unknown>) : {};
  return env[STARTED_MARKER] !== undefined || inner[STARTED_MARKER] !== undefined;
}

/** How many processes (instances) the agent's starts created that pm2 still manages. */
export function agentStartedCount(list: readonly Pm2RawProcess[]): number {
  return list.filter(startedByAgent).length;
}
