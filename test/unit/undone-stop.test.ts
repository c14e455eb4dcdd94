// A stop or delete that a restart by another call undid at once (pm2's restart stops and starts
// again; a delete landing in between is followed by that start): the tool says so, never
// "Deleted" or "Stopped" of a process pm2 runs; and a process deleted between the lookup and the
// action is PROCESS_NOT_FOUND in plain words. Found by the attack on the restart fix.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolError } from '../../src/errors.js';
import { FakePm2, rawProcesses } from '../helpers/fake-pm2.js';
import { connectInProcess, type InProcessSession } from '../helpers/in-process.js';
import { presetPolicy } from '../helpers/policies.js';

/** pm2 as the race leaves it: the stop or delete returned, and the process is online again. */
class UndonePm2 extends FakePm2 {
  override stop = async (): Promise<void> => undefined;
  override delete = async (): Promise<void> => undefined;
}

/** pm2 as a delete by another client leaves it between this call's lookup and its action. */
class DeletedMeanwhilePm2 extends FakePm2 {
  override restart = async (): Promise<void> => {
    throw new ToolError('PM2_ERROR', 'pm2 failed to restartProcessId: God db process id unknown');
  };
  override stop = async (id: number): Promise<void> => {
    throw new ToolError('PM2_ERROR', `pm2 failed to stopProcessId: ${id} : id unknown`);
  };
}

/** A cluster reload of a process deleted meanwhile: pm2's Reload.js says "PM2 ID unknown". */
class ClusterGonePm2 extends FakePm2 {
  override reload = async (): Promise<void> => {
    throw new ToolError('PM2_ERROR', 'pm2 failed to reloadProcessId: PM2 ID unknown');
  };
}

/** Restarted, then deleted by another client before the list is read again. */
class RestartedThenDeletedPm2 extends FakePm2 {
  constructor(home: string, private readonly procs: ReturnType<typeof rawProcesses>) {
    super(home, procs);
  }
  override restart = async (id: number): Promise<void> => {
    this.procs.splice(this.procs.findIndex((p) => p.pm_id === id), 1);
  };
}

const sessions: InProcessSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

const text = (r: CallToolResult) => (r.content as Array<{ text: string }>).map((c) => c.text).join('\n');

const cases = [
  { name: 'a delete undone: an error that says it runs again', pm2: UndonePm2, tool: 'pm2_delete_process', expect: /^PM2_ERROR: pm2 deleted it, but api \(pm_id 0, online\) is running under pm2 again: a restart or reload by another call .*Delete it again/ },
  { name: 'a stop undone: the same', pm2: UndonePm2, tool: 'pm2_stop_process', expect: /^PM2_ERROR: pm2 stopped it, but api \(pm_id 0, online\) is running under pm2 again.*Stop it again/ },
  { name: 'a restart of a process deleted meanwhile: PROCESS_NOT_FOUND in those words, not pm2\'s "id unknown"', pm2: DeletedMeanwhilePm2, tool: 'pm2_restart_process', expect: /^PROCESS_NOT_FOUND: api \(pm_id 0\) is no longer managed by pm2: it was deleted after this call found it/ },
  { name: 'a stop of a process deleted meanwhile: the same', pm2: DeletedMeanwhilePm2, tool: 'pm2_stop_process', expect: /^PROCESS_NOT_FOUND: api \(pm_id 0\) is no longer managed by pm2/ },
  { name: 'a cluster reload of a process deleted meanwhile ("PM2 ID unknown"): PROCESS_NOT_FOUND', pm2: ClusterGonePm2, tool: 'pm2_reload_process', expect: /^PROCESS_NOT_FOUND: api \(pm_id 0\) is no longer managed by pm2/ },
  { name: 'a restart without a wait whose process is gone right after: not "Restarted"', pm2: RestartedThenDeletedPm2, tool: 'pm2_restart_process', args: { waitUntil: 'none' }, expect: /^PROCESS_NOT_FOUND: Restarted by pm2, but api \(pm_id 0\) is no longer listed by pm2 right after/ },
  { name: 'a delete that held: "Deleted"', pm2: FakePm2, tool: 'pm2_delete_process', expect: /^Deleted api \(pm_id 0\)\.$/ },
  { name: 'a stop that held: "Stopped"', pm2: FakePm2, tool: 'pm2_stop_process', expect: /^Stopped api \(pm_id 0\)\.$/ },
];

for (const c of cases) {
  test(c.name, async () => {
    // The fake's stored configs keep their logs in /home/app/.pm2/logs: a restart starts them again.
    const s = await connectInProcess({ pm2: (root) => new c.pm2(root, rawProcesses(root, 3)), policy: (root) => presetPolicy(root, 'standard', { start: { logFiles: ['/home/app/.pm2/logs/**'] } }) });
    sessions.push(s);
    const r = (await s.client.callTool({ name: c.tool, arguments: { process: 'api', ...('args' in c ? c.args : {}) } })) as CallToolResult;
    assert.match(text(r), c.expect);
    assert.equal(r.isError === true, c.pm2 !== FakePm2);
  });
}
