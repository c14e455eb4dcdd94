// The bearer tokens of src/commands/tokens.ts: who a header names, what narrows it, and how the
// set is made from PM2_MCP_TOKEN and http.tokens (one made per run when neither names one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessTokens, authenticator, sha256, tokensConfigured } from '../../src/commands/tokens.js';
import { UsageError } from '../../src/errors.js';
import { presetPolicy } from '../helpers/policies.js';

const root = mkdtempSync(join(tmpdir(), 'pm2mcp-tokens-'));
const hex = (token: string) => sha256(token).toString('hex');

test('authenticator: a listed token names its principal; anything else names no one', () => {
  const check = authenticator([
    { name: 'ci', digest: sha256('ci-secret') },
    { name: 'alice', digest: sha256('alice-secret') },
  ]);
  assert.deepEqual(check('Bearer ci-secret'), { principal: 'ci' });
  assert.deepEqual(check('bearer alice-secret'), { principal: 'alice' });
  assert.deepEqual(check('Bearer \talice-secret \t'), { principal: 'alice' });
  for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic alice-secret', 'Bearer alice-secret extra', 'Bearer alice-secreT', 'alice-secret', 'Bearer ci-secret\n']) {
    assert.equal(check(header), undefined, JSON.stringify(header));
  }
});

test('authenticator: a token\'s narrowing policy comes with its principal', () => {
  const narrowing = presetPolicy(root, 'readonly');
  const check = authenticator([{ name: 'reader', digest: sha256('r'), narrowing }]);
  const caller = check('Bearer r');
  assert.equal(caller?.principal, 'reader');
  assert.equal(caller?.narrowing, narrowing);
});

test('accessTokens: PM2_MCP_TOKEN is "default", leaves the environment, and its digest is all that is kept', async () => {
  const env: NodeJS.ProcessEnv = { PM2_MCP_TOKEN: 'from-env', OTHER: 'x' };
  const access = await accessTokens(presetPolicy(root, 'standard'), env);
  assert.deepEqual(env, { OTHER: 'x' });
  assert.equal(access.generated, undefined);
  assert.deepEqual(access.tokens.map((t) => t.name), ['default']);
  assert.deepEqual(authenticator(access.tokens)('Bearer from-env'), { principal: 'default' });
});

test('accessTokens: http.tokens, each with its own principal, and a preset that narrows one', async () => {
  const policy = presetPolicy(root, 'standard', { http: { tokens: [{ name: 'ci', sha256: hex('ci-secret') }, { name: 'reader', sha256: hex('r'), extends: 'readonly' }] } });
  assert.equal(tokensConfigured(policy, {}), true);
  const access = await accessTokens(policy, {});
  assert.equal(access.generated, undefined);
  const check = authenticator(access.tokens);
  assert.deepEqual(check('Bearer ci-secret'), { principal: 'ci' });
  const reader = check('Bearer r');
  assert.equal(reader?.principal, 'reader');
  assert.equal(reader?.narrowing?.preset, 'readonly');
});

test('accessTokens: with no token configured, one is made for this run and names "default"', async () => {
  const policy = presetPolicy(root, 'standard');
  assert.equal(tokensConfigured(policy, {}), false);
  assert.equal(tokensConfigured(policy, { PM2_MCP_TOKEN: '' }), false);
  const access = await accessTokens(policy, {});
  assert.match(access.generated ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(authenticator(access.tokens)(`Bearer ${access.generated}`), { principal: 'default' });
  const again = await accessTokens(policy, {});
  assert.notEqual(again.generated, access.generated);
});

test('accessTokens: two tokens with one name are refused, naming it', async () => {
  const policy = presetPolicy(root, 'standard', { http: { tokens: [{ name: 'default', sha256: hex('a') }] } });
  await assert.rejects(accessTokens(policy, { PM2_MCP_TOKEN: 'b' }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, 'Two tokens are named "default" (PM2_MCP_TOKEN is "default"): every token in http.tokens needs a name of its own.');
    return true;
  });
  const twice = presetPolicy(root, 'standard', { http: { tokens: [{ name: 'ci', sha256: hex('a') }, { name: 'ci', sha256: hex('b') }] } });
  await assert.rejects(accessTokens(twice, {}), { name: 'UsageError', message: 'Two tokens are named "ci": every token in http.tokens needs a name of its own.' });
});
