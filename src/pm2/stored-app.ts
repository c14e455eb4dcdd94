// What a restart or reload would start again (docs/threat-model.md §T7): pm2 keeps each process's
// config and starts it anew, so a restart is a start of that stored config. Read back from pm2's
// process data into the same StartApp the policy judges for a start, over real paths.
import { realOrUndefined } from '../real-path.js';
import { isAbsolute } from 'node:path';
import { ToolError } from '../errors.js';
import type { StartApp } from '../model/requests.js';
import { decideInterpreter } from './interpreter.js';
import { storedLogFileRefusal, storedLogPaths } from './log-path.js';
import type { Pm2RawProcess } from './types.js';
import { processName, processNamespace } from './views.js';

/** `defaultLogDir`: pm2's own log folder ($PM2_HOME/logs), as pm2 spells it. */
export async function storedApp(proc: Pm2RawProcess, defaultLogDir: string): Promise<StartApp> {
  const env = proc.pm2_env ?? {};
  const name = processName(proc);
  const cwd = realOr(typeof env.pm_cwd === 'string' ? env.pm_cwd : '');
  const script = realOr(typeof env.pm_exec_path === 'string' ? env.pm_exec_path : '');
  const given = typeof env.exec_interpreter === 'string' && env.exec_interpreter.length > 0 ? env.exec_interpreter : 'node';
  const interpreter = await decideInterpreter(given, script).catch(() => ({ name: given, path: isAbsolute(given) ? given : `(not found: ${given})` }));
  const logFiles: StartApp['logFiles'] = {};
  for (const { stream, path } of storedLogPaths(proc)) {
    // The folder by its real path, the file itself not followed: pm2 reopens these files for
    // appending, following links, so one swapped for a link or a FIFO since the start is refused.
    const checked = await storedLogFileRefusal(path, stream, defaultLogDir);
    if (checked.refused) throw new ToolError('START_REFUSED', `${name}: ${checked.refused}. Delete the process and start it again.`);
    logFiles[stream] = checked.ref.path;
  }
  return {
    name,
    script,
    cwd,
    interpreter,
    interpreterArgs: Array.isArray(env.node_args) ? env.node_args.filter((a): a is string => typeof a === 'string') : [],
    args: [],
    env: {},
    instances: 1,
    execMode: env.exec_mode === 'cluster_mode' ? 'cluster' : 'fork',
    watch: env.watch === true || Array.isArray(env.watch),
    namespace: processNamespace(proc),
    logFiles,
    options: {},
    origin: { kind: 'arguments' },
  };
}

/** The real path, or the path as pm2 has it when it no longer exists (the policy then judges that). */
function realOr(path: string): string {
  return path ? (realOrUndefined(path) ?? path) : '(none)';
}
