// Tail: `pm2_tail_logs` (200 lines) on a real 1 GiB out log and on a 1 MiB one, against GNU
// `tail -n 200`, and the server's peak memory (VmHWM) after each, in separate server processes.
// The server reads backward from the end, so neither time nor memory may grow with the file.
// Tail follow (`tail_follow`): a tail with a cursor after 1 GiB was written since the cursor,
// against a plain tail of that file and a cursor tail after 1 MiB; and the bytes of a reply.
import { spawn } from 'node:child_process';
import { open, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectDirect, type DirectPm2 } from './pm2-direct.js';
import {
  GiB, IDLE_SCRIPT, MiB, callTool, log, median, peakRss, removeDir, removeHome, round, startServer, tempDir, tempHome, timed, type BenchResult, type Server,
} from './common.js';

const LINES = 200;
const RUNS = 5;
const LINE_BYTES = 128;
const MIN_FREE = 3 * GiB;
const MAX_GROWTH = 10 * MiB;
const TARGET = `1 GiB peak memory within ${MAX_GROWTH / MiB} MiB of the 1 MiB peak`;

/** 1 MiB of fixed-width lines; `tag` marks which block a line came from. */
function block(tag: string): Buffer {
  const buf = Buffer.alloc(MiB);
  const count = MiB / LINE_BYTES;
  for (let i = 0; i < count; i++) {
    const head = `2025-01-01T00:00:00.000Z ${tag} line ${String(i).padStart(6, '0')} `;
    const line = `${head.padEnd(LINE_BYTES - 1, 'x')}\n`;
    buf.write(line, i * LINE_BYTES, 'latin1');
  }
  return buf;
}

/** Appends `blocks` MiB of real lines (the last block distinct, so a tail must reach the real end). */
async function fill(path: string, blocks: number): Promise<void> {
  const body = block('body');
  const last = block('last');
  const handle = await open(path, 'a');
  try {
    for (let i = 0; i < blocks - 1; i++) await handle.write(body);
    await handle.write(last);
    // Flushed now, so that write-back of the 1 GiB does not run during the timed reads.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function gnuTail(path: string): Promise<{ ms: number; lines: string[] }> {
  const t0 = performance.now();
  const child = spawn('tail', ['-n', String(LINES), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`tail exited with ${code}`));
      else resolve({ ms, lines: out.split('\n').slice(0, -1) });
    });
  });
}

interface Tailer {
  server: Server;
  call: () => Promise<string[]>;
}

/** A fresh server for one process's log, warmed up by one call (which loads pm2 and connects). */
async function tailer(home: string, cwd: string, process: string): Promise<Tailer> {
  const server = await startServer(home, cwd);
  const call = async () => {
    const result = await callTool(server.client, 'pm2_tail_logs', { process, lines: LINES });
    const sc = result.structuredContent as { logs: Array<{ lines: string[] }>; missing_files: string[] };
    if (sc.missing_files.length) throw new Error(`the server found no log file: ${sc.missing_files.join(', ')}`);
    return sc.logs.flatMap((run) => run.lines);
  };
  try {
    await call();
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  }
  return { server, call };
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

export async function benchTail(): Promise<BenchResult> {
  const dir = await tempDir();
  let home: string | undefined;
  let pm2: DirectPm2 | undefined;
  let small: Tailer | undefined;
  let big: Tailer | undefined;
  try {
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free < MIN_FREE) {
      const reason = `only ${round(free / GiB)} GiB free in ${dir}; the 1 GiB log needs ${MIN_FREE / GiB} GiB`;
      log(`tail: skipped: ${reason}`);
      return { name: 'tail', unit: 'ms', skipped: true, reason, target: TARGET, met: false };
    }
    home = await tempHome();
    const script = join(dir, 'idle.js');
    await writeFile(script, IDLE_SCRIPT);
    const files = { small: join(dir, 'small.log'), big: join(dir, 'big.log') };
    pm2 = await connectDirect(home);
    await pm2.start({ script, name: 'tail-small', cwd: dir, out_file: files.small });
    await pm2.start({ script, name: 'tail-big', cwd: dir, out_file: files.big });
    const online = await pm2.waitOnline(['tail-small', 'tail-big']);
    for (const p of online) {
      const want = p.name === 'tail-small' ? files.small : files.big;
      if (p.pm2_env?.pm_out_log_path !== want) throw new Error(`${p.name} logs to ${String(p.pm2_env?.pm_out_log_path)}, not ${want}`);
    }
    // pm2 holds the files open in append mode: what we append now is what a real app would have written.
    log('tail: writing the 1 MiB and the 1 GiB log');
    await fill(files.small, 1);
    const written = await timed(() => fill(files.big, GiB / MiB));
    log(`tail: 1 GiB written in ${round(written.ms / 1000, 1)} s`);
    const sizes = { small: (await stat(files.small)).size, big: (await stat(files.big)).size };

    // Two servers (peak memory is per process), alive together so that their calls interleave
    // and meet the same machine conditions.
    small = await tailer(home, dir, 'tail-small');
    big = await tailer(home, dir, 'tail-big');
    const mcp = { small: [] as number[], big: [] as number[] };
    let mcpSmallLines: string[] = [];
    let mcpBigLines: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await timed(small.call);
      mcp.small.push(s.ms);
      mcpSmallLines = s.value;
      const b = await timed(big.call);
      mcp.big.push(b.ms);
      mcpBigLines = b.value;
    }
    const peak = { small: await peakRss(small.server.pid), big: await peakRss(big.server.pid) };
    log(`tail: via MCP median 1 MiB ${median(mcp.small).toFixed(2)} ms, 1 GiB ${median(mcp.big).toFixed(2)} ms; peak memory ${round(peak.small / MiB, 1)} / ${round(peak.big / MiB, 1)} MiB`);

    const gnu = { small: [] as number[], big: [] as number[] };
    let gnuBigLines: string[] = [];
    let gnuSmallLines: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await gnuTail(files.small);
      gnu.small.push(s.ms);
      gnuSmallLines = s.lines;
      const b = await gnuTail(files.big);
      gnu.big.push(b.ms);
      gnuBigLines = b.lines;
    }
    const growth = peak.big - peak.small;
    const memoryGrows = growth > MAX_GROWTH;
    return {
      name: 'tail',
      unit: 'ms',
      lines: LINES,
      runs: RUNS,
      file_bytes: { small: sizes.small, big: sizes.big },
      mcp_median_ms_1mib: round(median(mcp.small)),
      mcp_median_ms_1gib: round(median(mcp.big)),
      gnu_tail_median_ms_1mib: round(median(gnu.small)),
      gnu_tail_median_ms_1gib: round(median(gnu.big)),
      gnu_tail_note: 'GNU tail is timed spawn to exit (a process start included); pm2_tail_logs is a call to a warm server',
      same_lines_as_gnu_tail: same(mcpSmallLines, gnuSmallLines) && same(mcpBigLines, gnuBigLines),
      peak_memory_mib_1mib: round(peak.small / MiB, 1),
      peak_memory_mib_1gib: round(peak.big / MiB, 1),
      memory_growth_mib: round(growth / MiB, 1),
      memory_grows: memoryGrows,
      target: TARGET,
      met: !memoryGrows,
    };
  } finally {
    await small?.server.close().catch(() => undefined);
    await big?.server.close().catch(() => undefined);
    await pm2?.disconnect();
    if (home) await removeHome(home);
    await removeDir(dir); // the 1 GiB file goes with its folder
  }
}

const FOLLOW_TARGET = `a cursor tail after 1 GiB within 3x (+2 ms) of a plain tail of the file, peak memory within ${MAX_GROWTH / MiB} MiB of a cursor tail after 1 MiB; the whole result (text and structuredContent, as JSON) <= 1.3x the bytes of the lines it carries`;
const BYTES_RATIO = 1.3;

interface Follower {
  server: Server;
  cursor: string;
  /** A tail with the cursor made before the writes (the same cursor each time: the same work each time). */
  follow: () => Promise<CallToolResult>;
  plain: () => Promise<CallToolResult>;
}

/** A fresh server for one process's log with a cursor at its current end. */
async function follower(home: string, cwd: string, process: string): Promise<Follower> {
  const server = await startServer(home, cwd);
  try {
    const first = await callTool(server.client, 'pm2_tail_logs', { process, lines: LINES });
    const cursor = (first.structuredContent as { cursor: string }).cursor;
    return {
      server,
      cursor,
      follow: () => callTool(server.client, 'pm2_tail_logs', { process, lines: LINES, cursor }),
      plain: () => callTool(server.client, 'pm2_tail_logs', { process, lines: LINES }),
    };
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  }
}

/** The lines a reply carries: in its text, where structuredContent.logs says (from, count). */
function linesOf(result: CallToolResult): string[] {
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('').split('\n');
  return (result.structuredContent as { logs: Array<{ from: number; count: number }> }).logs.flatMap((run) => text.slice(run.from, run.from + run.count));
}

/** Bytes of a reply against the bytes of the lines it carries (each with its "\n", as in the file). */
function replyBytes(result: CallToolResult): { lines: number; line_bytes: number; text_bytes: number; structured_bytes: number; whole_bytes: number } {
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  const lines = linesOf(result);
  return {
    lines: lines.length,
    line_bytes: lines.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0),
    text_bytes: Buffer.byteLength(text),
    structured_bytes: Buffer.byteLength(JSON.stringify(result.structuredContent)),
    whole_bytes: Buffer.byteLength(JSON.stringify({ content: result.content, structuredContent: result.structuredContent })),
  };
}

export async function benchTailFollow(): Promise<BenchResult> {
  const dir = await tempDir();
  let home: string | undefined;
  let pm2: DirectPm2 | undefined;
  let small: Follower | undefined;
  let big: Follower | undefined;
  try {
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free < MIN_FREE) {
      const reason = `only ${round(free / GiB)} GiB free in ${dir}; the 1 GiB log needs ${MIN_FREE / GiB} GiB`;
      log(`tail_follow: skipped: ${reason}`);
      return { name: 'tail_follow', unit: 'ms', skipped: true, reason, target: FOLLOW_TARGET, met: false };
    }
    home = await tempHome();
    const script = join(dir, 'idle.js');
    await writeFile(script, IDLE_SCRIPT);
    const files = { small: join(dir, 'small.log'), big: join(dir, 'big.log') };
    for (const file of Object.values(files)) await writeFile(file, 'before the cursor\n');
    pm2 = await connectDirect(home);
    await pm2.start({ script, name: 'follow-small', cwd: dir, out_file: files.small });
    await pm2.start({ script, name: 'follow-big', cwd: dir, out_file: files.big });
    await pm2.waitOnline(['follow-small', 'follow-big']);
    // The cursors are made first, at the files' ends; then the writes come after them.
    small = await follower(home, dir, 'follow-small');
    big = await follower(home, dir, 'follow-big');
    log('tail_follow: writing 1 MiB and 1 GiB after the cursors');
    await fill(files.small, 1);
    await fill(files.big, GiB / MiB);

    const times = { small: [] as number[], big: [] as number[], plain: [] as number[] };
    let reply: CallToolResult | undefined;
    let firstLine = '';
    for (let i = 0; i < RUNS; i++) {
      times.small.push((await timed(small.follow)).ms);
      const b = await timed(big.follow);
      times.big.push(b.ms);
      reply = b.value;
      firstLine = linesOf(b.value)[0] ?? '';
      times.plain.push((await timed(big.plain)).ms);
    }
    const peak = { small: await peakRss(small.server.pid), big: await peakRss(big.server.pid) };
    const sc = reply!.structuredContent as { more: boolean; waiting_bytes: number };
    const bytes = replyBytes(reply!);
    const ratios = { text: round(bytes.text_bytes / bytes.line_bytes, 3), structured: round(bytes.structured_bytes / bytes.line_bytes, 3), whole: round(bytes.whole_bytes / bytes.line_bytes, 3) };
    const growth = peak.big - peak.small;
    const med = { small: median(times.small), big: median(times.big), plain: median(times.plain) };
    const timeBounded = med.big <= 3 * med.plain + 2;
    const bytesMet = ratios.whole <= BYTES_RATIO;
    const oldestAfterCursor = firstLine.includes('body line 000000');
    log(`tail_follow: cursor after 1 MiB ${med.small.toFixed(2)} ms, after 1 GiB ${med.big.toFixed(2)} ms, plain ${med.plain.toFixed(2)} ms; peak ${round(peak.small / MiB, 1)} / ${round(peak.big / MiB, 1)} MiB; bytes x${ratios.whole} whole result (x${ratios.text} text)`);
    return {
      name: 'tail_follow',
      unit: 'ms',
      lines: LINES,
      runs: RUNS,
      written_since_cursor_bytes: { small: MiB, big: GiB },
      cursor_median_ms_1mib: round(med.small),
      cursor_median_ms_1gib: round(med.big),
      plain_median_ms_1gib: round(med.plain),
      reply_starts_at_the_cursor: oldestAfterCursor,
      more_said: sc.more,
      waiting_bytes: sc.waiting_bytes,
      peak_memory_mib_1mib: round(peak.small / MiB, 1),
      peak_memory_mib_1gib: round(peak.big / MiB, 1),
      memory_growth_mib: round(growth / MiB, 1),
      reply_bytes: bytes,
      text_to_line_bytes: ratios.text,
      structured_to_line_bytes: ratios.structured,
      whole_result_to_line_bytes: ratios.whole,
      target: FOLLOW_TARGET,
      met: timeBounded && growth <= MAX_GROWTH && bytesMet && oldestAfterCursor && sc.more,
    };
  } finally {
    await small?.server.close().catch(() => undefined);
    await big?.server.close().catch(() => undefined);
    await pm2?.disconnect();
    if (home) await removeHome(home);
    await removeDir(dir);
  }
}
