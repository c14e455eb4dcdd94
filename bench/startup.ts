// Start-up: spawn → `initialize` response of the built server, against spawn → exit of
// `node -e 0` measured the same way in the same run. The server must answer initialize
// without loading pm2, so no daemon may appear in its home.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, builtCli, log, median, removeDir, removeHome, round, serverEnv, tempDir, tempHome, type BenchResult } from './common.js';

const RUNS = 7;
// Issue 13: 2.0 (it was 2.36 when the issue was written, and 2.5 before that).
const TARGET_RATIO = 2.0;
const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
})}\n`;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Ends the child we spawned: stdin closed first (the normal way a client leaves), then SIGKILL. */
async function stop(child: ChildProcess): Promise<void> {
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(timer);
}

async function timeNodeNoop(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  return performance.now() - t0;
}

async function timeInitialize(env: Record<string, string>, cwd: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    child.stdin?.write(INITIALIZE);
    const ms = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error(`no initialize response within 20 s; stderr: ${stderr}`)), 20_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the server exited (${code}) before answering; stderr: ${stderr}`)));
      child.stdout?.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let message: { id?: unknown; result?: unknown; error?: unknown };
          try {
            message = JSON.parse(line) as typeof message;
          } catch {
            clearTimeout(timer);
            reject(new Error(`non-JSON on the server's stdout: ${line.slice(0, 200)}`));
            return;
          }
          if (message.id !== 1) continue;
          clearTimeout(timer);
          if (message.error !== undefined) reject(new Error(`initialize failed: ${JSON.stringify(message.error)}`));
          else resolve(performance.now() - t0);
          return;
        }
      });
    });
    return ms;
  } finally {
    await stop(child);
  }
}

export async function benchStartup(): Promise<BenchResult> {
  await builtCli();
  const home = await tempHome();
  // The working folder: empty, no config file in it, so the default policy is loaded.
  const cwd = await tempDir();
  try {
    const env = serverEnv(home);
    const baseEnv = { ...env };
    delete baseEnv.PM2_MCP_HOME;
    // One untimed run of each first, so that both start from a warm file cache.
    await timeNodeNoop(baseEnv);
    await timeInitialize(env, cwd);
    const node: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(await timeNodeNoop(baseEnv));
      server.push(await timeInitialize(env, cwd));
      log(`startup ${i + 1}/${RUNS}: node -e 0 ${node[i]!.toFixed(1)} ms, initialize ${server[i]!.toFixed(1)} ms`);
    }
    const daemonStarted = existsSync(join(home, 'rpc.sock')) || existsSync(join(home, 'pm2.pid'));
    const homeEntries = readdirSync(home);
    const nodeMedian = median(node);
    const serverMedian = median(server);
    const ratio = serverMedian / nodeMedian;
    return {
      name: 'startup',
      unit: 'ms',
      runs: RUNS,
      initialize_median_ms: round(serverMedian),
      node_noop_median_ms: round(nodeMedian),
      ratio: round(ratio),
      initialize_runs_ms: server.map((v) => round(v, 1)),
      node_noop_runs_ms: node.map((v) => round(v, 1)),
      daemon_started: daemonStarted,
      home_entries_after: homeEntries.length,
      target: `ratio <= ${TARGET_RATIO} and no daemon started`,
      met: ratio <= TARGET_RATIO && !daemonStarted,
    };
  } finally {
    await removeHome(home);
    await removeDir(cwd);
  }
}
