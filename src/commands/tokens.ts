// The bearer tokens a server accepts: the principal each one's calls are recorded under and the
// preset that narrows it, and the check of an Authorization header against them. Any transport
// that carries an Authorization header uses both (today: Streamable HTTP).
import { resolve } from 'node:path';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { loadPreset } from '../config/load.js';
import { isPresetName } from '../config/presets.js';
import { UsageError } from '../errors.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Authenticate, Caller } from '../transport/types.js';
import { compileResolved, loadPolicy } from './load-policy.js';

export interface Token {
  /** The principal written into audit records. */
  name: string;
  /** sha256 of the token, as 32 bytes. */
  digest: Buffer;
  /** The second policy this token's calls must also pass, from its `extends`. */
  narrowing?: CompiledPolicy | undefined;
}

export interface AccessTokens {
  tokens: Token[];
  /** Made for this run because none was configured (it is not stored): the operator must see it. */
  generated?: string;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A token for one run: 32 random bytes. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether PM2_MCP_TOKEN or the config's http.tokens name a token (else one is made per run). */
export function tokensConfigured(policy: CompiledPolicy, env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.PM2_MCP_TOKEN) || Boolean(policy.config.http?.tokens?.length);
}

/** PM2_MCP_TOKEN (principal "default") and the config's http.tokens, or one made for this run. */
export async function accessTokens(policy: CompiledPolicy, env: NodeJS.ProcessEnv): Promise<AccessTokens> {
  const configured: { name: string; digest: Buffer; extends?: string }[] = [];
  const fromEnv = env.PM2_MCP_TOKEN;
  // Only its digest is kept: the pm2 daemon this server may spawn inherits the environment, and
  // pm2's cluster mode hands the daemon's environment to every worker.
  delete env.PM2_MCP_TOKEN;
  if (fromEnv) configured.push({ name: 'default', digest: sha256(fromEnv) });
  for (const t of policy.config.http?.tokens ?? []) configured.push({ name: t.name, digest: Buffer.from(t.sha256, 'hex'), ...(t.extends ? { extends: t.extends } : {}) });
  // Names are principals and key the per-token presets: two tokens may not share one.
  const seen = new Set<string>();
  for (const t of configured) {
    if (seen.has(t.name)) throw new UsageError(`Two tokens are named "${t.name}"${t.name === 'default' ? ' (PM2_MCP_TOKEN is "default")' : ''}: every token in http.tokens needs a name of its own.`);
    seen.add(t.name);
  }
  let generated: string | undefined;
  if (configured.length === 0) {
    generated = newToken();
    configured.push({ name: 'default', digest: sha256(generated) });
  }
  const tokens: Token[] = [];
  for (const t of configured) tokens.push({ name: t.name, digest: t.digest, ...(t.extends ? { narrowing: await narrowingPolicy(t.extends, policy) } : {}) });
  return { tokens, ...(generated !== undefined ? { generated } : {}) };
}

/**
 * Each configured token's narrowing policy, by the token's name (undefined: it has none): what a
 * policy reloaded while the server runs gives the tokens the server already accepts.
 */
export async function tokenNarrowings(policy: CompiledPolicy): Promise<Map<string, CompiledPolicy | undefined>> {
  const out = new Map<string, CompiledPolicy | undefined>();
  for (const t of policy.config.http?.tokens ?? []) out.set(t.name, t.extends ? await narrowingPolicy(t.extends, policy) : undefined);
  return out;
}

/** The files of the tokens' own presets (an `extends` that is a path), for the server to watch. */
export function tokenPresetFiles(policy: CompiledPolicy): string[] {
  return (policy.config.http?.tokens ?? []).flatMap((t) => (t.extends && !isPresetName(t.extends) ? [resolve(policy.root, t.extends)] : []));
}

/**
 * A token's `extends` is a second policy its calls must also pass, so it can only narrow: the
 * preset itself (not the config merged over it, which could re-open what the preset closes).
 */
async function narrowingPolicy(extendsValue: string, policy: CompiledPolicy): Promise<CompiledPolicy> {
  if (isPresetName(extendsValue)) {
    const preset = await loadPreset(extendsValue);
    return compileResolved({ config: preset.config, root: policy.root, sources: [preset.label], preset: extendsValue });
  }
  return loadPolicy({ cwd: policy.root, configFile: extendsValue });
}

/** The check of an Authorization header: "Bearer <token>" against every token. */
export function authenticator(tokens: readonly Token[]): Authenticate {
  return (authorization) => {
    const presented = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '')?.[1];
    if (presented === undefined) return undefined;
    const digest = sha256(presented);
    // Every entry is compared, so timing says nothing of which matched.
    let found: Token | undefined;
    for (const entry of tokens) if (timingSafeEqual(digest, entry.digest) && !found) found = entry;
    return found ? callerOf(found) : undefined;
  };
}

function callerOf(token: Token): Caller {
  return { principal: token.name, ...(token.narrowing ? { narrowing: token.narrowing } : {}) };
}
