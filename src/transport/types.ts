// The seam between pm2-mcp and the ways MCP is carried. A transport is started with a factory of
// sessions and stopped; what a session serves (the gate, the policy, the audit log) is the
// factory's business, how its bytes travel is the transport's.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CompiledPolicy } from '../policy/compile.js';

/** Who a session serves. */
export interface Caller {
  /** Written into audit records: "local" on stdio, the token's name over HTTP, "anonymous" without one. */
  principal: string;
  /** A second policy every call must also pass: an HTTP token's preset narrows what its client may do. */
  narrowing?: CompiledPolicy | undefined;
}

/** Makes the MCP server of one session. */
export type SessionFactory = (caller: Caller) => Server;

export interface Transport {
  /** Starts serving; resolves once it does (stdin is read, the port listens). */
  start(sessions: SessionFactory): Promise<void>;
  /** Resolves, with why, when the transport ends by itself (stdio: the client left). A listener never does. */
  readonly ended: Promise<string>;
  /**
   * Takes no new session or request, runs `drain` (the server waits for its calls in flight,
   * bounded, and answers those it gives up on), then closes every session. `why` (a signal, the
   * client leaving) is for the operator, if the transport tells them.
   */
  stop(why: string, drain: () => Promise<void>): Promise<void>;
}

/** Who presents this Authorization header value, or undefined when it names no one. */
export type Authenticate = (authorization: string | undefined) => Caller | undefined;
