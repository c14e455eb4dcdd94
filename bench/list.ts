// List overhead: with 50 processes in one daemon, pm2's own `list()` (programmatic API,
// connected) against `pm2_list_processes` through the SDK Client and the built server attached
// to the same daemon. What the server adds is its gate, the curated view and JSON-RPC over stdio.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectDirect, type DirectPm2 } from './pm2-direct.js';
import {
  IDLE_SCRIPT, callTool, log, median, percentile, removeDir, removeHome, round, startServer, tempDir, tempHome, timed, type BenchResult, type Server,
} from './common.js';

const PROCESSES = 50;
const WARMUP = 10;
const ITERATIONS = 100;
const TARGET_ADDED_MS = 2;

export async function benchList(): Promise<BenchResult> {
  const home = await tempHome();
  const dir = await tempDir();
  let pm2: DirectPm2 | undefined;
  let server: Server | undefined;
  try {
    const script = join(dir, 'idle.js');
    await writeFile(script, IDLE_SCRIPT);
    pm2 = await connectDirect(home);
    const names = Array.from({ length: PROCESSES }, (_, i) => `p${i}`);
    log(`list: starting ${PROCESSES} processes`);
    for (const name of names) await pm2.start({ script, name, cwd: dir });
    await pm2.waitOnline(names);
    server = await startServer(home, dir);
    const { client } = server;

    const direct = async () => {
      const list = await pm2!.list();
      if (list.length !== PROCESSES) throw new Error(`pm2.list() gave ${list.length} processes`);
    };
    const viaMcp = async () => {
      const result = await callTool(client, 'pm2_list_processes');
      const count = (result.structuredContent as { count?: number } | undefined)?.count;
      if (count !== PROCESSES) throw new Error(`pm2_list_processes gave ${String(count)} processes`);
    };

    for (let i = 0; i < WARMUP; i++) {
      await direct();
      await viaMcp();
    }
    log(`list: ${ITERATIONS} iterations of each, interleaved`);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      // Alternate which goes first, so neither always runs right after the other's daemon work.
      if (i % 2 === 0) {
        a.push((await timed(direct)).ms);
        b.push((await timed(viaMcp)).ms);
      } else {
        b.push((await timed(viaMcp)).ms);
        a.push((await timed(direct)).ms);
      }
    }
    const directMedian = median(a);
    const mcpMedian = median(b);
    const added = mcpMedian - directMedian;
    const pairedAdded = median(b.map((v, i) => v - a[i]!));
    return {
      name: 'list_overhead',
      unit: 'ms',
      processes: PROCESSES,
      iterations: ITERATIONS,
      direct_median_ms: round(directMedian),
      mcp_median_ms: round(mcpMedian),
      added_median_ms: round(added),
      added_paired_median_ms: round(pairedAdded),
      direct_p90_ms: round(percentile(a, 90)),
      mcp_p90_ms: round(percentile(b, 90)),
      target: `added <= ${TARGET_ADDED_MS} ms per call (median mcp - median direct)`,
      met: added <= TARGET_ADDED_MS,
    };
  } finally {
    await server?.close().catch(() => undefined);
    await pm2?.disconnect();
    await removeHome(home);
    await removeDir(dir);
  }
}
