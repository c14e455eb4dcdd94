// readyPattern: a literal substring, or /regex/ run by V8's linear-time engine (the `l` flag), so
// that neither an agent's pattern nor an app's output can make the server backtrack for ever.
import { setFlagsFromString } from 'node:v8';

export type LineMatcher = (line: string) => boolean;

let linearEngine: boolean | undefined;

/** V8's linear engine is behind a flag; turned on once, before the first pattern is compiled. */
function linearAvailable(): boolean {
  if (linearEngine === undefined) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      // eslint-disable-next-line no-invalid-regexp -- `l` (linear) exists once the flag above is set
      new RegExp('a', 'l');
      linearEngine = true;
    } catch {
      linearEngine = false;
    }
  }
  return linearEngine;
}

/** The matcher for a pattern, or why it cannot be one (a message for INVALID_ARGUMENTS). */
export function compileReadyPattern(pattern: string): { ok: true; matches: LineMatcher } | { ok: false; problem: string } {
  const regex = /^\/(.+)\/$/s.exec(pattern);
  if (!regex) return { ok: true, matches: (line) => line.includes(pattern) };
  if (!linearAvailable()) return { ok: false, problem: 'this Node.js has no linear-time regular expression engine: give a literal substring instead' };
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` (linear) exists once the flag above is set
    const re = new RegExp(regex[1]!, 'l');
    return { ok: true, matches: (line) => re.test(line) };
  } catch (err) {
    return { ok: false, problem: `${(err as Error).message.replace(/^Invalid regular expression: /, '')} (back-references, lookarounds and flags are not supported: the pattern runs in linear time)` };
  }
}
