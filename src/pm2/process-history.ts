// The server's own memory of what pm2's event bus said while the server ran: per process, its
// recent process events (exits, restarts, a restart loop given up) and its recent output lines
// with the time each was written. pm2 keeps neither: its stored fields hold the last exit code
// and counters only, and a log file holds no time unless the app has `time: true`. Diagnosis
// reads the events; a combined tail reads the lines' times to interleave out and err.
//
// Bounded by construction: a fixed number of processes (the least recently heard is dropped),
// events and lines per process, and bytes per stream. Nothing but what the bus sent is kept, and
// the bus packets are trimmed to a few fields before they reach here (src/pm2/bus.ts).
import type { BusEvent } from './bus.js';

export const HISTORY_LIMITS = {
  /** Processes remembered; past it the one heard from least recently is forgotten. */
  processes: 128,
  /** Process events per process (exits, restarts …): a restart loop fills it in seconds, which is enough to name it. */
  events: 100,
  /** Output lines per process and stream. */
  lines: 1000,
  /**
   * Characters of output kept per process and stream (a line longer than lineBytes is kept cut):
   * at most 128 × 2 × 64 Ki characters in all, 32 MiB as JavaScript holds them.
   */
  streamBytes: 64 * 1024,
  lineBytes: 4096,
} as const;

/** Processes whose forgetting is remembered, each by its own time. */
const FORGOTTEN_KEPT = 1024;

export interface HeardEvent {
  event: string;
  at: number;
  status: string;
  exitCode?: number;
  restarts: number;
  launchedAt?: number;
  minUptimeMs: number;
}

export interface HeardLine {
  text: string;
  /** When pm2 wrote it (the daemon's clock, epoch ms). */
  at: number;
}

type Stream = 'out' | 'err';

interface Track {
  name: string;
  /** pm2's unique_id, from the first process event heard of it. */
  uniqueId?: string;
  events: HeardEvent[];
  lines: Record<Stream, HeardLine[]>;
  bytes: Record<Stream, number>;
  /** The start of a line whose end has not come yet (pm2 passes the app's writes as they come). */
  partial: Record<Stream, { text: string; at: number } | undefined>;
  lastLineAt?: number;
  heardAt: number;
}

/** Since when the history has heard everything: its start, or the end of its last gap. */
export interface HistoryCoverage {
  listening: boolean;
  /** Epoch ms; undefined when it never listened. */
  since?: number;
}

export class ProcessHistory {
  private readonly tracks = new Map<number, Track>();
  private listening = false;
  private since: number | undefined;
  /** When a process's track was last forgotten to make room: what it heard before is lost. */
  private readonly forgotten = new Map<number, number>();
  /** Past FORGOTTEN_KEPT of those, when the oldest forgotten one went: every process's history may be short until then. */
  private forgottenAll: number | undefined;

  /** The bus is heard from now on (first subscription, or after a gap). */
  began(at = Date.now()): void {
    if (this.listening) return;
    this.listening = true;
    this.since = at;
  }

  /** The bus closed: what happens until `began` again is not heard. */
  lost(): void {
    this.listening = false;
  }

  /**
   * Since when the history has heard everything (of one process, when given: a process whose
   * track was forgotten to make room is covered only since then).
   */
  coverage(pmId?: number): HistoryCoverage {
    if (this.since === undefined) return { listening: this.listening };
    const lost = pmId === undefined ? undefined : Math.max(this.forgotten.get(pmId) ?? 0, this.forgottenAll ?? 0);
    return { listening: this.listening, since: Math.max(this.since, lost ?? 0) };
  }

  record(e: BusEvent): void {
    if (e.kind === 'message') return;
    // pm2 gives a deleted process's pm_id to the next one started, and says nothing on the bus
    // when it deletes one: another unique_id on that pm_id is another process, heard afresh.
    if (e.kind === 'process' && e.uniqueId !== undefined) {
      const known = this.tracks.get(e.pmId)?.uniqueId;
      if (known !== undefined && known !== e.uniqueId) this.tracks.delete(e.pmId);
    }
    const track = this.track(e.pmId, e.name, e.at);
    if (e.kind === 'process') {
      if (e.uniqueId !== undefined) track.uniqueId = e.uniqueId;
      if (e.event === 'delete') {
        this.tracks.delete(e.pmId);
        return;
      }
      push(track.events, { event: e.event, at: e.at, status: e.status, restarts: e.restarts, minUptimeMs: e.minUptimeMs, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}), ...(e.launchedAt !== undefined ? { launchedAt: e.launchedAt } : {}) }, HISTORY_LIMITS.events);
      return;
    }
    this.addOutput(track, e.stream, e.data, e.at);
  }

  /**
   * The events heard for this process, oldest first: by pm_id, name and, when the caller knows it
   * (pm2's list has it), unique_id — a reused pm_id is another process.
   */
  eventsOf(pmId: number, name: string, uniqueId?: string): readonly HeardEvent[] {
    return this.find(pmId, name, uniqueId)?.events ?? [];
  }

  /** The complete lines heard on one stream, oldest first. */
  linesOf(pmId: number, name: string, stream: Stream, uniqueId?: string): readonly HeardLine[] {
    return this.find(pmId, name, uniqueId)?.lines[stream] ?? [];
  }

  /** When the process last wrote a line, as heard. */
  lastLineAt(pmId: number, name: string, uniqueId?: string): number | undefined {
    return this.find(pmId, name, uniqueId)?.lastLineAt;
  }

  private find(pmId: number, name: string, uniqueId: string | undefined): Track | undefined {
    const t = this.tracks.get(pmId);
    if (!t || t.name !== name) return undefined;
    return uniqueId !== undefined && t.uniqueId !== undefined && t.uniqueId !== uniqueId ? undefined : t;
  }

  private track(pmId: number, name: string, at: number): Track {
    let t = this.tracks.get(pmId);
    if (t && t.name !== name) t = undefined;
    if (!t) {
      t = { name, events: [], lines: { out: [], err: [] }, bytes: { out: 0, err: 0 }, partial: { out: undefined, err: undefined }, heardAt: at };
      if (this.tracks.size >= HISTORY_LIMITS.processes && !this.tracks.has(pmId)) this.forgetQuietest(at);
    }
    // Re-inserted: the Map's order is the order of last hearing.
    this.tracks.delete(pmId);
    this.tracks.set(pmId, t);
    t.heardAt = at;
    return t;
  }

  private forgetQuietest(at: number): void {
    const first = this.tracks.keys().next();
    if (first.done) return;
    this.tracks.delete(first.value);
    this.forgotten.delete(first.value);
    this.forgotten.set(first.value, at);
    if (this.forgotten.size > FORGOTTEN_KEPT) {
      const oldest = this.forgotten.entries().next().value!;
      this.forgotten.delete(oldest[0]);
      this.forgottenAll = Math.max(this.forgottenAll ?? 0, oldest[1]);
    }
  }

  private addOutput(t: Track, stream: Stream, data: string, at: number): void {
    t.lastLineAt = at;
    const pending = t.partial[stream];
    const parts = ((pending?.text ?? '') + data).split('\n');
    const rest = parts.pop()!;
    // A line is timed by when it began to be written: that is when pm2 wrote its first byte.
    let lineAt = pending?.at ?? at;
    for (const part of parts) {
      this.addLine(t, stream, { text: cut(part.endsWith('\r') ? part.slice(0, -1) : part), at: lineAt });
      lineAt = at;
    }
    t.partial[stream] = rest === '' ? undefined : { text: cut(rest), at: lineAt };
  }

  private addLine(t: Track, stream: Stream, line: HeardLine): void {
    const lines = t.lines[stream];
    lines.push(line);
    t.bytes[stream] += line.text.length;
    while (lines.length > HISTORY_LIMITS.lines || t.bytes[stream] > HISTORY_LIMITS.streamBytes) {
      const old = lines.shift();
      if (!old) break;
      t.bytes[stream] -= old.text.length;
    }
  }
}

function push<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/** A line is cut as a tail cuts it: its last bytes kept, after an ellipsis. */
function cut(text: string): string {
  return text.length > HISTORY_LIMITS.lineBytes ? `…${text.slice(-HISTORY_LIMITS.lineBytes)}` : text;
}
