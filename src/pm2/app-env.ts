// A variable of a pm2 process's environment: pm2 keeps the app's env in pm2_env.env and also
// flattens it into pm2_env itself (docs/threat-model.md §T10); a marker may be found in either.
import type { Pm2RawProcess } from './types.js';

export function carriesVariable(proc: Pm2RawProcess, name: string): boolean {
  const env = proc.pm2_env ?? {};
  const inner = env.env && typeof env.env === 'object' ? (env.env as Record<string, unknown>) : {};
  return env[name] !== undefined || inner[name] !== undefined;
}
