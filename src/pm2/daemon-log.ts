// pm2's own log ($PM2_HOME/pm2.log) holds facts neither its stored fields nor its bus carry: the
// signal of every exit (the bus's exit event has the code only, lib/God.js handleExit), a restart
// forced by max_memory_restart (lib/Worker.js: on the bus it is any restart), and the moment pm2
// gave up on a restart loop. Diagnosis reads them from there for what happened before the server
// listened, and for the signals.
//
// Read as a tail is (src/pm2/tail.ts: a regular file or nothing, the last bytes only). The file
// is the daemon's, about every process of the home: only lines that name the one process asked
// about are kept, and only the numbers and signal names parsed from them leave this module,
// never a line's text.
import { join } from 'node:path';
import { tailFile } from './tail.js';

export interface LoggedExit {
  /** Epoch ms (pm2 writes local time to the second). */
  at: number;
  code?: number;
  signal?: string;
}

export interface DaemonLogFacts {
  exits: LoggedExit[];
  memoryRestarts: Array<{ at: number; memory: number; limit: number }>;
  /** pm2 stopped restarting it: "had too many unstable restarts (N)". */
  gaveUp: Array<{ at: number; restarts: number }>;
}

export type DaemonLogRead = { facts: DaemonLogFacts } | { unavailable: string };

/** The lines of pm2.log looked at, from its end; its lines are short, so this is about 100 KiB. */
const DAEMON_LOG_LINES = 1000;

/** "2026-12-02T03:00:05: PM2 log: " — pm2's own prefix, local time. */
const PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}): PM2 (?:log|error): /;
const SIGNAL = /^SIG[A-Z0-9]{2,10}$/;

/** What pm2.log says about one process: `name` and `pmId` as pm2 prints them, `script` its path. */
export async function readDaemonLog(home: string, who: { name: string; pmId: number; script?: string | undefined }): Promise<DaemonLogRead> {
  const app = `App [${who.name}:${who.pmId}] `;
  const worker = `[PM2][WORKER] Process ${who.pmId} restarted because it exceeds --max-memory-restart value `;
  const script = who.script === undefined ? undefined : `Script ${who.script} had too many unstable restarts (`;
  const mine = (line: string) => {
    const body = line.replace(PREFIX, '');
    return body.startsWith(app) || body.startsWith(worker) || (script !== undefined && body.startsWith(script));
  };
  const tail = await tailFile(join(home, 'pm2.log'), { lines: DAEMON_LOG_LINES, grep: mine });
  if (tail.missing) return { unavailable: 'pm2.log does not exist' };
  if (tail.refused !== undefined) return { unavailable: `pm2.log was not read: ${tail.refused}` };
  return { facts: parseDaemonLog(tail.lines, who) };
}

/** The facts of the lines about one process (exported for tests: a table of pm2's line shapes). */
export function parseDaemonLog(lines: readonly string[], who: { name: string; pmId: number; script?: string | undefined }): DaemonLogFacts {
  const facts: DaemonLogFacts = { exits: [], memoryRestarts: [], gaveUp: [] };
  const app = `App [${who.name}:${who.pmId}] exited with code [`;
  for (const line of lines) {
    const prefix = PREFIX.exec(line);
    if (!prefix) continue;
    const at = new Date(prefix[1]!).getTime();
    if (!Number.isFinite(at)) continue;
    const body = line.slice(prefix[0].length);
    if (body.startsWith(app)) {
      const m = /^(-?\d+|null|undefined)\] via signal \[([A-Z0-9]*)\]$/.exec(body.slice(app.length));
      if (!m) continue;
      const code = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : undefined;
      // pm2 prints SIGINT when the exit had no signal (`kill_signal || 'SIGINT'`): SIGINT is a
      // fact only when there is no code either.
      const signal = SIGNAL.test(m[2]!) && (m[2] !== 'SIGINT' || code === undefined) ? m[2] : undefined;
      facts.exits.push({ at, ...(code !== undefined ? { code } : {}), ...(signal !== undefined ? { signal } : {}) });
      continue;
    }
    const memory = /^\[PM2\]\[WORKER\] Process (\d+) restarted because it exceeds --max-memory-restart value \(current_memory=(\d+) max_memory_limit=(\d+) \[octets\]\)$/.exec(body);
    if (memory && Number(memory[1]) === who.pmId) {
      facts.memoryRestarts.push({ at, memory: Number(memory[2]), limit: Number(memory[3]) });
      continue;
    }
    if (who.script !== undefined) {
      const head = `Script ${who.script} had too many unstable restarts (`;
      const m = body.startsWith(head) ? /^(\d+)\)\. Stopped\./.exec(body.slice(head.length)) : null;
      if (m) facts.gaveUp.push({ at, restarts: Number(m[1]) });
    }
  }
  return facts;
}
