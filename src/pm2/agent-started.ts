// Which processes the agent's starts created (docs/threat-model.md §T23): processes.max counts
// them. Every start through pm2-mcp carries this variable; an agent can never set a PM2_* name
// itself (src/policy/env-families.ts), so a process carries it only when pm2-mcp started it.
import { carriesVariable } from './app-env.js';
import type { Pm2RawProcess } from './types.js';

export const STARTED_MARKER = 'PM2_MCP_STARTED';

export function startedByAgent(proc: Pm2RawProcess): boolean {
  return carriesVariable(proc, STARTED_MARKER);
}

/** How many processes (instances) the agent's starts created that pm2 still manages. */
export function agentStartedCount(list: readonly Pm2RawProcess[]): number {
  return list.filter(startedByAgent).length;
}
