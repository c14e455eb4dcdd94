// The text of pm2_describe_process: `key: value` lines, one block per process, what an agent reads
// first (who, status, paths, how it runs, where it logs, its env names) at a few hundred bytes.
// The structured result carries every field; the text leaves out what is absent or empty.
// Names, paths and values may hold any character (a process started outside pm2-mcp): each goes
// through safe(), or safeJson() once JSON-quoted.
import { safe, safeJson } from '../safe-text.js';
import type { ProcessDetail } from './views.js';

type Line = readonly [key: string, value: string];

/** `dataAgeMs`: set when pm2's answer was shared with another read (src/pm2/shared-reads.ts). */
export function describeText(details: readonly ProcessDetail[], dataAgeMs?: number): string {
  const blocks = details.map(detailLines);
  const [first, ...rest] = blocks;
  if (!first) return '';
  const firstId = details[0]!.pm_id;
  // The instances of a cluster app differ in pid, times and log files only: a further block
  // names the keys it shares with the first instead of repeating their values.
  const text = [first, ...rest.map((lines) => sharedWithFirst(lines, first, firstId))].map(render).join('\n\n');
  // Of the whole answer: after several blocks, a block of its own.
  return dataAgeMs === undefined ? text : `${text}${rest.length > 0 ? '\n\n' : '\n'}data age: ${duration(dataAgeMs)}`;
}

function detailLines(d: ProcessDetail): Line[] {
  const lines: Array<Line | undefined> = [
    ['process', `${safe(d.name)}[${d.pm_id}]`],
    ['namespace', safe(d.namespace)],
    ['status', safe(d.status)],
    d.pid !== undefined ? ['pid', String(d.pid)] : undefined,
    d.uptime_ms !== undefined ? ['uptime', duration(d.uptime_ms)] : undefined,
    ['restarts', d.unstable_restarts > 0 ? `${d.restarts} (${d.unstable_restarts} unstable)` : String(d.restarts)],
    d.exit_code !== undefined ? ['exit code', String(d.exit_code)] : undefined,
    d.script !== undefined ? ['script', safe(d.script)] : undefined,
    d.cwd !== undefined ? ['cwd', safe(d.cwd)] : undefined,
    interpreterLine(d),
    d.args.length > 0 ? ['args', words(d.args)] : undefined,
    ['mode', d.instances === 1 ? safe(d.exec_mode) : `${safe(d.exec_mode)}, ${d.instances} instances`],
    ['watch', Array.isArray(d.watch) ? (d.watch.length > 0 ? d.watch.map(safe).join(', ') : 'no') : d.watch ? 'yes' : 'no'],
    ['autorestart', d.autorestart ? 'yes' : 'no'],
    d.started_at !== undefined ? ['started', seconds(d.started_at)] : undefined,
    // A process's first start is its creation: the second time is shown only when it differs.
    d.created_at !== undefined && (d.started_at === undefined || seconds(d.created_at) !== seconds(d.started_at)) ? ['created', seconds(d.created_at)] : undefined,
    d.logs.out !== undefined ? ['out log', safe(d.logs.out)] : undefined,
    d.logs.err !== undefined ? ['err log', safe(d.logs.err)] : undefined,
    d.logs.combined !== undefined ? ['combined log', safe(d.logs.combined)] : undefined,
    envLine(d),
  ];
  return lines.filter((l): l is Line => l !== undefined);
}

function interpreterLine(d: ProcessDetail): Line | undefined {
  if (d.interpreter === undefined) return d.interpreter_args.length > 0 ? ['interpreter args', words(d.interpreter_args)] : undefined;
  return ['interpreter', d.interpreter_args.length > 0 ? `${safe(d.interpreter)} ${words(d.interpreter_args)}` : safe(d.interpreter)];
}

function envLine(d: ProcessDetail): Line | undefined {
  const names = Object.keys(d.env);
  if (names.length === 0) return undefined;
  if (d.env_redacted) return ['env', `${names.map(safe).join(', ')} (values redacted)`];
  return ['env', names.map((n) => `${safe(n)}=${safeJson(JSON.stringify(d.env[n]))}`).join(', ')];
}

function sharedWithFirst(lines: Line[], first: Line[], firstId: number): Line[] {
  const same = new Set(first.filter(([k]) => k !== 'process').map(([k, v]) => `${k}\n${v}`));
  const kept = lines.filter(([k, v]) => !same.has(`${k}\n${v}`));
  const shared = lines.filter(([k, v]) => same.has(`${k}\n${v}`)).map(([k]) => k);
  return shared.length > 0 ? [...kept, [`same as pm_id ${firstId}`, shared.join(', ')]] : kept;
}

const render = (lines: Line[]): string => lines.map(([k, v]) => `${k}: ${v}`).join('\n');

/** Arguments as a shell would read them back: a plain word as it is, anything else JSON-quoted. */
function words(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : safeJson(JSON.stringify(a)))).join(' ');
}

/** An ISO time to the second: the milliseconds are noise to a reader. */
const seconds = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z');

/** 850ms, 42s, 5m 3s, 3h 12m, 2d 4h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
