// Tools and resource reads as data: each says how to parse its arguments, how to build the
// canonical request (I/O allowed), and how to execute once the gate allowed it.
import type { z } from 'zod';
import type { Pm2Adapter } from '../pm2/adapter.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CanonicalRequest } from '../model/requests.js';
import type { ToolName } from '../model/tools.js';
import type { AskPerson } from './ask.js';

export interface ServerContext {
  pm2: Pm2Adapter;
  /** The folder relative paths resolve against (the config's folder, else the working directory). */
  root: string;
  redactEnv: boolean;
  /**
   * The policy, for the few things resolve and execute need from it: which JavaScript
   * ecosystem files may be executed to be read, and which server variables apps inherit.
   * Decisions are made by evaluate() alone.
   */
  policy: CompiledPolicy;
}

export interface ExecuteResult<O> {
  structured: O;
  text: string;
  /** pm_ids the action touched, for the outcome record. */
  affected?: number[];
}

/** What one call brings besides its arguments: the client's cancellation, and a progress channel. */
export interface CallHooks {
  /** The client cancelled the request (notifications/cancelled). */
  signal?: AbortSignal | undefined;
  /** Set when the client asked for progress (a progressToken): each message is one notification. */
  progress?: ((message: string) => void) | undefined;
  /** Set when the client can ask its person (form elicitation): the gate's "ask" effect uses it. */
  ask?: AskPerson | undefined;
}

export interface Operation<A, R extends CanonicalRequest, O> {
  name: string;
  input: z.ZodType<A>;
  resolve(args: A, ctx: ServerContext): Promise<R>;
  execute(request: R, ctx: ServerContext, hooks?: CallHooks): Promise<ExecuteResult<O>>;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: false;
}

export interface ToolDefinition<A = unknown, R extends CanonicalRequest = CanonicalRequest, O = unknown> extends Operation<A, R, O> {
  /** One of the names the policy knows: a tool missing from TOOL_NAMES does not compile. */
  name: ToolName;
  title: string;
  description: string;
  output: z.ZodType<O>;
  annotations: ToolAnnotations;
}

/** Erases the type parameters so definitions of different tools fit one list. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any, any>;

export function defineTool<A, R extends CanonicalRequest, O>(tool: ToolDefinition<A, R, O>): ToolDefinition<A, R, O> {
  return tool;
}
