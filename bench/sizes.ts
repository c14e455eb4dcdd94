// Bytes per process: JSON size of pm2's raw entry against the server's curated views (one entry
// of pm2_list_processes, one of pm2_describe_process), and the bytes of describe's text, what an
// agent reads. The views copy named fields only, so they must stay small however much pm2 stores
// per process.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectDirect, type DirectPm2, type RawProcess } from './pm2-direct.js';
import { IDLE_SCRIPT, callTool, log, removeDir, removeHome, round, startServer, tempDir, tempHome, type BenchResult, type Server } from './common.js';

const PER_GROUP = 3;
// Names an app of this kind really gets (not synthetic ones): the describe view lists each name.
const ENV_NAMES = ['NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL', 'API_BASE_URL', 'APP_REGION', 'CACHE_TTL', 'WORKER_COUNT'];
const ENV_VARS = ENV_NAMES.length;
const TARGET_LIST = 300;
const TARGET_DESCRIBE = 1000;
const TARGET_DESCRIBE_TEXT = 500;

function envOf(i: number, count = ENV_VARS): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, name] of ENV_NAMES.slice(0, count).entries()) env[name] = `value-${i}-${k}-${'v'.repeat(12)}`;
  return env;
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const average = (values: number[]) => round(values.reduce((s, v) => s + v, 0) / values.length, 0);

interface Group {
  raw: number;
  list: number;
  describe: number;
  describe_env_names: number;
  describe_env_bytes: number;
  describe_text: number;
}

async function measure(pm2: DirectPm2, server: Server, names: string[]): Promise<Group> {
  const raw = new Map<string, RawProcess>();
  for (const p of await pm2.list()) if (p.name && names.includes(p.name)) raw.set(p.name, p);
  const listed = (await callTool(server.client, 'pm2_list_processes')).structuredContent as { processes: Array<{ name: string }> };
  const out = { raw: [] as number[], list: [] as number[], describe: [] as number[], envNames: [] as number[], envBytes: [] as number[], text: [] as number[] };
  for (const name of names) {
    const r = raw.get(name);
    const l = listed.processes.find((p) => p.name === name);
    const reply = await callTool(server.client, 'pm2_describe_process', { process: name });
    const d = (reply.structuredContent as { processes: Array<{ env: Record<string, string> }> }).processes[0];
    if (!r || !l || !d) throw new Error(`process ${name} missing from one of the views`);
    out.raw.push(bytes(r));
    out.list.push(bytes(l));
    out.describe.push(bytes(d));
    out.envNames.push(Object.keys(d.env).length);
    out.envBytes.push(bytes(d.env));
    out.text.push(reply.content.reduce((sum, c) => sum + (c.type === 'text' ? Buffer.byteLength(c.text) : 0), 0));
  }
  return { raw: average(out.raw), list: average(out.list), describe: average(out.describe), describe_env_names: average(out.envNames), describe_env_bytes: average(out.envBytes), describe_text: average(out.text) };
}

export async function benchSizes(): Promise<BenchResult> {
  const home = await tempHome();
  const dir = await tempDir();
  let pm2: DirectPm2 | undefined;
  let server: Server | undefined;
  try {
    const script = join(dir, 'idle.js');
    await writeFile(script, IDLE_SCRIPT);
    // A temp folder is no project root: without a config of its own the server would serve readonly.
    await writeFile(join(dir, 'pm2-mcp.config.json'), JSON.stringify({ extends: 'standard' }));
    pm2 = await connectDirect(home);
    server = await startServer(home, dir);
    // Started through the server: the app gets its 10 variables plus the few the server passes
    // through (PATH, HOME …), as every start through pm2-mcp does.
    const viaMcp = Array.from({ length: PER_GROUP }, (_, i) => `mcp${i}`);
    for (const [i, name] of viaMcp.entries()) await callTool(server.client, 'pm2_start_process', { script, name, cwd: dir, env: envOf(i) });
    // Started with pm2's API, as `pm2 start` does: the app inherits the starter's whole environment.
    const viaApi = Array.from({ length: PER_GROUP }, (_, i) => `api${i}`);
    for (const [i, name] of viaApi.entries()) await pm2.start({ script, name, cwd: dir, env: envOf(i) });
    await pm2.waitOnline([...viaMcp, ...viaApi]);
    log('sizes: measuring');
    const mcpStarted = await measure(pm2, server, viaMcp);
    const apiStarted = await measure(pm2, server, viaApi);
    // The text's target is for a process with 10 env names in all: the start gives what the
    // preset does not already pass through from the server's environment (PATH, HOME …).
    const inherited = mcpStarted.describe_env_names - ENV_VARS;
    const viaMcpTen = Array.from({ length: PER_GROUP }, (_, i) => `text${i}`);
    for (const [i, name] of viaMcpTen.entries()) await callTool(server.client, 'pm2_start_process', { script, name, cwd: dir, env: envOf(i, ENV_VARS - inherited) });
    await pm2.waitOnline(viaMcpTen);
    const tenInAll = await measure(pm2, server, viaMcpTen);
    return {
      name: 'bytes_per_process',
      unit: 'bytes',
      processes_per_group: PER_GROUP,
      env_vars_given: ENV_VARS,
      env_names: ENV_NAMES,
      raw_avg_bytes: mcpStarted.raw,
      list_avg_bytes: mcpStarted.list,
      describe_avg_bytes: mcpStarted.describe,
      describe_env_names: mcpStarted.describe_env_names,
      describe_env_bytes: mcpStarted.describe_env_bytes,
      describe_text_bytes_env_given: mcpStarted.describe_text,
      describe_text_bytes: tenInAll.describe_text,
      describe_text_env_names: tenInAll.describe_env_names,
      started_with_pm2_api: {
        note: 'same 10 variables, but started with pm2.start(), so the app also inherits the environment of the process that started it',
        raw_avg_bytes: apiStarted.raw,
        list_avg_bytes: apiStarted.list,
        describe_avg_bytes: apiStarted.describe,
        describe_env_names: apiStarted.describe_env_names,
        describe_env_bytes: apiStarted.describe_env_bytes,
        describe_text_bytes: apiStarted.describe_text,
      },
      target: `list <= ${TARGET_LIST} B and describe <= ${TARGET_DESCRIBE} B per process (processes started through pm2_start_process with ${ENV_VARS} env vars given); describe's text <= ${TARGET_DESCRIBE_TEXT} B (started through it with ${ENV_VARS} env names in all)`,
      met: mcpStarted.list <= TARGET_LIST && mcpStarted.describe <= TARGET_DESCRIBE && tenInAll.describe_text <= TARGET_DESCRIBE_TEXT && tenInAll.describe_env_names === ENV_VARS,
    };
  } finally {
    await server?.close().catch(() => undefined);
    await pm2?.disconnect();
    await removeHome(home);
    await removeDir(dir);
  }
}
