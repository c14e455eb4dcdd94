// Which pm2 daemon a connection reached. A daemon that died and was spawned again is a new,
// empty one: every process the old one ran is gone, and nothing in pm2's answers says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonReplacement {
  oldPid: number;
  newPid: number;
}

/** The daemon's pid, from the file it writes in PM2_HOME when it starts (before it listens). */
export function readDaemonPid(home: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(home, 'pm2.pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the daemon last talked to, and says when a connection reached another one. */
export class DaemonIdentity {
  private pid: number | undefined;

  /** The replacement, once: the new daemon is the one remembered from then on. */
  reached(pid: number | undefined): DaemonReplacement | undefined {
    // A pid that cannot be read proves nothing: the one known stays the one compared with.
    if (pid === undefined) return undefined;
    const oldPid = this.pid;
    this.pid = pid;
    return oldPid !== undefined && oldPid !== pid ? { oldPid, newPid: pid } : undefined;
  }

  /** The daemon went away on purpose (pm2_kill_daemon): the next one replaces nothing unexpected. */
  forget(): void {
    this.pid = undefined;
  }
}
