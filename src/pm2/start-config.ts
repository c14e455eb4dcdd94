// Builds the object handed to pm2.start from a checked StartApp, key by key (docs/threat-model.md §T4):
// no alias, no camelCase twin, nothing of the client's object passes through.
import type { StartApp } from '../model/requests.js';
import { STARTED_MARKER } from './agent-started.js';
import type { Pm2StartConfig } from './types.js';

/**
 * The server variables an app inherits are named by the policy (start.env.passThrough): what an
 * app needs to behave like one started from a shell (find commands, know its user, locale and
 * time zone). Everything else of the server's environment, secrets included, stays out
 * (docs/threat-model.md §T5).
 */
export function baseEnv(serverEnv: Record<string, string | undefined>, names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = serverEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export function buildStartConfig(app: StartApp, serverEnv: Record<string, string | undefined>, passThrough: readonly string[]): Pm2StartConfig {
  const config: Pm2StartConfig = {
    name: app.name,
    script: app.script,
    cwd: app.cwd,
    args: [...app.args],
    interpreter: app.interpreter.path,
    node_args: [...app.interpreterArgs],
    // The marker last: processes.max counts what the agent's starts created (src/pm2/agent-started.ts).
    env: { ...baseEnv(serverEnv, passThrough), ...app.env, [STARTED_MARKER]: '1' },
    instances: app.instances,
    exec_mode: app.execMode,
    watch: app.watch,
    namespace: app.namespace,
    autorestart: app.options.autorestart ?? true,
    // Every name of the server's environment contains "", so pm2's filter removes them all.
    filter_env: [''],
  };
  if (app.logFiles.out) config.out_file = app.logFiles.out;
  if (app.logFiles.err) config.error_file = app.logFiles.err;
  if (app.logFiles.combined) config.log_file = app.logFiles.combined;
  const o = app.options;
  if (o.merge_logs !== undefined) config.merge_logs = o.merge_logs;
  if (o.max_memory_restart !== undefined) config.max_memory_restart = o.max_memory_restart;
  if (o.max_restarts !== undefined) config.max_restarts = o.max_restarts;
  if (o.min_uptime !== undefined) config.min_uptime = o.min_uptime;
  if (o.restart_delay !== undefined) config.restart_delay = o.restart_delay;
  if (o.kill_timeout !== undefined) config.kill_timeout = o.kill_timeout;
  if (o.time !== undefined) config.time = o.time;
  // Without merge_logs pm2 writes x-<pm_id>.log instead of the x.log the policy checked.
  if (app.logFiles.out || app.logFiles.err || app.logFiles.combined) config.merge_logs = true;
  return config;
}
