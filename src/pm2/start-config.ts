// Builds the object handed to pm2.start from a checked StartApp, key by key (docs/threat-model.md §T4):
// no alias, no camelCase twin, nothing of the client's object passes through.
import { START_OPTION_NAMES, type StartApp } from '../model/requests.js';
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
  // autorestart is set above with its default; every other option only when the app gives it.
  for (const k of START_OPTION_NAMES) {
    const value = app.options[k];
    if (k !== 'autorestart' && value !== undefined) (config as unknown as Record<string, unknown>)[k] = value;
  }
  // Without merge_logs pm2 writes x-<pm_id>.log instead of the x.log the policy checked.
  if (app.logFiles.out || app.logFiles.err || app.logFiles.combined) config.merge_logs = true;
  return config;
}
