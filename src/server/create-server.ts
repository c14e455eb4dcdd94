// Wires the gate to an MCP server: tools, resources, prompts, completion and logging. Every handler that
// touches process data goes through dispatch().
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, CompleteRequestSchema, ElicitResultSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema, type CallToolResult, type ProgressToken, type ServerNotification, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallerInfo } from '../audit/auditor.js';
import type { ToolError } from '../errors.js';
import type { ProcessRef } from '../model/requests.js';
import { dispatch, type Gate } from './dispatch.js';
import { NO_ELICITATION } from './no-elicitation.js';
import { PROMPT_ARGUMENT_MAX, visiblePrompts } from './prompts.js';
import { APPROVAL_SCHEMA, ASK_TIMEOUT_MS, questionText, readAnswer, type AskPerson } from './ask.js';
import { listProcessResources, PROCESS_TEMPLATE, PROCESSES_URI, processIdOf, processUri, readProcess, readProcesses } from './resources.js';
import type { AnyTool } from './operation.js';
import { safeReply } from '../safe-text.js';
import { toWire } from './wire.js';

export interface ServerOptions {
  /** The gate, or how to get the current one: a call takes it once, as it begins (a policy reloaded meanwhile applies to the next call). */
  gate: Gate | (() => Gate);
  name: string;
  version: string;
  transport: CallerInfo['transport'];
  /** Who calls: "local" on stdio, the token's name over HTTP. */
  principal: string;
  /** Said once to the client, as a logging notification, after it initialized. */
  notices: string[];
  /** Tools the policy denies outright: not listed (calls to them are still checked and refused). */
  hidden: ReadonlySet<string> | (() => ReadonlySet<string>);
}

/** What each session lists now, so that a policy change says so only to the sessions whose list it changed. */
const listed = new WeakMap<Server, { hidden: () => ReadonlySet<string>; key: string }>();
const keyOf = (hidden: ReadonlySet<string>) => [...hidden].sort().join(',');

/**
 * The policy changed: a session whose visible tools (and so prompts) changed is told
 * (notifications/tools/list_changed, prompts/list_changed); the others hear nothing.
 */
export function policyChanged(server: Server): void {
  const entry = listed.get(server);
  if (!entry || server.getClientCapabilities() === undefined) return;
  const key = keyOf(entry.hidden());
  if (key === entry.key) return;
  entry.key = key;
  void server.sendToolListChanged().catch(() => undefined);
  void server.sendPromptListChanged().catch(() => undefined);
}

/**
 * The tools' definitions (their schemas, their code) are loaded once, when a session has
 * initialized or first asks for them: answering initialize does not need them, and start-up is
 * spawn → initialize answered (issue 13). A session that lists or calls before then waits for
 * the same load.
 */
let toolsLoad: Promise<ReadonlyMap<string, AnyTool>> | undefined;
function loadTools(): Promise<ReadonlyMap<string, AnyTool>> {
  toolsLoad ??= import('./tools/index.js').then((m) => new Map(m.TOOLS.map((t) => [t.name, t])));
  return toolsLoad;
}

const INSTRUCTIONS =
  'pm2-mcp manages processes through PM2. Find processes with pm2_list_processes; name them by pm_id or name. ' +
  'Read output with pm2_tail_logs (give back its cursor to follow); find out why a process crashed, restarts or is silent with pm2_diagnose_process. Calls may be refused by the owner\'s policy: the refusal says which rule and which config key would allow it.';

export function createMcpServer(options: ServerOptions): Server {
  const server = new Server(
    { name: options.name, version: options.version },
    { capabilities: { tools: { listChanged: true }, resources: { listChanged: false }, prompts: { listChanged: true }, logging: {}, completions: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: NO_ELICITATION },
  );
  const gateNow: () => Gate = typeof options.gate === 'function' ? options.gate : ((g) => () => g)(options.gate);
  const hiddenNow: () => ReadonlySet<string> = typeof options.hidden === 'function' ? options.hidden : ((h) => () => h)(options.hidden);
  listed.set(server, { hidden: hiddenNow, key: keyOf(hiddenNow()) });
  let wire: { key: string; tools: Tool[] } | undefined;

  const caller = (sessionId?: string): CallerInfo => {
    const client = server.getClientVersion();
    return { transport: options.transport, principal: options.principal, ...(sessionId ? { sessionId } : {}), ...(client ? { client: { name: client.name, version: client.version } } : {}) };
  };

  /** A call to no tool or resource at all is still recorded: the owner sees what was tried. */
  const refuseUnknown = async (ruleId: string, reason: string, operation: string, args: unknown, who: CallerInfo) => {
    const gate = gateNow();
    await gate.auditor
      .decision({ decisionId: randomUUID(), operation, request: null, args, decision: { effect: 'deny', ruleId, reason }, effect: 'deny', caller: who })
      .catch((err: unknown) => gate.onAuditFailure(`The audit log could not be written: ${(err as Error).message}`));
  };

  /** A request before initialize is refused: the client has not said who it is, nor agreed on a protocol. */
  const requireInitialized = () => {
    if (server.getClientCapabilities() === undefined) throw new McpError(ErrorCode.InvalidRequest, 'The session is not initialized: send initialize first.');
  };

  server.oninitialized = () => {
    void loadTools().catch(() => undefined);
    for (const data of options.notices) void server.sendLoggingMessage({ level: 'warning', logger: 'pm2-mcp', data }).catch(() => undefined);
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    requireInitialized();
    const hidden = hiddenNow();
    const key = keyOf(hidden);
    const tools = await loadTools();
    if (wire?.key !== key) wire = { key, tools: [...tools.values()].filter((t) => !hidden.has(t.name)).map(toWire) };
    return { tools: wire.tools };
  });

  // tools/call is answered here rather than through setRequestHandler: the SDK parses a request
  // before its handler runs and answers a malformed one with -32603 and no record. Here a call
  // whose params do not parse is -32602 (invalid params), and the owner sees it in the log.
  const callTool = async (raw: unknown, extra: CallExtra): Promise<CallToolResult> => {
    const parsed = CallToolRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const params = (raw as { params?: { name?: unknown; arguments?: unknown } }).params;
      const name = typeof params?.name === 'string' ? params.name : '(no name)';
      await refuseUnknown('arguments.invalid', 'the tools/call request does not have the shape MCP gives it (a tool name and an object of arguments)', name, params?.arguments, caller(extra.sessionId));
      throw new McpError(ErrorCode.InvalidParams, `Invalid tools/call request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ').slice(0, 500)}`);
    }
    const request = parsed.data;
    const tool = (await loadTools()).get(request.params.name);
    if (!tool) {
      await refuseUnknown('tools.unknown', `no tool is named ${request.params.name}`, request.params.name, request.params.arguments, caller(extra.sessionId));
      // The name as sent may be megabytes: the reply quotes its beginning.
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${shortName(request.params.name)}`);
    }
    // The arguments as sent, not as the SDK's schema copied them: the copy drops a "__proto__"
    // key, which the gate refuses (src/bounded-value.ts) rather than let pass unseen.
    const sent = (raw as { params: { arguments?: unknown } }).params.arguments;
    const outcome = await dispatch(gateNow(), tool, sent ?? {}, caller(extra.sessionId), extra.signal, progressChannel(request.params._meta?.progressToken, extra), askChannel(server, extra));
    if (!outcome.ok) return errorResult(outcome.error);
    return { content: [{ type: 'text', text: outcome.result.text }], structuredContent: outcome.result.structured as Record<string, unknown> };
  };
  server.fallbackRequestHandler = async (request, extra) => {
    requireInitialized();
    if (request.method === 'tools/call') return callTool(request, extra);
    throw new McpError(ErrorCode.MethodNotFound, 'Method not found');
  };

  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    requireInitialized();
    const outcome = await dispatch(gateNow(), listProcessResources, {}, caller(extra.sessionId), extra.signal);
    const refs = outcome.ok ? (outcome.result.structured as ProcessRef[]) : [];
    return {
      resources: [
        { uri: PROCESSES_URI, name: 'processes', title: 'pm2 processes', description: 'Every process pm2 manages (the list view).', mimeType: 'application/json' },
        ...refs.map((r) => ({ uri: processUri(r.pm_id), name: `${r.name} (${r.pm_id})`, title: `pm2 process ${r.name} [${r.pm_id}]`, mimeType: 'application/json' })),
      ],
    };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => (requireInitialized(), {
    resourceTemplates: [
      { uriTemplate: PROCESS_TEMPLATE, name: 'process', title: 'One pm2 process', description: 'Details of one process, by pm_id (env values redacted).', mimeType: 'application/json' },
    ],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    requireInitialized();
    const uri = request.params.uri;
    const id = processIdOf(uri);
    const op = uri === PROCESSES_URI ? readProcesses : id !== undefined ? readProcess : undefined;
    if (!op) {
      await refuseUnknown('resources.unknown', `no resource has the URI ${uri}`, uri, {}, caller(extra.sessionId));
      throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${shortName(uri)}. Resources are ${PROCESSES_URI} and ${PROCESS_TEMPLATE}.`);
    }
    const outcome = await dispatch(gateNow(), op, id !== undefined ? { id } : {}, caller(extra.sessionId), extra.signal);
    if (!outcome.ok) throw new McpError(ErrorCode.InvalidParams, `${outcome.error.code}: ${outcome.error.message}`);
    return { contents: [{ uri, mimeType: 'application/json', text: outcome.result.text }] };
  });

  // A prompt runs nothing: its steps are tool calls, each through the gate.
  const prompts = () => visiblePrompts(hiddenNow());
  server.setRequestHandler(ListPromptsRequestSchema, async () => (requireInitialized(), {
    prompts: prompts().map((p) => ({ name: p.name, title: p.title, description: p.description, arguments: [{ name: 'process', description: 'The process: its pm_id, its name, a namespace, or "all".', required: true }] })),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    requireInitialized();
    const shown = prompts();
    const prompt = shown.find((p) => p.name === request.params.name);
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${shortName(request.params.name)}. Prompts are ${shown.map((p) => p.name).join(', ') || 'none under this policy'}.`);
    const process = request.params.arguments?.process;
    if (typeof process !== 'string' || process.length === 0 || process.length > PROMPT_ARGUMENT_MAX) {
      throw new McpError(ErrorCode.InvalidParams, `The prompt ${prompt.name} needs the argument "process": a pm_id or a name of 1 to ${PROMPT_ARGUMENT_MAX} characters.`);
    }
    return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text: safeReply(prompt.text(process)) } }] };
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    requireInitialized();
    const { ref, argument } = request.params;
    const forResource = ref.type === 'ref/resource' && ref.uri === PROCESS_TEMPLATE && argument.name === 'id';
    const forPrompt = ref.type === 'ref/prompt' && prompts().some((p) => p.name === ref.name) && argument.name === 'process';
    if (!forResource && !forPrompt) return { completion: { values: [] } };
    const outcome = await dispatch(gateNow(), listProcessResources, {}, caller(extra.sessionId), extra.signal);
    const refs = outcome.ok ? (outcome.result.structured as ProcessRef[]) : [];
    // A prompt takes a name as readily as a pm_id: names first, each once.
    const all = forResource ? refs.map((r) => String(r.pm_id)) : [...new Set([...refs.map((r) => r.name), ...refs.map((r) => String(r.pm_id))])];
    const values = all.filter((v) => v.startsWith(argument.value)).slice(0, 100);
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

interface CallExtra {
  sessionId?: string | undefined;
  signal: AbortSignal;
  requestId?: string | number | undefined;
  sendNotification: (notification: ServerNotification) => Promise<void>;
}

/**
 * How to ask the client's person, when the client declared form elicitation: one
 * elicitation/create request, on the call's own stream (over HTTP, the call's SSE response),
 * bounded by ASK_TIMEOUT_MS and by the call's cancellation. The answer is read strictly by us
 * (src/server/ask.ts), not by the SDK's validator.
 */
function askChannel(server: Server, extra: CallExtra): AskPerson | undefined {
  const elicitation = server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  // An empty elicitation capability is form mode (MCP 2025-06-18); a url-only client cannot show a form.
  if (!elicitation || (elicitation.form === undefined && elicitation.url !== undefined)) return undefined;
  return async (question, signal) => {
    try {
      const result = await server.request(
        { method: 'elicitation/create', params: { mode: 'form', message: questionText(question), requestedSchema: APPROVAL_SCHEMA } },
        ElicitResultSchema,
        { timeout: ASK_TIMEOUT_MS, ...(signal ? { signal } : {}), ...(extra.requestId !== undefined ? { relatedRequestId: extra.requestId } : {}) },
      );
      return readAnswer(result);
    } catch (err) {
      // The SDK reports an aborted request as a timeout too: the cancel is asked first.
      if (signal?.aborted) return { action: 'cancel', approved: false, detail: 'the client cancelled the call while the question was open' };
      if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) return { action: 'timeout', approved: false, detail: `nobody answered within ${ASK_TIMEOUT_MS / 1000} s` };
      return { action: 'failed', approved: false, detail: `the question could not be asked: ${safeReply((err as Error).message).slice(0, 300)}` };
    }
  };
}

/**
 * The client's progressToken as a callback: each message is one notifications/progress, its
 * progress counting up (MCP asks that it increase). None when the client asked for no progress.
 */
function progressChannel(token: ProgressToken | undefined, extra: CallExtra): ((message: string) => void) | undefined {
  if (token === undefined) return undefined;
  let progress = 0;
  return (message) => {
    if (extra.signal.aborted) return;
    progress += 1;
    void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message: safeReply(message) } }).catch(() => undefined);
  };
}

/** A name or URI as the client sent it, cut for a reply (the audit record keeps up to 1 KiB of it). */
function shortName(name: string): string {
  return safeReply(name.length > 200 ? `${name.slice(0, 200)}… (${name.length} characters)` : name);
}

function errorResult(error: ToolError): CallToolResult {
  return {
    isError: true,
    // The message may quote what the client sent (a name, a path): no control or bidi character
    // reaches the client's terminal (docs/threat-model.md §T14).
    content: [{ type: 'text', text: safeReply(`${error.code}: ${error.message}`) }],
    // Not structuredContent: clients validate that against the tool's output schema.
    _meta: { 'pm2-mcp/error': { code: error.code, ...error.details } },
  };
}
