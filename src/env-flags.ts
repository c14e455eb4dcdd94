import { UsageError } from './errors.js';

// One parser for every boolean env twin, so PM2_MCP_NO_DAEMON=yes and =1 mean the same.
const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

export function parseBooleanEnv(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new UsageError(`${name} must be true or false (got "${value}")`);
}
