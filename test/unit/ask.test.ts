// The "ask" effect as the policy decides it, and the approval's rules: a table of decisions
// (deny beats ask, hard refusals are never asked, start.ask asks only about soft refusals), the
// strict reading of a form's answer, and an approval bound to one request, once, for 60 s.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CanonicalRequest } from '../../src/model/requests.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { Approval, ASK_TIMEOUT_MS, questionText, readAnswer, requestDigest } from '../../src/server/ask.js';
import { startApp, startRequest } from '../helpers/fixtures.js';
import { presetPolicy } from '../helpers/policies.js';

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'pm2mcp-ask-unit-')));
const inRoot = (over = {}) => startApp({ script: join(ROOT, 'app.js'), cwd: ROOT, ...over });
const stop = (name: string, cwd: string | null = ROOT): CanonicalRequest => ({
  kind: 'operate', operation: 'pm2_stop_process', updateEnv: false, target: { asked: name, kind: 'name', processes: [{ pm_id: 1, name, namespace: 'default', cwd }] },
});

test('ask: a table of decisions', () => {
  const asks = presetPolicy(ROOT, 'standard', { tools: { pm2_stop_process: 'ask', pm2_start_process: 'ask' } });
  const startAsks = presetPolicy(ROOT, 'standard', { start: { ask: true } });
  const cases: Array<{ name: string; request: CanonicalRequest; policy: typeof asks; effect: string; rule: string }> = [
    { name: 'a tool that asks, allowed by its rules: ask', request: stop('api'), policy: asks, effect: 'ask', rule: 'tools.pm2_stop_process' },
    { name: 'a tool that asks, denied by its rules: deny (deny beats ask)', request: stop('evil', '/srv/elsewhere'), policy: asks, effect: 'deny', rule: 'processes.scope' },
    { name: 'a start that asks, in the globs: ask', request: startRequest([inRoot()]), policy: asks, effect: 'ask', rule: 'tools.pm2_start_process' },
    { name: 'a start that asks, outside the globs: deny', request: startRequest([startApp({ script: '/srv/elsewhere/x.js', cwd: ROOT })]), policy: asks, effect: 'deny', rule: 'start.scripts' },
    { name: 'start.ask, outside the globs: ask, by the rule that refused', request: startRequest([startApp({ script: '/srv/elsewhere/x.js', cwd: ROOT })]), policy: startAsks, effect: 'ask', rule: 'start.scripts' },
    { name: 'start.ask, in the globs: allow, no question', request: startRequest([inRoot()]), policy: startAsks, effect: 'allow', rule: 'start' },
    { name: 'start.ask, a pm2 field in env (hard): deny', request: startRequest([inRoot({ env: { pm_exec_path: '/bin/sh' } })]), policy: startAsks, effect: 'deny', rule: 'start.env.pm2Field' },
    { name: 'start.ask does not ask about a stop', request: stop('evil', '/srv/elsewhere'), policy: startAsks, effect: 'deny', rule: 'processes.scope' },
  ];
  for (const c of cases) {
    const d = evaluate(c.request, c.policy);
    assert.equal(d.effect, c.effect, `${c.name}: ${d.ruleId} ${d.reason}`);
    if (c.effect !== 'allow') assert.ok(d.ruleId.startsWith(c.rule), `${c.name}: rule ${d.ruleId}`);
  }
});

test('ask: the answer is read strictly: only an accepted form with approve: true, and nothing else, approves', () => {
  const cases: Array<[unknown, string, boolean]> = [
    [{ action: 'accept', content: { approve: true } }, 'accept', true],
    [{ action: 'accept', content: { approve: 'true' } }, 'accept', false],
    [{ action: 'accept', content: { approve: 1 } }, 'accept', false],
    [{ action: 'accept', content: { approve: true, also: 'x' } }, 'accept', false],
    [{ action: 'accept' }, 'accept', false],
    [{ action: 'decline' }, 'decline', false],
    [{ action: 'cancel' }, 'cancel', false],
    [{ action: 'yes', content: { approve: true } }, 'failed', false],
  ];
  for (const [result, action, approved] of cases) {
    const a = readAnswer(result as { action?: unknown; content?: unknown });
    assert.deepEqual([a.action, a.approved], [action, approved], JSON.stringify(result));
  }
});

test('ask: an approval runs its own request once, before it expires, and nothing else', () => {
  const request = stop('api');
  const other = stop('api2');
  const now = 1_000_000;
  const once = new Approval(requestDigest(request), now + ASK_TIMEOUT_MS);
  assert.equal(once.take(other, now), false, 'another request');
  assert.equal(once.take(request, now), true);
  assert.equal(once.take(request, now), false, 'used once');
  const late = new Approval(requestDigest(request), now + ASK_TIMEOUT_MS);
  assert.equal(late.take(request, now + ASK_TIMEOUT_MS + 1), false, 'expired');
  assert.notEqual(requestDigest(request), requestDigest(other));
});

test('ask: the question shows what would run, escaped, never an env value', () => {
  const request = startRequest([inRoot({ name: 'web\u202e', env: { API_KEY: 'sekret-value' }, args: ['--port', '3000'] })]);
  const text = questionText({ operation: 'pm2_start_process', request, ruleId: 'start.scripts', reason: 'x', sha256: requestDigest(request) });
  assert.ok(text.includes(join(ROOT, 'app.js')));
  assert.ok(text.includes('env names: API_KEY (values not shown)'));
  assert.ok(!text.includes('sekret-value'));
  assert.ok(text.includes('\\u202e') && !text.includes('\u202e'), 'a bidi character is escaped');
});
