// Flags and their PM2_MCP_* twins: one way to read each kind (a flag wins over its twin, an
// empty twin is unset), and the shape of a group of flags a transport or a command owns.
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type FlagValues = Record<string, string | boolean | undefined>;
export type Env = Record<string, string | undefined>;

/** One line of --help, and of the README's flag table. */
export interface FlagDoc {
  flag: string;
  /** The env twin, or '' for none. */
  env: string;
  text: string;
}

/** The flags one transport or command owns: documented, declared to parseArgs, read and checked. */
export interface OptionGroup<T> {
  docs: readonly FlagDoc[];
  args: NonNullable<ParseArgsConfig['options']>;
  /**
   * The values, checked. Every group is read, the chosen transport's and the others' alike, so
   * a bad value is refused the same way whichever transport is chosen; `chosen` says which.
   */
  read(values: FlagValues, env: Env, chosen: boolean): T;
  /** Said after "--flag goes with --transport …" when one of its flags comes with another transport. */
  elsewhere?: string;
}

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

/** A string flag, else its twin (an empty twin is unset). */
export function stringFlag(values: FlagValues, env: Env, flag: string, twin: string): string | undefined {
  return (values[flag] as string | undefined) ?? (env[twin] || undefined);
}

/** A boolean flag, else its twin, else false. */
export function booleanFlag(values: FlagValues, env: Env, flag: string, twin: string): boolean {
  return (values[flag] as boolean | undefined) ?? parseBooleanEnv(twin, env[twin]) ?? false;
}
