// A restart or reload that pm2 refuses with "Process with pid N already exists" (an app between its
// crash and pm2's autorestart): when it is asked again, when it is stopped first, and when pm2's
// refusal stands. Every step the function takes is recorded, so a case fails on any extra step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolError } from '../../src/errors.js';
import { startAgain } from '../../src/pm2/start-again.js';

const STALE = () => new ToolError('PM2_ERROR', 'pm2 failed to restartProcessId: Process with pid 4242 already exists');

interface Case {
  name: string;
  /** What each run() does in turn: undefined succeeds. */
  runs: Array<Error | undefined>;
  status?: string;
  alive?: boolean;
  steps: string[];
  throws?: RegExp;
}

const cases: Case[] = [
  { name: 'pm2 restarts it: nothing more', runs: [undefined], steps: ['run'] },
  { name: 'the autorestart fired meanwhile (online): asked again', runs: [STALE(), undefined], status: 'online', steps: ['run', 'current', 'run'] },
  { name: 'the autorestart fired meanwhile (launching): asked again', runs: [STALE(), undefined], status: 'launching', steps: ['run', 'current', 'run'] },
  { name: 'between the crash and the timer tick (stopped), pid dead: stopped, then asked again', runs: [STALE(), undefined], status: 'stopped', alive: false, steps: ['run', 'current', 'stop', 'run'] },
  { name: 'waiting for its restart_delay, pid dead: stopped, then asked again', runs: [STALE(), undefined], status: 'waiting restart', alive: false, steps: ['run', 'current', 'stop', 'run'] },
  { name: 'waiting, but the pid lives (another process has it): pm2\'s refusal stands, nothing stopped', runs: [STALE()], status: 'waiting restart', alive: true, steps: ['run', 'current'], throws: /pid 4242 already exists/ },
  { name: 'errored: pm2\'s refusal stands', runs: [STALE()], status: 'errored', alive: false, steps: ['run', 'current'], throws: /already exists/ },
  { name: 'gone from pm2\'s list: deleted meanwhile, not pm2\'s words about a pid', runs: [STALE()], alive: false, steps: ['run', 'current'], throws: /PROCESS_NOT_FOUND|no longer lists it: it was deleted meanwhile/ },
  { name: 'refused again while online (another restart at it): asked again after a pause, and it runs', runs: [STALE(), STALE(), undefined], status: 'online', steps: ['run', 'current', 'run', 'current', 'pause 100', 'run'] },
  { name: 'refused while another call stops it (stopping): asked again after a pause', runs: [STALE(), undefined], status: 'stopping', alive: true, steps: ['run', 'current', 'pause 100', 'run'] },
  { name: 'refused every time while online: four asks, then pm2\'s refusal saying why', runs: [STALE(), STALE(), STALE(), STALE()], status: 'online', steps: ['run', 'current', 'run', 'current', 'pause 100', 'run', 'current', 'pause 200', 'run', 'current'], throws: /another restart of it .* under way each of the 4 times .*pm2 has it online now\. pm2 said: .*pid 4242 already exists/ },
  { name: 'refused again after the stop, pid still dead: stopped again, and so on, four asks at most', runs: [STALE(), STALE(), STALE(), STALE()], status: 'stopped', alive: false, steps: ['run', 'current', 'stop', 'run', 'current', 'stop', 'run', 'current', 'stop', 'run', 'current'], throws: /pm2 failed to restartProcessId: Process with pid 4242 already exists$/ },
  { name: 'another pm2 error: passed on as it is', runs: [new ToolError('PM2_ERROR', 'pm2 failed to restartProcessId: God db process id unknown')], steps: ['run'], throws: /id unknown/ },
  { name: 'the same words from something that is not pm2 (a lost daemon): passed on', runs: [new ToolError('DAEMON_UNREACHABLE', 'Process with pid 4242 already exists')], steps: ['run'], throws: /already exists/ },
];

for (const c of cases) {
  test(c.name, async () => {
    const steps: string[] = [];
    const runs = [...c.runs];
    const attempt = startAgain({
      run: async () => {
        steps.push('run');
        const outcome = runs.shift();
        if (outcome) throw outcome;
      },
      stop: async () => void steps.push('stop'),
      current: async () => {
        steps.push('current');
        return c.status === undefined ? undefined : { pm_id: 3, pid: 4242, pm2_env: { status: c.status } };
      },
      alive: (pid) => {
        assert.equal(pid, 4242, 'the pid pm2 named is the one checked');
        return c.alive ?? false;
      },
      pause: async (ms) => void steps.push(`pause ${ms}`),
    });
    if (c.throws) await assert.rejects(attempt, c.throws);
    else await attempt;
    assert.deepEqual(steps, c.steps);
  });
}
