// The MCP server in this process: createMcpServer() linked to an SDK Client by the SDK's
// InMemoryTransport, over a fake pm2 (test/helpers/fake-pm2.ts). For tests of dispatch and of the
// wiring (what is listed, what is refused, what is audited) that need neither a build nor a
// daemon; the e2e suite keeps the built binary and a real pm2 (test/helpers/harness.ts).
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Auditor } from '../../src/audit/auditor.js';
import type { ServerFacts } from '../../src/model/requests.js';
import type { Pm2Adapter } from '../../src/pm2/adapter.js';
import { hiddenFor, type CompiledPolicy } from '../../src/policy/compile.js';
import { gateFactory } from '../../src/commands/gate.js';
import { createMcpServer } from '../../src/server/create-server.js';
import { FakePm2, rawProcesses } from './fake-pm2.js';
import { MemoryAuditor } from './memory-auditor.js';
import { presetPolicy } from './policies.js';

export interface InProcessOptions {
  /** The folder the policy is rooted at and the fake's processes live under; a temp folder if not given. */
  root?: string;
  /** The server's policy; the standard preset rooted at `root` if not given. */
  policy?: (root: string) => CompiledPolicy;
  /** A token's preset, as over HTTP: a call must pass it too. */
  narrowing?: (root: string) => CompiledPolicy;
  /** A MemoryAuditor if not given. */
  auditor?: Auditor;
  /** A FakePm2 over 50 processes if not given. */
  pm2?: (root: string) => Pm2Adapter;
  transport?: 'stdio' | 'http';
  principal?: string;
  notices?: string[];
}

export interface InProcessSession {
  client: Client;
  server: Server;
  root: string;
  pm2: Pm2Adapter;
  policy: CompiledPolicy;
  auditor: Auditor;
  /** What the server told the operator (stderr in the real server) when the audit stage could not write. */
  auditFailures: string[];
  close: () => Promise<void>;
}

export async function connectInProcess(opts: InProcessOptions = {}): Promise<InProcessSession> {
  const temp = opts.root === undefined ? await realpath(await mkdtemp(join(tmpdir(), 'pm2-mcp-inproc-'))) : undefined;
  const root = opts.root ?? temp!;
  const pm2 = opts.pm2?.(root) ?? new FakePm2(root, rawProcesses(root));
  const policy = opts.policy?.(root) ?? presetPolicy(root, 'standard');
  const narrowing = opts.narrowing?.(root);
  const auditor = opts.auditor ?? new MemoryAuditor();
  const auditFailures: string[] = [];

  // Built by the same function as src/commands/serve.ts builds it with.
  const facts: ServerFacts = { pm2Home: pm2.home, pm2LogDir: join(pm2.home, 'logs'), ownFiles: [] };
  const gate = gateFactory({ pm2, policy, facts, auditor, onAuditFailure: (message) => auditFailures.push(message) })(narrowing);
  const served = gate.policy;
  const hidden = hiddenFor(policy, narrowing);
  const server = createMcpServer({
    name: 'pm2-mcp', version: 'test', transport: opts.transport ?? 'stdio', principal: opts.principal ?? 'local', notices: opts.notices ?? [], hidden, gate,
  });

  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'pm2-mcp-in-process', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client, server, root, pm2, policy: served, auditor, auditFailures,
    close: async () => {
      await client.close();
      await server.close();
      if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    },
  };
}
