// What a wait found, in words and as data: per instance, online since when, ready after how long,
// or how it failed (exit code, restarts during the wait, its last output lines) and what pm2 does
// with it now. A wait whose instances are not all online (or ready) is an error with a stable code.
import type { WaitRequest } from '../model/requests.js';
import { safe } from '../safe-text.js';
import type { Pm2RawProcess } from './types.js';
import { pmIdOf, processName } from './views.js';
import { RESTART_GRACE_MS, type InstanceOutcome, type WaitResult } from './wait-machine.js';
import type { WaitOutcome } from './wait.js';

export interface InstanceReport {
  pm_id: number;
  name: string;
  /** online: online and stable; ready: said ready; exited, timeout, lost: not online (or not ready). */
  result: InstanceOutcome['result'];
  /** pm2's status when the wait ended. */
  status: string;
  // Absent rather than null: one JSON type per field in the output schema.
  online_since?: string;
  ready_after_ms?: number;
  exit_code?: number;
  /** The signal that killed it, from pm2.log (src/pm2/wait-signals.ts). */
  exit_signal?: string;
  /** How long the run waited for stayed up before it exited. */
  up_ms?: number;
  /** Restarts pm2 made during the wait. */
  restarts: number;
  min_uptime_ms: number;
  /** What pm2 does with it now, in words. */
  next: string;
  /** Its last output lines during the wait (stderr's if it wrote any, else stdout's). */
  last_lines: string[];
}

export interface WaitReport {
  until: 'online' | 'ready';
  ready_by?: string;
  elapsed_ms: number;
  ok: boolean;
  /** The client cancelled the request: the wait ended before every instance had its answer. */
  cancelled: boolean;
  /** The wait ended while pm2 was still at the restart or reload: pm2 goes on with it. */
  pm2_still_acting?: true;
  /** pm_ids the wait ended before pm2 was asked about (one instance at a time): left alone. */
  not_asked?: number[];
  instances: InstanceReport[];
}

export function readyWords(wait: WaitRequest): string {
  const r = wait.ready;
  if (wait.until !== 'ready' || !r) return 'online';
  return r.kind === 'port' ? `port ${r.port} accepts connections` : r.kind === 'pattern' ? `a line matches ${JSON.stringify(r.pattern)}` : 'it sent process.send(\'ready\')';
}

export function waitReport(wait: WaitRequest & { until: 'online' | 'ready' }, found: WaitOutcome, after: readonly Pm2RawProcess[]): WaitReport {
  const byId = new Map(after.map((p) => [pmIdOf(p) ?? -1, p]));
  const instances = found.outcomes.map((o): InstanceReport => {
    const proc = byId.get(o.pmId);
    const status = typeof proc?.pm2_env?.status === 'string' ? proc.pm2_env.status : proc ? 'unknown' : 'gone';
    const restartsNow = typeof proc?.pm2_env?.restart_time === 'number' ? proc.pm2_env.restart_time : undefined;
    const restarts = restartsNow !== undefined && o.restartsAtOnline !== undefined ? Math.max(0, restartsNow - o.restartsAtOnline) : 0;
    const result = finalResult(o, proc !== undefined, status, found.pending);
    return {
      pm_id: o.pmId,
      name: o.name || (proc ? processName(proc) : ''),
      result,
      status,
      ...(o.onlineSince !== undefined && { online_since: new Date(o.onlineSince).toISOString() }),
      ...(o.readyAfterMs !== undefined && { ready_after_ms: o.readyAfterMs }),
      ...(o.exitCode !== undefined && { exit_code: o.exitCode }),
      ...(o.upMs !== undefined && { up_ms: o.upMs }),
      restarts,
      min_uptime_ms: o.minUptimeMs,
      next: nextWords({ ...o, result }, status),
      last_lines: o.lastLines.map(safe),
    };
  });
  const want = wait.until === 'online' ? 'online' : 'ready';
  const pending = found.pending;
  return {
    until: wait.until,
    ...(wait.until === 'ready' && { ready_by: readyWords(wait) }),
    elapsed_ms: found.elapsedMs,
    ok: !pending && instances.every((i) => i.result === want),
    cancelled: found.cancelled,
    ...(pending && pending.inFlight.length > 0 && { pm2_still_acting: true as const }),
    ...(pending && pending.notAsked.length > 0 && { not_asked: pending.notAsked }),
    instances,
  };
}

/**
 * What the bus showed, checked against pm2's list as the wait ends: an instance pm2 no longer
 * lists is gone, whatever the bus said; while pm2 is still at this call's restart (or never got
 * to it), what the bus showed was some other run; and one pm2 has stopped (or is stopping) is not
 * online (another call's stop a moment before the min_uptime ran out).
 */
function finalResult(o: InstanceOutcome, listed: boolean, status: string, pending: WaitOutcome['pending']): WaitResult {
  if (!listed) return 'gone';
  if (pending && (pending.inFlight.includes(o.pmId) || pending.notAsked.includes(o.pmId))) return 'timeout';
  if ((o.result === 'online' || o.result === 'ready') && (status === 'stopped' || status === 'stopping')) return 'stopped';
  return o.result;
}

function nextWords(o: InstanceOutcome, status: string): string {
  if (o.result === 'gone') return 'nothing: pm2 no longer manages it';
  // Still stopping as the wait ends: a stop or a delete is under way, and what follows is its.
  if (o.result === 'stopped') return status === 'stopping' ? 'pm2 is still stopping it (a stop or delete asked by another call or a shell): what follows is up to that request' : `left as pm2 has it (${status})`;
  if (o.result === 'exited') {
    if (o.errored || status === 'errored') return 'pm2 gave up on it: errored after too many unstable restarts';
    if (!o.willRestart) return 'left stopped: autorestart is off';
    const early = o.upMs !== undefined && o.upMs < o.minUptimeMs;
    return early ? 'pm2 restarts it (autorestart): a restart loop until it stays up for its min_uptime, or pm2 gives up after max_restarts' : 'pm2 restarts it (autorestart)';
  }
  if (o.result === 'timeout' || o.result === 'lost') return `left as pm2 has it (${status}): its autorestart decides`;
  return `left running (${status})`;
}

/** One line per instance; then, for a failure, its last output lines. */
export function waitText(report: WaitReport, wait: WaitRequest): string {
  return report.instances.map((i) => instanceText(i, report, wait)).join('\n');
}

function instanceText(i: InstanceReport, report: WaitReport, wait: WaitRequest): string {
  const who = `${safe(i.name)} (pm_id ${i.pm_id})`;
  switch (i.result) {
    case 'online':
      return `${who}: online since ${i.online_since}, and still online after its min_uptime (${i.min_uptime_ms} ms).`;
    case 'ready':
      return `${who}: ready after ${i.ready_after_ms} ms (${readyWords(wait)}), online since ${i.online_since}.`;
    case 'exited': {
      const code = i.exit_signal !== undefined ? `was killed by ${i.exit_signal}` : i.exit_code === undefined ? 'exited' : `exited with code ${i.exit_code}`;
      const up = i.up_ms === undefined ? '' : ` after ${i.up_ms} ms${i.up_ms < i.min_uptime_ms ? `, before its min_uptime (${i.min_uptime_ms} ms)` : ''}`;
      return `${who}: ${code}${up}; ${i.restarts} restart${i.restarts === 1 ? '' : 's'} during the wait; ${i.next}; pm2 status now: ${i.status}.${lines(i)}`;
    }
    case 'timeout': {
      if (report.cancelled) return `${who}: the client cancelled the request, so the wait ended after ${report.elapsed_ms} ms; pm2 has it ${i.status}.`;
      if (report.not_asked?.includes(i.pm_id)) return `${who}: not asked: the wait ended after ${wait.timeoutMs} ms before pm2 got to it (instances go one at a time), so nothing was done to it; pm2 has it ${i.status}.`;
      if (report.pm2_still_acting) return `${who}: pm2 was still at it when the wait ended after ${wait.timeoutMs} ms (stopping the old run takes up to its kill_timeout when the app does not exit on SIGINT), and goes on with it; pm2 has it ${i.status} now.`;
      const where = i.online_since === undefined ? 'never came online' : report.until === 'ready' ? `online since ${i.online_since}, but ${readyWords(wait)} did not happen` : `online since ${i.online_since}, but not yet for its min_uptime (${i.min_uptime_ms} ms)`;
      return `${who}: not ${report.until} within ${wait.timeoutMs} ms: ${where}; ${i.restarts} restart${i.restarts === 1 ? '' : 's'} during the wait; ${i.next}.${lines(i)}`;
    }
    case 'stopped': {
      // The bus did not show the stop; pm2's list, read as the wait ended, does.
      if (i.up_ms === undefined && i.online_since !== undefined) return `${who}: online since ${i.online_since}, but pm2 has it ${i.status} as the wait ends, so it is not online; ${i.next}.${lines(i)}`;
      const up = i.up_ms === undefined ? '' : ` after ${i.up_ms} ms`;
      return `${who}: stopped by pm2 during the wait${up}, at a request (another call's restart, stop or delete, or a shell's), not by a crash, and not started again within ${RESTART_GRACE_MS} ms; ${i.next}.${lines(i)}`;
    }
    case 'gone': {
      const seen = i.online_since === undefined ? '' : ` (it had come online at ${i.online_since})`;
      return `${who}: deleted during the wait${seen}: pm2 no longer manages it (another client, a shell or pm2 itself deleted it); ${i.next}.${lines(i)}`;
    }
    case 'lost':
      return `${who}: the daemon's event bus closed during the wait (did the daemon go away?); ${i.next}.${lines(i)}`;
  }
}

function lines(i: InstanceReport): string {
  return i.last_lines.length ? `\n  Last output lines:\n${i.last_lines.map((l) => `    ${l}`).join('\n')}` : '';
}
