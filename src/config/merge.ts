// How a config lays over the one it extends: plain objects merge key by key, everything else
// (arrays included) replaces. An array is a whole list on purpose: a file that writes
// `"scripts": ["apps/*.js"]` means exactly those, not those plus whatever the base allowed.
// Deny lists are the exception: they accumulate, so extending a preset never drops one of its
// refusals (a config listing `"deny": ["*_TOKEN"]` keeps the preset's NODE_OPTIONS, LD_* …).
// A tool's limit is the other: one rate, replaced whole, so that a file's `{ calls, perSeconds }`
// means what it says (its `per` is the default) and not that plus the preset's `per`.
import type { Pm2McpConfig } from '../model/config.js';

/** Keys that describe a file, not the policy: never carried into a merged config. */
const FILE_KEYS = new Set(['extends', '$schema']);

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const ACCUMULATING = new Set(['start.env.deny', 'start.scriptsExclude']);
/** Objects an extending file replaces whole: `limits.<tool>`. */
const WHOLE = /^limits\.[^.]+$/;

function mergeObjects(base: Plain, over: Plain, path = ''): Plain {
  // A deep copy, so the result shares nothing with its inputs. (structuredClone makes an own
  // `__proto__` key a plain data property, never the prototype.)
  const out = structuredClone(base);
  for (const [key, value] of Object.entries(over)) {
    if (key === '__proto__' || value === undefined) continue;
    const prev = out[key];
    const at = path ? `${path}.${key}` : key;
    if (ACCUMULATING.has(at) && Array.isArray(prev) && Array.isArray(value)) out[key] = [...new Set([...prev, ...value])];
    else out[key] = isPlainObject(prev) && isPlainObject(value) && !WHOLE.test(at) ? mergeObjects(prev, value, at) : structuredClone(value);
  }
  return out;
}

/** `over` laid on `base`; neither is changed. `extends` and `$schema` are left out. */
export function mergeConfigs(base: Pm2McpConfig, over: Pm2McpConfig): Pm2McpConfig {
  const merged = mergeObjects(base as Plain, over as Plain);
  for (const key of FILE_KEYS) delete merged[key];
  return merged as Pm2McpConfig;
}
