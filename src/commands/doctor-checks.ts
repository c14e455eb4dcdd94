// The checks of `pm2-mcp doctor` about the machine: Node, pm2 (the package and the daemon),
// PM2_HOME, the config, the audit log and the HTTP tokens. Each reads and never writes: no
// daemon is spawned (pm2 itself is not loaded: it writes into PM2_HOME as it loads), no record
// is appended, no folder is made.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { auditFile } from '../audit/location.js';
import { rotatedFilesSync } from '../audit/files.js';
import { verifyChain } from '../audit/verify.js';
import { packageRoot } from '../config/presets.js';
import { searchBound } from '../config/config-trust.js';
import { ConfigError, errorMessage } from '../errors.js';
import { unwritableReason, wantedHome, type HomeSource } from '../home.js';
import { CONFIG_DEFAULTS } from '../model/config.js';
import { readDaemonPid } from '../pm2/daemon-identity.js';
import { askDaemonVersion } from '../pm2/daemon-ping.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { loadPolicy } from './load-policy.js';
import { tokensConfigured } from './tokens.js';

/** ✓ fine, ! a warning (the server works, a guarantee is weaker than it could be), ✗ broken. */
export type Mark = 'ok' | 'warn' | 'fail';

export interface Check {
  mark: Mark;
  /** What was checked, first on the line. */
  what: string;
  text: string;
  /** Lines shown under it (a config error's problems). */
  more?: string[];
}

const check = (mark: Mark, what: string, text: string, more?: string[]): Check => (more?.length ? { mark, what, text, more } : { mark, what, text });

/** The major version pm2-mcp's package.json asks of Node (engines.node ">=20"). */
function wantedNodeMajor(): number | undefined {
  try {
    const engines = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '';
    const m = /^>=\s*(\d+)/.exec(engines);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function nodeCheck(): Check {
  const wanted = wantedNodeMajor();
  const major = Number(process.versions.node.split('.')[0]);
  if (wanted !== undefined && major < wanted) return check('fail', 'node', `${process.version} at ${process.execPath}: pm2-mcp needs Node ${wanted} or later`);
  return check('ok', 'node', `${process.version}${wanted !== undefined ? ` (pm2-mcp needs ${wanted} or later)` : ''}`);
}

export interface Pm2Package {
  packageJson: string;
  version: string;
}

/** The pm2 package the server loads: resolved from pm2-mcp's own folder, as its import('pm2') is. */
export function findPm2(): { check: Check; pm2?: Pm2Package } {
  let packageJson: string;
  try {
    packageJson = createRequire(join(packageRoot(), 'package.json')).resolve('pm2/package.json');
  } catch {
    return { check: check('fail', 'pm2', `the pm2 package is not installed where pm2-mcp runs (${packageRoot()}): install it with npm install pm2`) };
  }
  try {
    const version = String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }).version);
    return { check: check('ok', 'pm2', `package ${version} (${dirname(packageJson)})`), pm2: { packageJson, version } };
  } catch (err) {
    return { check: check('fail', 'pm2', `cannot read ${packageJson}: ${errorMessage(err)}`) };
  }
}

export interface HomeFacts {
  home: string;
  source: HomeSource;
  exists: boolean;
  /** The server could not use it and would make a private folder of its own instead (src/home.ts). */
  fallback: boolean;
}

const FROM: Record<HomeSource, string> = { '--pm2-home': 'from --pm2-home', PM2_MCP_HOME: 'from PM2_MCP_HOME', PM2_HOME: 'from PM2_HOME', default: 'the default' };

/**
 * The home the server would choose (src/home.ts), judged as it judges one: writable by others or
 * owned by another user hands them the daemon (✗, docs/threat-model.md §T11); readable by others
 * shows them the apps' logs and dump.pm2 (!); unwritable makes the server fall back to a private
 * folder of its own (!).
 */
export function homeCheck(flag: string | undefined, env: NodeJS.ProcessEnv): { check: Check; facts: HomeFacts } {
  const { home, source } = wantedHome({ flag, env });
  const what = 'PM2_HOME';
  const label = `${home} (${FROM[source]})`;
  const st = statSync(home, { throwIfNoEntry: false });
  if (st === undefined) {
    const reason = unwritableReason(home);
    const facts = { home, source, exists: false, fallback: reason !== undefined };
    if (reason !== undefined) return { check: check('warn', what, `${label} cannot be made: ${reason}; the server would use a private folder instead, whose processes are not those of \`pm2 ls\``), facts };
    return { check: check('warn', what, `${label} does not exist yet: pm2 makes it on first use with the umask's mode (0755, readable by others, under the usual 022); make it private first: mkdir -m 700 ${home}`), facts };
  }
  const reason = unwritableReason(home);
  const facts = { home, source, exists: true, fallback: reason !== undefined };
  if (!st.isDirectory()) return { check: check('warn', what, `${label} is not a folder; the server would use a private folder instead`), facts };
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return { check: check('fail', what, `${label} belongs to another user (uid ${st.uid}, not ${uid}): its daemon is theirs, and whoever owns it controls every app in it`), facts };
  if ((st.mode & 0o022) !== 0) return { check: check('fail', what, `${label} has mode ${mode}, writable by other users: anyone who can reach its rpc.sock controls pm2 and every app whatever the policy says; chmod 700 ${home}`), facts };
  if ((st.mode & 0o044) !== 0) return { check: check('warn', what, `${label} has mode ${mode}, readable by other users: its logs and dump.pm2 hold the apps' output and environment; chmod 700 ${home}`), facts };
  if (reason !== undefined) return { check: check('warn', what, `${label}: ${reason}; the server would use a private folder instead`), facts };
  return { check: check('ok', what, `${label}: yours, mode ${mode}`), facts };
}

/**
 * Asks the daemon its version (pm2's getVersion) over rpc.sock, without starting one. A daemon of
 * another pm2 version than the package is ✗: the server's calls go to code it was not built with
 * (pm2 itself warns "In-memory PM2 is out-of-date").
 */
export async function daemonCheck(home: HomeFacts, pm2: Pm2Package | undefined, opts: { noDaemon: boolean; spawns: boolean | undefined }): Promise<Check> {
  const what = 'daemon';
  if (opts.noDaemon) return check('ok', what, 'not used: with --no-daemon pm2 runs inside the server');
  const starts = opts.spawns === undefined ? 'a server whose policy may change processes starts one on its first call' : opts.spawns ? 'the server starts one on its first call that needs it' : 'a server under this read-only policy never starts one: its tools answer DAEMON_NOT_RUNNING until one runs (`pm2 ping` starts one)';
  const noneMark: Mark = opts.spawns === false ? 'warn' : 'ok';
  if (home.fallback) return check('warn', what, `not asked: PM2_HOME cannot be used, so the server would attach to a daemon of the private folder it makes instead`);
  if (!home.exists) return check(noneMark, what, `none runs for ${home.home} (the folder does not exist); ${starts}`);
  if (!pm2) return check('fail', what, 'not asked: the pm2 package is missing');
  const answer = await askDaemonVersion(home.home, pm2.packageJson);
  if (answer.status === 'none') return check(noneMark, what, `none runs for ${home.home}; ${starts}`);
  if (answer.status === 'silent') {
    // Refused: a socket left by a daemon that died (the server starts a new one); denied: someone else's.
    if (answer.code === 'EACCES' || answer.code === 'EPERM') return check('fail', what, `${answer.why}: the server cannot talk to this daemon`);
    return check('warn', what, `none answers: ${answer.why} (left by a daemon that died?); ${starts}`);
  }
  const pid = readDaemonPid(home.home);
  const who = `pid ${pid ?? '?'} answers on ${join(home.home, 'rpc.sock')}`;
  if (answer.version !== pm2.version) {
    return check('fail', what, `${who} but runs pm2 ${answer.version}, and the package is ${pm2.version}: restart the daemon with pm2 ${pm2.version} (\`pm2 update\` from that pm2 saves the processes, restarts the daemon and brings them back)`);
  }
  return check('ok', what, `${who}, pm2 ${answer.version} like the package`);
}

/** Loads and validates the config as serve would (src/commands/load-policy.ts), naming the file. */
export async function configCheck(opts: { cwd: string; configFile?: string | undefined; policy?: string | undefined }): Promise<{ check: Check; policy?: CompiledPolicy }> {
  const what = 'config';
  let policy: CompiledPolicy;
  try {
    policy = await loadPolicy(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      const [first = '', ...rest] = err.message.split('\n');
      return { check: check('fail', what, `${first}`, rest) };
    }
    return { check: check('fail', what, `cannot be loaded: ${errorMessage(err)}`) };
  }
  const preset = `preset ${policy.preset}, mode ${policy.mode}`;
  if (policy.configFile) {
    // The chain's files, base first (presets are labelled "preset …"); the top one is configFile.
    const below = policy.sources.filter((s) => !s.startsWith('preset ') && s !== policy.configFile);
    const chain = below.length ? `, extending ${below.reverse().join(', ')}` : '';
    return { check: check('ok', what, `${policy.configFile} is valid (${preset}${chain})`), policy };
  }
  const refused = policy.rootRefused ? `; ${policy.rootRefused}` : '';
  return { check: check('warn', what, `none found from ${opts.cwd} up to ${searchBound(opts.cwd)}: the ${policy.preset} preset applies as it ships${refused}. \`pm2-mcp init\` writes a config the team can review and commit`), policy };
}

/**
 * The log serve would write (src/audit/location.ts): it can be appended to, and its chain
 * verifies. Writability is judged by access(2) on the file and on the folder the writer makes
 * it and its lock in (src/audit/chain-writer.ts), or the nearest folder above that exists:
 * nothing is appended and nothing is made.
 */
export async function auditCheck(policy: CompiledPolicy, opts: { auditFile?: string | undefined; home: HomeFacts; cwd: string; env: NodeJS.ProcessEnv }): Promise<Check> {
  const what = 'audit log';
  const settings = policy.config.audit ?? {};
  if (!(settings.enabled ?? CONFIG_DEFAULTS.audit.enabled)) return check('warn', what, `off (audit.enabled is false in ${policy.configFile ?? 'the config'}): calls leave no record`);
  const file = auditFile({ flag: opts.auditFile, env: opts.env, policy, home: opts.home.home, cwd: opts.cwd });
  // The default log lives in PM2_HOME: with a fallback home, in a folder that is not made yet.
  if (opts.home.fallback && file === join(opts.home.home, 'pm2-mcp', 'audit.jsonl')) {
    return check('warn', what, `not checked: PM2_HOME cannot be used, so the server would keep its log in the private folder it makes instead (--audit-file names one)`);
  }
  const problem = unwritableLog(file);
  if (problem !== undefined) return check('fail', what, `${file} cannot be written: ${problem}; the server refuses every call it cannot record`);
  const exists = statSync(file, { throwIfNoEntry: false }) !== undefined || rotatedFilesSync(file).length > 0;
  const writable = 'writable (access(2) on the file and its folder; nothing appended)';
  if (!exists) return check('ok', what, `${file} does not exist yet; its folder can hold it: ${writable}`);
  const result = await verifyChain(file);
  if (result.status === 'unreadable') return check('fail', what, `${file}: ${writable}, but ${result.file} cannot be read: ${result.why}`);
  if (result.status === 'broken') return check('fail', what, `${file}: ${writable}, but the chain is broken at ${result.file} line ${result.line}: ${result.why} (\`pm2-mcp audit verify\` says the same)`);
  const torn = result.torn?.length ? `; ${result.torn.length} torn write${result.torn.length === 1 ? '' : 's'} chained over` : '';
  return check('ok', what, `${file}: ${writable}; verify: intact, ${result.records} record${result.records === 1 ? '' : 's'} in ${result.files.length} file${result.files.length === 1 ? '' : 's'}${torn}`);
}

/** Why the writer could not append to `file`, or undefined when it could. */
function unwritableLog(file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st !== undefined && !st.isFile()) return 'it is not a regular file';
  if (st !== undefined) {
    try {
      accessSync(file, constants.W_OK);
    } catch (err) {
      return `the file is not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  // The lock (FILE.lock) and a rotation (FILE.1) are made in the same folder.
  return unwritableReason(dirname(file));
}

/** PM2_MCP_TOKEN or http.tokens: names only, never a secret. */
export function tokenCheck(policy: CompiledPolicy, env: NodeJS.ProcessEnv): Check {
  const what = 'HTTP token';
  if (!tokensConfigured(policy, env)) {
    return check('warn', what, 'none (PM2_MCP_TOKEN is not set, the config has no http.tokens): fine while the server serves stdio only; with --transport http it would make a new token each run');
  }
  const parts: string[] = [];
  if (env.PM2_MCP_TOKEN) parts.push('PM2_MCP_TOKEN is set (principal "default")');
  const tokens = policy.config.http?.tokens ?? [];
  if (tokens.length) parts.push(`http.tokens names ${tokens.map((t) => `"${t.name}"${t.extends ? ` (extends ${t.extends})` : ''}`).join(', ')}`);
  return check('ok', what, parts.join('; '));
}
