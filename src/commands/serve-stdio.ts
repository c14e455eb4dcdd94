// The stdio half of `pm2-mcp serve`: one session for the client that spawned this process. It
// has no flags of its own; on a terminal it says it is meant for a client, not a person.
import type { OptionGroup } from '../env-flags.js';
import type { Io } from '../io.js';
import { FROM_A_CLONE, launchCommand, NPX_COMMAND, shellLine } from '../launch-command.js';
import { StdioTransport } from '../transport/stdio.js';
import type { Transport } from '../transport/types.js';
import { VERSION } from '../version.js';

export type StdioOptions = Record<string, never>;

export const STDIO_OPTIONS: OptionGroup<StdioOptions> = { docs: [], args: {}, read: () => ({}) };

export async function openStdio(_options: StdioOptions, { home, io }: { home: string; io: Io }): Promise<Transport> {
  if (io.stdinIsTty) io.stderr(waitingNote(home));
  return new StdioTransport();
}

function waitingNote(home: string): string {
  const launch = launchCommand(process.argv[1]);
  return [
    `pm2-mcp ${VERSION} is waiting for an MCP client on stdin (PM2_HOME=${home}).`,
    'It is meant to be started by an MCP client, not typed at. Register it with:',
    `  Claude Code:  claude mcp add pm2 -- ${shellLine(launch)}`,
    `  Codex:        codex mcp add pm2 -- ${shellLine(launch)}`,
    `  Cursor:       add ${JSON.stringify({ mcpServers: { pm2: launch } })} to .cursor/mcp.json`,
    ...(launch === NPX_COMMAND ? [] : [`  ${FROM_A_CLONE}`]),
    'Press Ctrl-C to quit.',
  ].join('\n');
}
