// A restart or reload of an app that has just crashed, or that another restart is at. pm2
// (God.handleExit) keeps the crashed child's pid while the autorestart timer is pending — a timer
// tick without restart_delay, seconds with restart_delay or exp_backoff_restart_delay — and
// God.startProcessId refuses such an app: "Process with pid N already exists"; a restart by
// another call, between its stop and its start, is refused the same way. The user asked for the
// app to run again now, so:
// - pm2 has it online or launching (the timer fired, or the other restart is done): ask again,
//   after a short pause from the second time on (another restart may still be at it); stopping
//   (another restart or a stop is at it): ask again after a pause;
// - still waiting (stopped, waiting restart) and that pid is dead: stop it first, which clears
//   pm2's pending timer and the dead pid, then ask again;
// - that pid lives (another process has it now), or anything else: pm2's own refusal stands.
// At most MAX_RETRIES more times; then pm2's refusal, saying why it kept refusing.
import { isAlive } from '../process-alive.js';
import { ToolError } from '../errors.js';
import type { Pm2RawProcess } from './types.js';

const STALE_PID = /Process with pid (\d+) already exists/;

export interface StartAgainSteps {
  /** pm2's restartProcessId or reloadProcessId for the one process. */
  run(): Promise<void>;
  stop(): Promise<void>;
  /** The process as pm2 lists it now, or undefined when it is gone. */
  current(): Promise<Pm2RawProcess | undefined>;
  alive?: (pid: number) => boolean;
  /** Waits between two asks while another restart may be at it (tests pass their own). */
  pause?: (ms: number) => Promise<void>;
}

const MAX_RETRIES = 3;
const PAUSE_MS = 100;

export async function startAgain(steps: StartAgainSteps): Promise<void> {
  const alive = steps.alive ?? isAlive;
  const pause = steps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let retry = 0; ; retry++) {
    let refusal: unknown;
    try {
      await steps.run();
      return;
    } catch (err) {
      refusal = err;
    }
    const stale = refusal instanceof ToolError && refusal.code === 'PM2_ERROR' ? STALE_PID.exec(refusal.message) : null;
    if (!stale) throw refusal;
    const proc = await steps.current();
    // Deleted meanwhile: pm2's words about a pid would say nothing true about it.
    if (!proc) throw new ToolError('PROCESS_NOT_FOUND', 'pm2 no longer lists it: it was deleted meanwhile');
    const status = proc.pm2_env?.status;
    // Online or launching: started again meanwhile; stopping: another restart (or a stop) is at it.
    const busy = status === 'online' || status === 'launching' || status === 'stopping';
    if (retry === MAX_RETRIES) {
      if (!busy) throw refusal;
      throw new ToolError('PM2_ERROR', `pm2 would not restart it: another restart of it (another call, or pm2's autorestart) was under way each of the ${MAX_RETRIES + 1} times this call asked, and pm2 has it ${status} now. pm2 said: ${(refusal as ToolError).message}`);
    }
    if (busy) {
      if (retry > 0 || status === 'stopping') await pause(PAUSE_MS * Math.max(1, retry));
    } else if ((status === 'stopped' || status === 'waiting restart') && !alive(Number(stale[1]))) {
      await steps.stop();
    } else {
      throw refusal;
    }
  }
}
