#!/usr/bin/env node
// MCP conformance: the official suite (@modelcontextprotocol/conformance, which needs Node >= 22)
// against the built server over Streamable HTTP, --no-auth on loopback, in a throwaway PM2_HOME.
//
//   node test/conformance/run.mjs [scenario ...]        (default: the scenarios below)
//
// The suite and a Node 22 binary come from devDependencies (@modelcontextprotocol/conformance,
// node@22 → node_modules/node/bin/node), found in test/conformance/node_modules or the root's.
// PM2_MCP_CONFORMANCE_PREFIX names another folder whose node_modules holds them;
// PM2_MCP_CONFORMANCE_NODE names another Node >= 22 binary.
// Prints one line per scenario, the failing checks in full, and last `N passed, M failed`; exits
// 1 on any failure, 2 when it cannot run. The server and its home are always removed.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const suiteIn = (prefix) => join(prefix, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
// The suite's own folder (test/conformance/package.json, if it has one) keeps node@22's `node` bin
// out of the root node_modules/.bin, where it would run every npm script on Node 22.
const PREFIX = [process.env.PM2_MCP_CONFORMANCE_PREFIX, join(ROOT, 'test', 'conformance'), ROOT].find((p) => p && existsSync(suiteIn(p))) ?? ROOT;
const SUITE = suiteIn(PREFIX);
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const DEFAULT_SCENARIOS = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'resources-list',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
];
const SCENARIO_TIMEOUT_MS = 120_000;

class SetupError extends Error {}

/** A Node >= 22 binary: the override, the node@22 devDependency, or this Node if it is new enough. */
function node22() {
  const candidates = [process.env.PM2_MCP_CONFORMANCE_NODE, join(PREFIX, 'node_modules', 'node', 'bin', 'node'), process.execPath].filter(Boolean);
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    try {
      const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(/^v(\d+)/.exec(version)?.[1]) >= 22) return { bin, version };
    } catch {
      // Not runnable: try the next.
    }
  }
  throw new SetupError('no Node >= 22 found: add the devDependency node@22 (npm i -D node@22), or set PM2_MCP_CONFORMANCE_NODE');
}

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PM2_')) env[k] = v;
  return Object.assign(env, extra);
}

/** The server, resolved with its URL once it prints it on stderr. */
function startServer(home, cwd) {
  const child = spawn(process.execPath, [CLI, '--transport', 'http', '--no-auth', '--host', '127.0.0.1', '--port', '0'], {
    cwd,
    env: cleanEnv({ PM2_MCP_HOME: home }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited = false;
  const exit = new Promise((r) => child.once('exit', (code, signal) => ((exited = true), r({ code, signal }))));
  const server = {
    pid: child.pid,
    stderr: () => stderr,
    /** SIGTERM by the PID spawned here, then SIGKILL after 5 s. */
    async stop() {
      if (exited) return;
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
  const ready = new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new SetupError(`the server did not print its URL within 15 s:\n${stderr}`)), 15_000);
    child.stderr.on('data', (d) => {
      stderr += d.toString();
      const url = /serving MCP over Streamable HTTP at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolvePromise(url);
      }
    });
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new SetupError(`the server exited (${code ?? signal}) before serving:\n${stderr}`));
    });
  });
  return { server, ready };
}

/** Stops the daemon of `home` and every app it started, by that home only, then removes it. */
function destroyHome(home) {
  if (existsSync(join(home, 'rpc.sock'))) {
    try {
      execFileSync(process.execPath, [PM2_BIN, 'kill'], { env: cleanEnv({ PM2_HOME: home }), timeout: 20_000, stdio: 'ignore' });
    } catch {
      // Killed below by pid.
    }
  }
  const files = [join(home, 'pm2.pid')];
  const pids = join(home, 'pids');
  if (existsSync(pids)) for (const f of readdirSync(pids)) files.push(join(pids, f));
  for (const f of files) {
    try {
      const pid = Number.parseInt(readFileSync(f, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGKILL');
    } catch {
      // No file, or already gone.
    }
  }
  rmSync(home, { recursive: true, force: true });
}

function findChecks(dir) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === 'checks.json') return path;
    if (entry.isDirectory()) {
      const found = findChecks(path);
      if (found) return found;
    }
  }
  return undefined;
}

function runScenario(node, url, scenario, outDir) {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    execFile(node, [SUITE, 'server', '--url', url, '--scenario', scenario, '-o', outDir], { cwd: outDir, timeout: SCENARIO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: cleanEnv({ NO_COLOR: '1' }) }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : (err.signal ?? 'error')) : 0;
      const file = findChecks(outDir);
      let checks = [];
      let readError;
      try {
        checks = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
      } catch (e) {
        readError = e.message;
      }
      const failures = checks.filter((c) => c.status === 'FAILURE');
      const warnings = checks.filter((c) => c.status === 'WARNING');
      const ok = code === 0 && checks.length > 0 && failures.length === 0 && !readError;
      resolvePromise({ scenario, ok, code, checks, failures, warnings, file, readError, output: `${stdout}${stderr}`.replace(ANSI, ''), ms: Date.now() - started });
    });
  });
}

function report(r) {
  const passedChecks = r.checks.filter((c) => c.status === 'SUCCESS').length;
  const head = `${r.ok ? '✔' : '✖'} ${r.scenario}: ${passedChecks}/${r.checks.length} checks passed${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''} (${(r.ms / 1000).toFixed(1)} s)`;
  const lines = [head];
  for (const w of r.warnings) lines.push(`    warning ${w.id}: ${w.description}${w.errorMessage ? ` — ${w.errorMessage}` : ''}`);
  if (!r.ok) {
    for (const f of r.failures) {
      lines.push(`    FAILED ${f.id}: ${f.description}`);
      if (f.errorMessage) lines.push(`      ${f.errorMessage}`);
      if (f.details) lines.push(`      details: ${JSON.stringify(f.details)}`);
      for (const ref of f.specReferences ?? []) lines.push(`      spec: ${ref.url}`);
    }
    if (r.readError) lines.push(`    could not read ${r.file}: ${r.readError}`);
    if (!r.file) lines.push('    no checks.json was written');
    if (r.code !== 0) lines.push(`    the suite exited with ${r.code}; its output:`, ...r.output.trim().split('\n').slice(-40).map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

async function main() {
  const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_SCENARIOS;
  if (!existsSync(CLI)) throw new SetupError(`${CLI} is missing: run npm run build first`);
  if (!existsSync(SUITE)) throw new SetupError(`@modelcontextprotocol/conformance is not installed (looked for ${SUITE}): add it as a devDependency, or set PM2_MCP_CONFORMANCE_PREFIX`);
  const node = node22();
  const suiteVersion = JSON.parse(readFileSync(join(dirname(SUITE), '..', 'package.json'), 'utf8')).version;

  const home = mkdtempSync(join(tmpdir(), 'pm2mcp-conf-'));
  const work = mkdtempSync(join(tmpdir(), 'pm2mcp-confw-'));
  let server;
  const cleanup = async () => {
    await server?.stop();
    destroyHome(home);
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started = startServer(home, work);
    server = started.server;
    const url = await started.ready;
    console.log(`MCP conformance ${suiteVersion} (Node ${node.version}) against ${url}`);
    const t0 = Date.now();
    // Independent sessions on one server: run the scenarios side by side, report them in order.
    const results = await Promise.all(
      scenarios.map((s, i) => {
        const out = join(work, `results-${i}`);
        mkdirSync(out, { recursive: true });
        return runScenario(node.bin, url, s, out);
      }),
    );
    for (const r of results) console.log(report(r));
    const failed = results.filter((r) => !r.ok).length;
    if (failed) console.log(`\nserver stderr:\n${server.stderr().trim()}`);
    console.log(`\nran ${scenarios.length} scenario(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`${scenarios.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`conformance: ${err instanceof SetupError ? err.message : (err?.stack ?? err)}`);
    process.exit(err instanceof SetupError ? 2 : 1);
  },
);
