// An error log's last lines as entries an operator would read: a stack trace, or Node's report
// of an uncaught exception (location, source line, caret, the error, its frames, the Node.js
// version), is one entry; the same entry written again and again (a restart loop) is one entry
// with a count.
import { timeOf } from './tail-time.js';

export interface ErrorEntry {
  /** The entry's lines, the time prefix pm2 may write removed; at most ENTRY_LINES. */
  lines: string[];
  /** Times it was written, among the lines read. */
  count: number;
  /** pm2's time prefix of its last occurrence, when the app has `time: true`. */
  last_at?: string;
}

export const ENTRY_LINES = 20;
export const ENTRIES = 5;

/** "/srv/app/server.js:12" — the first line of Node's report of an uncaught exception. */
const LOCATION = /^(?:file:\/\/)?\/\S*:\d+$/;
const CARET = /^\s*[\^~]+\s*$/;
const NODE_VERSION = /^Node\.js v\d/;
const FRAME = /^\s+at\s/;

/** The last ENTRIES distinct entries of `lines` (oldest first), each with how often it occurred. */
export function groupErrors(lines: readonly string[]): ErrorEntry[] {
  const entries: Array<{ lines: string[]; at?: string }> = [];
  let current: { lines: string[]; at?: string; open: boolean } | undefined;
  for (const raw of lines) {
    const at = timeOf(raw);
    const line = at === undefined ? raw : raw.slice(at.length + 2);
    if (line.trim() === '') continue;
    const continues = current !== undefined && (/^\s/.test(line) || CARET.test(line) || NODE_VERSION.test(line) || (current.open && !FRAME.test(line)));
    if (continues && current) {
      current.lines.push(line);
      // Node's report runs from its location line to its first frame: the lines between belong to it.
      if (FRAME.test(line) || NODE_VERSION.test(line)) current.open = false;
      if (at !== undefined) current.at = at;
      continue;
    }
    current = { lines: [line], open: LOCATION.test(line), ...(at !== undefined ? { at } : {}) };
    entries.push(current);
  }
  const byText = new Map<string, ErrorEntry>();
  for (const e of entries) {
    const shown = e.lines.length > ENTRY_LINES ? [...e.lines.slice(0, ENTRY_LINES - 1), `… ${e.lines.length - ENTRY_LINES + 1} more lines`] : e.lines;
    const key = shown.join('\n');
    const seen = byText.get(key);
    // Map order is first occurrence: re-inserted, an entry moves to where it last occurred.
    byText.delete(key);
    byText.set(key, { lines: shown, count: (seen?.count ?? 0) + 1, ...(e.at !== undefined ? { last_at: e.at } : {}) });
  }
  return [...byText.values()].slice(-ENTRIES);
}

/** The line of an entry that names the error ("Error: listen EADDRINUSE …"), else its first. */
export function headline(entry: ErrorEntry): string {
  return entry.lines.find((l) => /^[\w$.]*(?:Error|Exception)\b/.test(l)) ?? entry.lines[0] ?? '';
}
