// The resolve step shared by every tool that names a process: list once, resolve to pm_ids.
import { ToolError } from '../../errors.js';
import type { Pm2Adapter } from '../../pm2/adapter.js';
import { resolveTarget } from '../../pm2/targets.js';
import type { Pm2RawProcess } from '../../pm2/types.js';
import { pmIdOf, processName, processNamespace } from '../../pm2/views.js';
import type { ProcessRef, TargetRef } from '../../model/requests.js';
import { isPm2McpServer } from '../../pm2/self.js';

export function refOf(proc: Pm2RawProcess): ProcessRef {
  const ref: ProcessRef = {
    pm_id: pmIdOf(proc) ?? -1,
    name: processName(proc),
    namespace: processNamespace(proc),
    cwd: typeof proc.pm2_env?.pm_cwd === 'string' ? proc.pm2_env.pm_cwd : null,
  };
  if (isPm2McpServer(proc)) ref.server = true;
  return ref;
}

export async function resolveProcesses(pm2: Pm2Adapter, asked: string | number): Promise<{ target: TargetRef; list: Pm2RawProcess[] }> {
  const list = await pm2.list();
  const resolved = await resolveTarget(asked, list);
  const ids = new Set(resolved.ids);
  const processes = list.filter((p) => ids.has(pmIdOf(p) ?? -1)).map(refOf);
  return { target: { asked, kind: resolved.kind, processes }, list };
}

/** pm2's list, or none when no daemon runs (a server that may not spawn one must not, just to look). */
export async function listIfRunning(pm2: Pm2Adapter): Promise<Pm2RawProcess[]> {
  try {
    return await pm2.list();
  } catch (err) {
    if (err instanceof ToolError && err.code === 'DAEMON_NOT_RUNNING') return [];
    throw err;
  }
}
