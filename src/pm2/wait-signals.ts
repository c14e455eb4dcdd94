// The signal that ended an instance during a wait: pm2's bus says "exit" with the code only (a
// killed app has none), and writes the signal to pm2.log (src/pm2/daemon-log.ts). Read only for
// a wait that failed with an exit, so a wait that went well costs nothing more.
import { readDaemonLog } from './daemon-log.js';
import type { WaitReport } from './wait-report.js';

/** pm2.log is written to the second: an exit logged this long before the wait began may be its. */
const SLACK_MS = 1000;
const RETRIES = 5;
const RETRY_MS = 100;

export async function withExitSignals(report: WaitReport, home: string, now = Date.now()): Promise<WaitReport> {
  const exited = report.instances.filter((i) => i.result === 'exited');
  if (exited.length === 0) return report;
  const since = now - report.elapsed_ms - SLACK_MS;
  const signals = new Map<number, string>();
  for (const i of exited) {
    // An exit without a code was a signal: the daemon's line for it may still be on its way to
    // the file (its log stream is written after the bus hears the exit), so it is looked for again.
    for (let attempt = 0; attempt < (i.exit_code === undefined ? RETRIES : 1); attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      const read = await readDaemonLog(home, { name: i.name, pmId: i.pm_id });
      if (!('facts' in read)) break;
      const last = read.facts.exits.filter((e) => e.at >= since).at(-1);
      if (last?.signal !== undefined && (i.exit_code === undefined || last.code === i.exit_code)) {
        signals.set(i.pm_id, last.signal);
        break;
      }
    }
  }
  if (signals.size === 0) return report;
  return { ...report, instances: report.instances.map((i) => (signals.has(i.pm_id) ? { ...i, exit_signal: signals.get(i.pm_id)! } : i)) };
}
