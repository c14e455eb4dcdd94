// The times of a log file's lines, from the server's own bus history (src/pm2/process-history.ts),
// for an app whose lines carry no time of their own (pm2's `time` option off). A file holds the
// lines pm2 was sent, in order; the history holds the same lines, with when pm2 wrote each. The
// file's last lines are matched to the history's, line for line, backward: when every line of
// the file's part matches, each gets its time; when one does not (a line written while the
// server did not listen, a history that no longer reaches back so far), none does, and the
// order stays unknown rather than guessed.
import type { HeardLine } from './process-history.js';

/**
 * pm2 sends a line on the bus just before it writes it to the file: the history may hold lines
 * the file does not yet, heard this recently at most. Older heard lines must be in the file.
 */
export const AHEAD_MS = 250;

/**
 * The time of each of `lines` (oldest first, as read from the end of a file or since a cursor,
 * at `now`), or undefined when they cannot all be matched to `heard`, one to one and in only one
 * way. Every line must have been heard (one the server missed, or older than the history, leaves
 * the order unknown); the heard lines after the last one matched must be ones pm2 may not have
 * written yet (heard within AHEAD_MS); and when repeated lines make two alignments possible,
 * neither is taken.
 */
export function heardTimes(lines: readonly string[], heard: readonly HeardLine[], now = Date.now()): number[] | undefined {
  if (lines.length === 0) return [];
  let found: number | undefined;
  for (let ahead = 0; ahead < heard.length; ahead++) {
    const end = heard.length - 1 - ahead;
    // Skipping heard lines is only for the ones that may not be written yet.
    if (ahead > 0 && heard[end + 1]!.at < now - AHEAD_MS) break;
    if (!matchesBackward(lines, lines.length - 1, heard, end)) continue;
    if (found !== undefined) return undefined;
    found = end;
  }
  if (found === undefined) return undefined;
  const end = found;
  return lines.map((_, i) => heard[end - (lines.length - 1 - i)]!.at);
}

/** lines[0..i] equal heard[j-i..j], compared backward. */
function matchesBackward(lines: readonly string[], i: number, heard: readonly HeardLine[], j: number): boolean {
  if (j - i < 0) return false;
  for (let k = 0; k <= i; k++) if (!sameLine(lines[i - k]!, heard[j - k]!.text)) return false;
  return true;
}

/**
 * A long line is cut on both sides to its end after "…" (a tail by bytes, the history by
 * characters): cut ones are compared by the end both kept.
 */
export function sameLine(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.startsWith('…') && !b.startsWith('…')) return false;
  const ea = a.startsWith('…') ? a.slice(1) : a;
  const eb = b.startsWith('…') ? b.slice(1) : b;
  const n = Math.min(ea.length, eb.length);
  return n > 0 && ea.slice(-n) === eb.slice(-n);
}

/**
 * Two streams' lines merged by their times, ties keeping `a` (out) first: pm2 stamps to the
 * millisecond, and within one the order between the two pipes is not known.
 */
export function mergeByTimes<T>(a: readonly T[], ta: readonly number[], b: readonly T[], tb: readonly number[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && (j >= b.length || ta[i]! <= tb[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
