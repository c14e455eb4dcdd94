// A restart or reload of an app that has just crashed. pm2 (God.handleExit) keeps the crashed
// child's pid while the autorestart timer is pending — a timer tick without restart_delay, seconds
// with restart_delay or exp_backoff_restart_delay — and God.startProcessId refuses such an app:
// "Process with pid N already exists". The user asked for the app to run again now, so:
// - the timer fired meanwhile (online, launching): pm2 can stop and start it; ask again;
// - still waiting (stopped, waiting restart) and that pid is dead: stop it first, which clears
//   pm2's pending timer and the dead pid, then ask again;
// - that pid lives (another process has it now), or anything else: pm2's own refusal stands.
// One more attempt at most: a second refusal is pm2's answer, said as pm2 said it.
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
}

export async function startAgain(steps: StartAgainSteps): Promise<void> {
  try {
    await steps.run();
    return;
  } catch (err) {
    const stale = err instanceof ToolError && err.code === 'PM2_ERROR' ? STALE_PID.exec(err.message) : null;
    if (!stale) throw err;
    const proc = await steps.current();
    const status = proc?.pm2_env?.status;
    if (status === 'online' || status === 'launching') return steps.run();
    const pid = Number(stale[1]);
    const alive = steps.alive ?? isAlive;
    if ((status === 'stopped' || status === 'waiting restart') && !alive(pid)) {
      await steps.stop();
      return steps.run();
    }
    throw err;
  }
}
