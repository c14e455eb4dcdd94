// Serves one MCP session over stdin/stdout until the client closes stdin or a signal arrives.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { claimStdout } from './stdout-guard.js';

export async function serveStdio(server: Server): Promise<string> {
  const transport = new StdioServerTransport(process.stdin, claimStdout());
  const ended = new Promise<string>((resolve) => {
    transport.onclose = () => resolve('the client closed the connection');
    process.stdin.once('end', () => resolve('stdin ended'));
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.connect(transport);
  const why = await ended;
  await server.close().catch(() => undefined);
  return why;
}
