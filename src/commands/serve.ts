// `pm2-mcp serve`: choose PM2_HOME, connect the gate to pm2, serve MCP until the client leaves.
import { NO_AUDIT } from '../audit/auditor.js';
import { choosePm2Home, describeFallback } from '../home.js';
import type { CliOptions } from '../options.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { ALLOW_ALL } from '../policy/evaluate.js';
import { createMcpServer } from '../server/create-server.js';
import { serveStdio } from '../transport/stdio.js';
import { NAME, VERSION } from '../version.js';

export interface Io {
  stderr: (line: string) => void;
  stdinIsTty: boolean;
}

const CLOSE_BOUND_MS = 5_000;

export async function serve(options: CliOptions, io: Io): Promise<number> {
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });
  const notices: string[] = [];
  const fallback = describeFallback(home);
  if (fallback) notices.push(fallback);
  if (home.exposure) notices.push(`PM2_HOME is not private: ${home.exposure}. Any process that can reach its rpc.sock controls pm2.`);
  for (const n of notices) io.stderr(`pm2-mcp: ${n}`);

  if (io.stdinIsTty) io.stderr(waitingNote(home.home));

  const pm2 = createPm2Adapter({ home: home.home, noDaemon: options.noDaemon, spawnDaemon: true });
  const server = createMcpServer({
    name: NAME,
    version: VERSION,
    transport: 'stdio',
    notices,
    gate: {
      ctx: { pm2, root: process.cwd(), redactEnv: true },
      policy: ALLOW_ALL,
      auditor: NO_AUDIT,
      onAuditFailure: (message) => io.stderr(`pm2-mcp: ${message}`),
    },
  });
  await serveStdio(server);
  // Never let a wedged daemon connection keep the server alive after its client left.
  await Promise.race([pm2.close().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_BOUND_MS).unref())]);
  return 0;
}

function waitingNote(home: string): string {
  return [
    `pm2-mcp ${VERSION} is waiting for an MCP client on stdin (PM2_HOME=${home}).`,
    'It is meant to be started by an MCP client, not typed at. Register it with:',
    '  Claude Code:  claude mcp add pm2 -- npx pm2-mcp',
    '  Codex:        codex mcp add pm2 -- npx pm2-mcp',
    '  Cursor:       add {"mcpServers":{"pm2":{"command":"npx","args":["pm2-mcp"]}}} to .cursor/mcp.json',
    'Press Ctrl-C to quit.',
  ].join('\n');
}
