// One MCP session over stdin/stdout, for the client that spawned this process.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { JsonLinesTransport } from './json-lines.js';
import { claimStdout } from './stdout-guard.js';
import type { SessionFactory, Transport } from './types.js';

export class StdioTransport implements Transport {
  readonly ended: Promise<string>;
  private end: (why: string) => void = () => undefined;
  private server: Server | undefined;

  constructor() {
    this.ended = new Promise((resolve) => (this.end = resolve));
  }

  async start(sessions: SessionFactory): Promise<void> {
    const transport = new JsonLinesTransport(process.stdin, claimStdout());
    transport.onclose = () => this.end('the client closed the connection');
    process.stdin.once('end', () => this.end('stdin ended'));
    this.server = sessions({ principal: 'local' });
    await this.server.connect(transport);
  }

  async stop(_why: string, drain: () => Promise<void>): Promise<void> {
    // The client may be gone (stdin ended): its calls still finish, so their outcomes are recorded.
    await drain();
    await this.server?.close().catch(() => undefined);
  }
}
