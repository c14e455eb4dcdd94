// readiness_latency: from the moment an app is ready (its port opens, it writes its ready line,
// it calls process.send('ready')) to the moment pm2_start_process with waitUntil "ready" has
// replied, through the built server and a real daemon. The app writes its ready moment (epoch ms)
// to a file just before it acts; the bench reads it after the reply. Median of RUNS per kind.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { callTool, log, median, removeDir, removeHome, round, startServer, tempDir, tempHome, type BenchResult, type Server } from './common.js';

const RUNS = 10;
const TARGET_MS = 50;
/**
 * Long enough that the wait has begun and settled (online seen) before the app is ready, and
 * past pm2's default min_uptime (1 s): an app that says ready sooner is answered once it has been
 * up that long (src/pm2/wait-machine.ts, "said-ready"), which is a choice, not latency.
 */
const DELAY_MS = 1200;

const APP = `
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const mark = () => writeFileSync(process.env.READY_FILE, String(Date.now()));
setTimeout(() => {
  const mode = process.env.MODE;
  if (mode === 'port') {
    const server = createServer((_q, r) => r.end('ok'));
    mark();
    server.listen(Number(process.env.PORT), '127.0.0.1');
  } else if (mode === 'line') {
    mark();
    console.log('server is up and listening');
  } else {
    mark();
    process.send('ready');
  }
}, ${DELAY_MS});
setInterval(() => {}, 1 << 30);
`;

type Kind = 'port' | 'line' | 'message';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function readyArgs(kind: Kind, port: number): Record<string, unknown> {
  if (kind === 'port') return { readyPort: port };
  if (kind === 'line') return { readyPattern: '/^server is up/' };
  return { readyMessage: true };
}

async function measure(server: Server, dir: string, kind: Kind, run: number): Promise<number> {
  const name = `ready-${kind}-${run}`;
  const readyFile = join(dir, `${name}.at`);
  const port = await freePort();
  await callTool(server.client, 'pm2_start_process', {
    script: 'ready.mjs',
    name,
    env: { MODE: kind, PORT: String(port), READY_FILE: readyFile },
    waitUntil: 'ready',
    timeoutMs: 10_000,
    ...readyArgs(kind, port),
  });
  const replied = Date.now();
  const readyAt = Number(await readFile(readyFile, 'utf8'));
  await callTool(server.client, 'pm2_delete_process', { process: name });
  return replied - readyAt;
}

export async function benchReadiness(): Promise<BenchResult> {
  const home = await tempHome();
  const dir = await tempDir();
  let server: Server | undefined;
  try {
    await writeFile(join(dir, 'ready.mjs'), APP);
    await writeFile(join(dir, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard', processes: { max: 10 }, limits: { pm2_start_process: { calls: 1000, perSeconds: 60 } } }));
    server = await startServer(home, dir);
    const kinds: Record<string, { median_ms: number; max_ms: number; runs_ms: number[] }> = {};
    for (const kind of ['port', 'line', 'message'] as const) {
      log(`readiness: ${kind}: ${RUNS} starts`);
      // One start first, not counted: it opens the daemon's bus and warms the paths.
      await measure(server, dir, kind, -1);
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(server, dir, kind, i));
      kinds[kind] = { median_ms: round(median(runs)), max_ms: Math.max(...runs), runs_ms: runs };
    }
    const worst = Math.max(...Object.values(kinds).map((k) => k.median_ms));
    return {
      name: 'readiness_latency',
      unit: 'ms',
      runs: RUNS,
      kinds,
      worst_median_ms: worst,
      note: 'from the app\'s ready moment (Date.now() written just before it listens, writes its line or calls process.send(\'ready\')) to the reply of pm2_start_process { waitUntil: "ready" }, which includes the final list call and the MCP round trip. Clock: ms resolution, one machine.',
      target: `median <= ${TARGET_MS} ms for each of readyPort, readyPattern, readyMessage`,
      met: worst <= TARGET_MS,
    };
  } finally {
    await server?.close().catch(() => undefined);
    await removeHome(home);
    await removeDir(dir);
  }
}
