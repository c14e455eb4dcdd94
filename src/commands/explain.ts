// `pm2-mcp explain <tool> '<json>'`: the decision the server would make for that call, without
// running it. Exit 0 allow, 1 deny, 2 error.
import { NO_AUDIT } from '../audit/auditor.js';
import { ToolError, UsageError } from '../errors.js';
import { choosePm2Home } from '../home.js';
import { createPm2Adapter } from '../pm2/adapter.js';
import { redactRequest } from '../policy/redact-request.js';
import { decide } from '../server/dispatch.js';
import { limitText } from '../server/limits.js';
import { TOOLS } from '../server/tools/index.js';
import { gateFactory, servedFacts } from './gate.js';
import { loadPolicy } from './load-policy.js';

export interface ExplainOptions {
  command: 'explain';
  /** The tool, and its arguments as one JSON text. */
  tool: string;
  toolArgs?: string;
  pm2Home?: string;
  configFile?: string;
  policy?: string;
}

export async function explain(options: ExplainOptions, out: (text: string) => void): Promise<number> {
  const tool = TOOLS.find((t) => t.name === options.tool);
  if (!tool) throw new UsageError(`Unknown tool "${options.tool}". Tools: ${TOOLS.map((t) => t.name).join(', ')}.`);
  let args: unknown = {};
  if (options.toolArgs !== undefined) {
    try {
      args = JSON.parse(options.toolArgs);
    } catch (err) {
      throw new UsageError(`The arguments are not JSON: ${(err as Error).message}`);
    }
  }
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });
  // Explaining never starts a daemon: targets resolve against the one that runs, if any.
  const pm2 = createPm2Adapter({ home: home.home, noDaemon: false, spawnDaemon: false });
  try {
    // Stages 1-3 only: nothing runs, so nothing is audited. The facts are the server's (its home,
    // its audit log): without them a restart's default log files would read as outside the policy.
    const facts = servedFacts({ policy, home: home.home, env: process.env, cwd: process.cwd() });
    const gate = gateFactory({ pm2, policy, facts, auditor: NO_AUDIT, onAuditFailure: () => undefined });
    const decided = await decide(gate(), tool, args);
    if (!decided.ok) {
      out(`Error: ${decided.error.code}: ${decided.error.message}`);
      return 2;
    }
    const { decision, effect, request } = decided;
    out(`Decision: ${effect}${effect === 'would_deny' ? ' (audit mode: it would run)' : ''}`);
    out(`Rule: ${decision.ruleId}`);
    out(`Reason: ${decision.reason}`);
    if (decision.hint) out(`Hint: ${decision.hint}`);
    out(`Policy: ${policy.preset}${policy.configFile ? ` (${policy.configFile})` : ''}, mode ${policy.mode}`);
    // explain is one call of its own: it counts nothing, so it says the limit a server would count against.
    const limit = Object.hasOwn(policy.limits, tool.name) ? policy.limits[tool.name as keyof typeof policy.limits] : undefined;
    if (limit) out(`Limit: ${limitText(limit)} (limits.${tool.name}; the server counts calls across its sessions, explain counts none)`);
    const refused = policy.rootRefused;
    if (refused) out(`Root refused: ${refused}`);
    out(`Request: ${JSON.stringify(redactRequest(request), null, 2)}`);
    return decision.effect === 'allow' ? 0 : 1;
  } catch (err) {
    if (err instanceof ToolError) {
      out(`Error: ${err.code}: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await pm2.close().catch(() => undefined);
  }
}
