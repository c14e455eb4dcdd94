// examples/many-hosts (docs/many-hosts.md): the files parse, hold no secret, the two pm2-mcp
// configs pass the project's own loading, and every layer names the same hosts, ports and files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadPolicy } from '../../src/commands/load-policy.js';
import { accessTokens } from '../../src/commands/tokens.js';
import { validateConfig } from '../../src/config/validate.js';
import { parseCli } from '../../src/options.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/many-hosts/', import.meta.url));
const HOSTS = ['host-a', 'host-b'];
const tmp = mkdtempSync(join(tmpdir(), 'pm2mcp-many-hosts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Plain = Record<string, unknown>;
const read = (rel: string) => readFileSync(join(EXAMPLES, rel), 'utf8');
const yamlOf = (rel: string) => parseYaml(read(rel)) as Plain;
const jsonOf = (rel: string) => JSON.parse(read(rel)) as Plain;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** KEY=VALUE lines, as systemd's EnvironmentFile and `set -a; . FILE` read them. */
function envFile(rel: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read(rel).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(\S+)$/.exec(line);
    assert.ok(m, `${rel}: not a KEY=VALUE line: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/** The site address and the upstream of a one-site Caddyfile. */
function caddySite(rel: string): { site: string; upstream: string } {
  const text = read(rel);
  const site = /^([a-z0-9.-]+:\d+) \{$/m.exec(text)?.[1];
  const upstream = /^\s*reverse_proxy (\S+)/m.exec(text)?.[1];
  assert.ok(site && upstream, `${rel}: no "name:port {" site with a reverse_proxy`);
  return { site, upstream };
}

/** How a host's server starts (README: `set -a; . ./pm2-mcp.env; set +a; pm2-mcp --pm2`), as the CLI reads it. */
function serverOf(host: string) {
  const options = parseCli(['--pm2'], envFile(`${host}/pm2-mcp.env`));
  assert.equal(options.command, 'serve-under-pm2', `${host}: the env file does not make an HTTP server under pm2`);
  return options;
}

interface Target { name: string; mcp: { host: string; port: number; path: string }; policies: Plain }
const gateway = () => yamlOf('gateway/agentgateway.yaml') as { mcp: Plain & { targets: Target[]; policies: Plain } };

test('every YAML and JSON example parses', () => {
  const files = filesUnder(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.length >= 5, `only ${files.length} YAML/JSON files under ${EXAMPLES}`);
  for (const f of files) {
    const data = f.endsWith('.json') ? JSON.parse(readFileSync(f, 'utf8')) : parseYaml(readFileSync(f, 'utf8'));
    assert.equal(typeof data, 'object', f);
  }
});

test('no example holds a token: hashes only, and the gateway reads each host token from a file or the environment', () => {
  for (const f of filesUnder(EXAMPLES)) {
    const text = readFileSync(f, 'utf8');
    // A hash field holds a sha256 and nothing else. With those taken out, nothing is left that
    // looks like a token the README makes (base64url: mixed case and digits) or a hex secret.
    const hashField = /"?(sha256|keyHash)"?:\s*"([^"]*)"/g;
    for (const m of text.matchAll(hashField)) assert.match(m[2]!, /^(sha256:)?[0-9a-f]{64}$/, `${f}: ${m[1]} is not a sha256`);
    const rest = text.replace(hashField, '');
    const tokenLike = [...rest.matchAll(/[A-Za-z0-9_-]{20,}/g)].map((m) => m[0]).filter((s) => (/[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)) || /^[0-9a-f]{32,}$/i.test(s));
    assert.deepEqual(tokenLike, [], `${f}: token-like literals`);
    assert.equal(/Bearer\s+[A-Za-z0-9._~+/-]{12,}/.exec(text)?.[0], undefined, `${f}: a bearer token`);
    assert.equal(/PM2_MCP_TOKEN=|PM2_MCP_NO_AUTH/.exec(text)?.[0], undefined, `${f}: a token, or no token at all, in an environment file`);
  }
  const { mcp } = gateway();
  for (const t of mcp.targets) {
    const key = (t.policies.backendAuth as { key?: unknown } | undefined)?.key;
    const fromFile = typeof key === 'object' && key !== null && /^\/\S+$/.test(String((key as { file?: unknown }).file));
    const fromEnv = typeof key === 'string' && /^\$\{[A-Z][A-Z0-9_]*\}$/.test(key);
    assert.ok(fromFile || fromEnv, `${t.name}: backendAuth.key must be { file: /path } or "\${NAME}", got ${JSON.stringify(key)}`);
  }
  const keys = (mcp.policies.apiKey as { keys: Plain[]; mode: string });
  assert.equal(keys.mode, 'strict', 'apiKey mode "optional" (the default) lets requests without a key through');
  for (const k of keys.keys) assert.deepEqual(Object.keys(k).sort(), ['keyHash', 'metadata'], 'a client key is listed by its hash only');
});

test('the gateway and Vector configs have no stray $: both expand environment variables in the whole file', () => {
  for (const rel of ['gateway/agentgateway.yaml', 'vector/host.yaml', 'vector/central.yaml']) {
    // agentgateway drops this one prefix before expanding; anything else must be a ${NAME} reference.
    const text = read(rel).replace('# yaml-language-server: $schema', '#');
    assert.doesNotMatch(text.replace(/\$\{[A-Z][A-Z0-9_]*\}/g, ''), /\$/, `${rel}: a $ that would be expanded`);
  }
});

test('the two pm2-mcp configs pass the project\'s own validation, loading and token setup', async () => {
  for (const host of HOSTS) {
    const data = jsonOf(`${host}/pm2-mcp.config.json`);
    assert.deepEqual(validateConfig(data, host), [], `${host}: schema problems`);
    // Loaded as the server loads it, from a folder only its owner may write (config-trust.ts).
    const dir = mkdtempSync(join(tmp, `${host}-`));
    const file = join(dir, 'pm2-mcp.config.json');
    writeFileSync(file, read(`${host}/pm2-mcp.config.json`));
    chmodSync(file, 0o644);
    const policy = await loadPolicy({ cwd: dir, configFile: file });
    const access = await accessTokens(policy, {});
    assert.equal(access.generated, undefined, `${host}: no token configured`);
    const narrowed = (data.http as { tokens: { name: string; extends?: string }[] }).tokens.filter((t) => t.extends);
    for (const t of narrowed) assert.ok(access.tokens.find((a) => a.name === t.name)?.narrowing, `${host}: ${t.name} is not narrowed`);
  }
});

test('the gateway, the TLS proxies and the servers name the same hosts, ports and paths', () => {
  const { mcp } = gateway();
  assert.deepEqual(mcp.targets.map((t) => t.name).sort(), HOSTS, 'one gateway target per host folder');
  assert.deepEqual(readdirSync(EXAMPLES).filter((n) => /^host-/.test(n)).sort(), HOSTS);
  assert.equal(mcp.prefixMode, 'always');
  assert.equal(mcp.failureMode, 'failOpen', 'the default, failClosed, fails every session while one host is down');
  assert.equal(mcp.statefulMode, 'stateless', 'a stateful session never gets back a host that was down at its initialize');
  for (const t of mcp.targets) {
    assert.match(t.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'agentgateway target names are DNS labels (the _ after them splits the tool name)');
    assert.ok(t.policies.backendTLS, `${t.name}: the token would cross the network in clear`);
    const dialled = `${t.mcp.host}:${t.mcp.port}`;
    const caddy = caddySite(`${t.name}/Caddyfile`);
    assert.equal(caddy.site, dialled, `${t.name}: the gateway dials ${dialled}, the TLS proxy serves ${caddy.site}`);
    const server = serverOf(t.name);
    assert.equal(caddy.upstream, `${server.http.host}:${server.http.port}`, `${t.name}: the proxy forwards to another address than pm2-mcp binds`);
    assert.equal(t.mcp.path, server.http.path, `${t.name}: the gateway's path is not the server's`);
    assert.equal(server.http.host, '127.0.0.1', `${t.name}: pm2-mcp binds beyond loopback`);
    assert.equal(basename(server.configFile ?? ''), 'pm2-mcp.config.json');
    const allowed = (jsonOf(`${t.name}/pm2-mcp.config.json`).http as { allowedHosts: string[] }).allowedHosts;
    assert.ok(allowed.includes(dialled) || allowed.includes(t.mcp.host), `${t.name}: http.allowedHosts refuses the Host the proxy passes on (${dialled})`);
  }
  const names = new Set(mcp.targets.map((t) => t.name));
  for (const k of (mcp.policies.apiKey as { keys: { metadata: { hosts: string[] } }[] }).keys) {
    for (const h of k.metadata.hosts) assert.ok(names.has(h), `a key names a host the gateway has no target for: ${h}`);
  }
});

test('Vector tails each host\'s audit log and ships its lines unchanged, in order, to the store', () => {
  const host = yamlOf('vector/host.yaml') as { sources: Record<string, Plain>; sinks: Record<string, Plain>; transforms?: unknown };
  const central = yamlOf('vector/central.yaml') as { sources: Record<string, Plain>; sinks: Record<string, Plain>; transforms?: unknown };
  const [source] = Object.values(host.sources);
  const [sink] = Object.values(host.sinks);
  assert.ok(source && sink);
  assert.equal(source.type, 'file');
  // The file source has no decoding option: each line is its message, untouched unless a transform parses it.
  assert.equal(host.transforms, undefined, 'a transform on the host would rewrite the lines');
  assert.equal(central.transforms, undefined, 'a transform at the store would rewrite the lines');
  for (const h of HOSTS) {
    const file = (jsonOf(`${h}/pm2-mcp.config.json`).audit as { file: string }).file;
    assert.deepEqual(source.include, [file, `${file}.*`], `${h}: Vector does not read ${file} and its rotated files`);
    assert.deepEqual(source.exclude, [`${file}.lock`]);
  }
  assert.equal(source.oldest_first, true);
  assert.ok(Number(source.max_line_bytes) >= 1024 * 1024, 'a longer record would be dropped');
  assert.equal(sink.type, 'vector');
  assert.deepEqual(sink.request, { concurrency: 1 }, 'more than one request in flight can reorder the chain');
  assert.deepEqual(sink.acknowledgements, { enabled: true });
  const [received] = Object.values(central.sources);
  const [stored] = Object.values(central.sinks);
  assert.ok(received && stored);
  assert.equal(received.type, 'vector');
  assert.equal(String(sink.address).split(':').pop(), String(received.address).split(':').pop(), 'the hosts ship to another port than the store listens on');
  assert.equal(stored.type, 'file');
  assert.deepEqual(stored.encoding, { codec: 'text' }, 'any other codec re-serializes the event, not the line');
  assert.match(String(stored.path), /\{\{ host \}\}/, 'one file per host: the chains of two hosts do not interleave');
});
