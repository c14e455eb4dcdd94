// One validator for process names and namespaces (docs/threat-model.md §T14). Pure.
//
// pm2 derives an app's default log files from its name by mapping every character outside
// [a-zA-Z0-9.-] to "-" (lib/Common.js resolveAppAttributes), so "api_server" and "api-server"
// share $PM2_HOME/logs/api-server-out.log and flushing one empties the other. Allowing only that
// set makes pm2's mapping the identity: two names are two files. The same set keeps ESC, bidi
// overrides (U+202E), zero-width characters (U+200B) and white space out of terminals and listings.

/** Long enough for any real app name, short enough for a log path and a `pm2 ls` column. */
export const NAME_MAX_LENGTH = 64;

/** The characters pm2 keeps as they are in a log file name; the first one alphanumeric. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

export type NameKind = 'process name' | 'namespace';

/** Why pm2-mcp refuses `value` as a process name or namespace, or undefined when it is fine. */
export function nameRefusal(value: string, kind: NameKind = 'process name'): string | undefined {
  const why = problem(value);
  return why === undefined ? undefined : `The ${kind} ${JSON.stringify(value)} is refused: ${why}.`;
}

function problem(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value.length > NAME_MAX_LENGTH) return `it is longer than ${NAME_MAX_LENGTH} characters`;
  if (!NAME_PATTERN.test(value)) {
    return 'use only letters A-Z a-z, digits, "." and "-", starting with a letter or digit (pm2 maps any other character to "-" in log file names, so two such names would share log files; control and invisible characters would reach terminals)';
  }
  // pm2 reads these as something else than a name: "all" is every process, a number a pm_id
  // (`pm2 stop 0` is tried as a name first), ".." a step out of the log folder in a file name.
  if (value.toLowerCase() === 'all') return '"all" means every process to pm2';
  if (/^\d+$/.test(value)) return 'a number reads as a pm_id';
  if (value.includes('..')) return '".." reads as a parent folder in the log file name pm2 derives from it';
  return undefined;
}

/**
 * The name pm2-mcp gives an app started without one: its script's file name with every character
 * outside the safe set turned into "-", as pm2 itself does for the log file name. The result
 * still passes nameRefusal (a script named "1.js" gets no default name).
 */
export function defaultName(scriptBase: string): string {
  return scriptBase.replace(/[^A-Za-z0-9.-]/g, '-');
}
