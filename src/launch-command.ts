// The command a client should run to start this server, for the texts that tell how to
// register it (--help, the banner on a terminal). Installed as a package (under node_modules,
// which npx's cache is too), `npx pm2-mcp` finds it; from a clone, where no bin is on any PATH
// and the package may not be on the registry, only the path of the entry file works.
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';

export interface LaunchCommand {
  command: string;
  args: string[];
}

export const NPX_COMMAND: LaunchCommand = { command: 'npx', args: ['pm2-mcp'] };

/** Said under commands that name a clone's entry file rather than the package. */
export const FROM_A_CLONE = '(This runs from a clone, so it is started by the path of its dist/cli.js; installed from npm, by `npx pm2-mcp`.)';

/** `entry`: the script Node was started with (process.argv[1]). */
export function launchCommand(entry: string | undefined): LaunchCommand {
  if (entry === undefined) return NPX_COMMAND;
  let real: string;
  try {
    real = realpathSync(entry);
  } catch {
    return NPX_COMMAND;
  }
  return real.split(sep).includes('node_modules') ? NPX_COMMAND : { command: 'node', args: [real] };
}

/** As typed in a POSIX shell: a word with anything but safe characters is single-quoted. */
export function shellLine({ command, args }: LaunchCommand): string {
  return [command, ...args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(' ');
}
