// The server's wiring in-process (test/helpers/in-process.ts): an SDK Client, createMcpServer()
// and the gate over a fake pm2, no build and no daemon. What is listed, what is refused and why,
// and that every call, refused or not, is audited before anything runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { hiddenTools } from '../../src/policy/compile.js';
import { TOOLS } from '../../src/server/tools/index.js';
import { assertRefused } from '../helpers/fixtures.js';
import { textOf } from '../helpers/harness.js';
import { connectInProcess, type InProcessSession } from '../helpers/in-process.js';
import { failingAuditor, MemoryAuditor } from '../helpers/memory-auditor.js';
import { presetPolicy } from '../helpers/policies.js';

async function call(s: InProcessSession, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await s.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Runs `body` with a connected session, and closes it whatever happens. */
async function withSession(opts: Parameters<typeof connectInProcess>[0], body: (s: InProcessSession) => Promise<void>): Promise<void> {
  const s = await connectInProcess(opts);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

/** Counts the calls that reached pm2's `method`: a refused call must reach none. */
function countCalls(s: InProcessSession, method: 'dump' | 'killDaemon' | 'list'): () => number {
  let calls = 0;
  const original = s.pm2[method].bind(s.pm2) as () => Promise<never>;
  (s.pm2 as unknown as Record<string, () => Promise<unknown>>)[method] = () => {
    calls++;
    return original();
  };
  return () => calls;
}

describe('tools/list and a call that is allowed', () => {
  test('lists the registry\'s tools less the ones the policy denies outright, in order', async () => {
    await withSession({}, async (s) => {
      const hidden = hiddenTools(s.policy);
      assert.ok(hidden.size > 0, 'the standard preset hides something (pm2_kill_daemon): else this test shows nothing');
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), TOOLS.filter((t) => !hidden.has(t.name)).map((t) => t.name));
    });
  });

  test('pm2_list_processes answers from pm2, and its decision and outcome are recorded', async () => {
    const auditor = new MemoryAuditor();
    await withSession({ auditor }, async (s) => {
      const r = await call(s, 'pm2_list_processes');
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal((r.structuredContent as { count: number }).count, 50);
      const d = auditor.decisionFor('pm2_list_processes');
      assert.equal(d.effect, 'allow');
      assert.equal(d.caller.principal, 'local');
      assert.equal(d.caller.client?.name, 'pm2-mcp-in-process');
      assert.deepEqual(auditor.outcomes.map((o) => [o.decisionId, o.ok]), [[d.decisionId, true]]);
    });
  });
});

describe('the audit stage cannot write', () => {
  test('the call is refused, says so, nothing reaches pm2, and the operator is told', async () => {
    await withSession({ auditor: failingAuditor('ENOSPC: no space left on device') }, async (s) => {
      const dumps = countCalls(s, 'dump');
      const r = await call(s, 'pm2_dump');
      assertRefused(r, /^AUDIT_UNAVAILABLE: The audit log could not be written, so nothing was run: ENOSPC: no space left on device$/, 'pm2_dump with no audit log');
      assert.equal(dumps(), 0, 'pm2 was asked to dump although nothing was recorded');
      assert.equal(s.auditFailures.length, 1);
      assert.match(s.auditFailures[0]!, /could not be written, so nothing was run: ENOSPC/);
    });
  });
});

describe('a token\'s preset narrows the server\'s policy', () => {
  test('the server\'s policy (standard) allows pm2_dump: without a token it runs', async () => {
    await withSession({}, async (s) => {
      const dumps = countCalls(s, 'dump');
      const r = await call(s, 'pm2_dump');
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal(dumps(), 1);
    });
  });

  test('a readonly token is refused pm2_dump by its own preset, and the refusal is recorded as the token\'s', async () => {
    const auditor = new MemoryAuditor();
    await withSession({ auditor, narrowing: (root) => presetPolicy(root, 'readonly'), transport: 'http', principal: 'ci' }, async (s) => {
      const dumps = countCalls(s, 'dump');
      const { tools } = await s.client.listTools();
      assert.ok(!tools.some((t) => t.name === 'pm2_dump'), 'a tool the token may not call is not listed to it');
      const r = await call(s, 'pm2_dump');
      assertRefused(r, /^POLICY_DENIED: Denied by rule token\.tools\.pm2_dump: the caller's token is limited to the readonly preset/, 'pm2_dump by a readonly token');
      assert.equal(dumps(), 0);
      const d = auditor.decisionFor('pm2_dump');
      assert.deepEqual([d.effect, d.decision.ruleId, d.caller.principal], ['deny', 'token.tools.pm2_dump', 'ci']);
    });
  });
});

describe('fail closed', () => {
  test('a tool no one defined is a protocol error, and the attempt is recorded', async () => {
    const auditor = new MemoryAuditor();
    await withSession({ auditor }, async (s) => {
      await assert.rejects(call(s, 'pm2_format_disk', { really: true }), /Unknown tool: pm2_format_disk/);
      const d = auditor.decisionFor('pm2_format_disk');
      assert.deepEqual([d.effect, d.decision.ruleId, d.request], ['deny', 'tools.unknown', null]);
      assert.deepEqual(d.args, { really: true });
    });
  });

  test('an unknown tool is refused even when the audit log cannot record it, and the operator is told', async () => {
    await withSession({ auditor: failingAuditor('EACCES') }, async (s) => {
      await assert.rejects(call(s, 'pm2_format_disk'), /Unknown tool: pm2_format_disk/);
      assert.deepEqual(s.auditFailures, ['The audit log could not be written: EACCES']);
    });
  });

  test('a hidden tool is not listed, yet a call to it is still checked, refused and recorded', async () => {
    const auditor = new MemoryAuditor();
    await withSession({ auditor }, async (s) => {
      assert.ok(hiddenTools(s.policy).has('pm2_kill_daemon'), 'standard denies pm2_kill_daemon outright');
      const kills = countCalls(s, 'killDaemon');
      const { tools } = await s.client.listTools();
      assert.ok(!tools.some((t) => t.name === 'pm2_kill_daemon'), 'pm2_kill_daemon is listed although the policy denies it');
      const r = await call(s, 'pm2_kill_daemon');
      assertRefused(r, /^POLICY_DENIED: Denied by rule tools\.pm2_kill_daemon:/, 'pm2_kill_daemon under standard');
      assert.equal(kills(), 0);
      assert.deepEqual([auditor.decisionFor('pm2_kill_daemon').effect], ['deny']);
    });
  });
});
