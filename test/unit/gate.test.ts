// The gate built in one place (src/commands/gate.ts) for serve and explain: the server's facts
// reach its policy and a token's narrowing one alike, and redaction follows either policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_AUDIT } from '../../src/audit/auditor.js';
import { gateFactory, serverFacts } from '../../src/commands/gate.js';
import type { Pm2Adapter } from '../../src/pm2/adapter.js';
import { presetPolicy } from '../helpers/policies.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'pm2mcp-gate-')));
const pm2 = {} as Pm2Adapter; // never called: building a gate touches no process
const parts = { pm2, auditor: NO_AUDIT, onAuditFailure: () => undefined };

test('serverFacts: the home, its logs folder, and each own file as given and as its real path', () => {
  const home = join(root, 'home');
  const audit = join(root, 'audit.jsonl');
  writeFileSync(audit, '');
  assert.deepEqual(serverFacts(home, [audit]), { pm2Home: home, pm2LogDir: join(home, 'logs'), ownFiles: [audit] });
  assert.deepEqual(serverFacts(home, []).ownFiles, []);
});

test('gateFactory: the server\'s facts reach its own policy and a token\'s narrowing one', () => {
  const facts = serverFacts(join(root, 'home'), [join(root, 'audit.jsonl')]);
  const gates = gateFactory({ ...parts, policy: presetPolicy(root, 'standard'), facts });
  const narrowed = gates(presetPolicy(root, 'readonly'));
  assert.equal(narrowed.policy.server.pm2Home, facts.pm2Home);
  assert.equal(narrowed.narrowing?.server.pm2Home, facts.pm2Home);
  assert.ok(narrowed.narrowing?.server.ownFiles.includes(join(root, 'audit.jsonl')));
  assert.equal(narrowed.ctx.policy, narrowed.policy);
  assert.equal(narrowed.ctx.root, root);
  assert.equal(gates().narrowing, undefined);
});

test('gateFactory: without facts (explain), the policy is the one compiled', () => {
  const policy = presetPolicy(root, 'standard');
  const gate = gateFactory({ ...parts, policy })();
  assert.equal(gate.policy, policy);
  assert.equal(gate.ctx.pm2, pm2);
  assert.equal(gate.auditor, NO_AUDIT);
});

test('gateFactory: env values are redacted when the server\'s policy or the token\'s says so', () => {
  const open = presetPolicy(root, 'standard', { output: { redactEnv: false } });
  const closed = presetPolicy(root, 'readonly', { output: { redactEnv: true } });
  assert.equal(gateFactory({ ...parts, policy: open })().ctx.redactEnv, false);
  assert.equal(gateFactory({ ...parts, policy: open })(closed).ctx.redactEnv, true);
  assert.equal(gateFactory({ ...parts, policy: closed })(open).ctx.redactEnv, true);
});
