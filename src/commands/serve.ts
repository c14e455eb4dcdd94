// `pm2-mcp serve`: load the policy, choose PM2_HOME, open the audit log, connect the gate to
// pm2, and serve MCP on stdio or Streamable HTTP until the client (or a signal) ends it.
import { AuditLog, DEFAULT_MAX_BYTES, policyRecord, serverRecord } from '../audit/audit-log.js';
import { NO_AUDIT, type Auditor } from '../audit/auditor.js';
import { auditFile } from '../audit/location.js';
import { TOOLS } from '../server/tools/index.js';
import { choosePm2Home, describeFallback } from '../home.js';
import type { CliOptions } from '../options.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { hiddenTools, withServerFacts, type CompiledPolicy } from '../policy/compile.js';
import type { ServerFacts } from '../model/requests.js';
import { join } from 'node:path';
import { realOrUndefined, withRealFolder } from '../real-path.js';
import { createMcpServer } from '../server/create-server.js';
import type { Gate } from '../server/dispatch.js';
import { serveStdio } from '../transport/stdio.js';
import { NAME, VERSION } from '../version.js';
import { scrubEnvironment } from '../scrub-env.js';
import { registerServer, serverRegistryDir, useServerRegistry } from '../pm2/self.js';
import { loadPolicy } from './load-policy.js';

export interface Io {
  stderr: (line: string) => void;
  stdinIsTty: boolean;
}

const CLOSE_BOUND_MS = 5_000;

export async function serve(options: CliOptions, io: Io): Promise<number> {
  // A config error stops the server before it serves anything (the CLI prints it, exit 2).
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });
  // The HTTP side (node:http, the SDK's HTTP transport and undici behind it) loads only for HTTP:
  // a stdio server answers initialize without paying for it.
  const http = options.transport === 'http' ? await import('./serve-http.js') : undefined;
  if (http && options.http.pm2) return http.startUnderPm2(options, policy, home.home, io);

  const notices: string[] = [];
  // A working folder that is no project gives readonly: say why, or the agent only sees tools missing.
  const refused = policy.rootRefused;
  if (refused) notices.push(refused);
  const fallback = describeFallback(home);
  if (fallback) notices.push(fallback);
  if (home.exposure) notices.push(`PM2_HOME is not private: ${home.exposure}. Any process that can reach its rpc.sock controls pm2.`);
  for (const n of notices) io.stderr(`pm2-mcp: ${n}`);
  io.stderr(`pm2-mcp: policy ${policy.preset}${policy.configFile ? ` from ${policy.configFile}` : ''} (${policy.mode}), PM2_HOME=${home.home}`);
  const auditor = createAuditor(options, policy, home.home);
  io.stderr(`pm2-mcp: audit log ${auditor instanceof AuditLog ? auditor.file : 'off (audit.enabled is false)'}`);

  // Under pm2 (directly, or as a child of npm or a shell), pm2 gave this process its app's pm_id:
  // recorded, so that no client of any server on this home can stop this one (src/pm2/self.ts).
  const unregister = registerUnderPm2(process.env, home.home);
  useServerRegistry(serverRegistryDir(home.home));
  scrubEnvironment(process.env, policy.start.env.passThrough);
  const pm2 = createPm2Adapter({ home: home.home, noDaemon: options.noDaemon, spawnDaemon: mayChangeProcesses(policy) });
  // The policy learns where pm2 keeps its files and which files are pm2-mcp's own, so it can
  // refuse them as log files (docs/threat-model.md §T9); a token's preset learns the same.
  // Paths reach the policy with their folders' real paths: the facts are given both ways.
  const audit = auditor instanceof AuditLog ? [auditor.file, realFile(auditor.file)] : [];
  const facts: ServerFacts = { pm2Home: realFile(home.home), pm2LogDir: join(realFile(home.home), 'logs'), ownFiles: [...new Set(audit)] };
  const served = withServerFacts(policy, facts);
  const gate = (narrowing?: CompiledPolicy): Gate => ({
    ctx: { pm2, root: policy.root, redactEnv: policy.output.redactEnv || (narrowing?.output.redactEnv ?? false), policy: served },
    policy: served,
    narrowing: narrowing ? withServerFacts(narrowing, facts) : undefined,
    auditor,
    onAuditFailure: (message) => io.stderr(`pm2-mcp: ${message}`),
  });
  const hidden = (narrowing?: CompiledPolicy) => new Set([...hiddenTools(policy), ...(narrowing ? hiddenTools(narrowing) : [])]);

  if (http) {
    await http.serveHttp(options, policy, io, (principal, narrowing) =>
      createMcpServer({ name: NAME, version: VERSION, transport: 'http', principal, notices, hidden: hidden(narrowing), gate: gate(narrowing) }),
    );
  } else {
    if (io.stdinIsTty) io.stderr(waitingNote(home.home));
    await serveStdio(createMcpServer({ name: NAME, version: VERSION, transport: 'stdio', principal: 'local', notices, hidden: hidden(), gate: gate() }));
  }
  // Never let a wedged daemon connection keep the server alive after its clients left.
  await Promise.race([pm2.close().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_BOUND_MS).unref())]);
  await auditor.flush();
  unregister();
  return 0;
}

/** Registers this server when pm2 manages it (or its ancestor) in the home it serves. */
function registerUnderPm2(env: NodeJS.ProcessEnv, home: string): () => void {
  const pmId = env.pm_id !== undefined && /^\d{1,9}$/.test(env.pm_id) ? Number(env.pm_id) : undefined;
  if (pmId === undefined) return () => undefined;
  // pm2 hands its apps PM2_HOME; a server managed by another home's daemon is not in this list.
  if (env.PM2_HOME !== undefined && realFile(env.PM2_HOME) !== realFile(home)) return () => undefined;
  try {
    return registerServer(serverRegistryDir(home), pmId);
  } catch {
    return () => undefined;
  }
}

/** The real path of a file, or, while it does not exist yet, its folder's. */
function realFile(path: string): string {
  return realOrUndefined(path) ?? withRealFolder(path);
}

function createAuditor(options: CliOptions, policy: CompiledPolicy, home: string): Auditor {
  const settings = policy.config.audit ?? {};
  if (settings.enabled === false) return NO_AUDIT;
  return new AuditLog({
    file: auditFile({ flag: options.auditFile, env: process.env, policy, home, cwd: process.cwd() }),
    fsync: settings.fsync === 'always' ? true : settings.fsync === false ? false : 'actions',
    maxBytes: settings.maxBytes ?? DEFAULT_MAX_BYTES,
    policy: policyRecord(policy),
    server: serverRecord(VERSION),
  });
}

/** A policy that can only read never spawns a pm2 daemon as a side effect. */
function mayChangeProcesses(policy: CompiledPolicy): boolean {
  return policy.mode === 'audit' || TOOLS.some((t) => !t.annotations.readOnlyHint && policy.tools[t.name] === 'allow');
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
