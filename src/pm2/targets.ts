// Turns what a client names ("api", 3, "3", "all", "/^web-/", a namespace) into concrete pm_ids,
// so that pm2 never interprets a target string itself (docs/threat-model.md §T8: pm2 tries a number as a
// name before an id, and treats a string as a name, a namespace, a script path or a regex).
import { ToolError } from '../errors.js';
import { compileLinearRegex } from './line-pattern.js';
import type { Pm2RawProcess } from './types.js';
import { pmIdOf, processName, processNamespace } from './views.js';

export type TargetKind = 'id' | 'name' | 'namespace' | 'all' | 'regex';

export interface ResolvedTarget {
  asked: string | number;
  kind: TargetKind;
  ids: number[];
}

const MAX_REGEX_LENGTH = 200;

export async function resolveTarget(asked: string | number, list: Pm2RawProcess[]): Promise<ResolvedTarget> {
  const entries = list.map((p) => ({ id: pmIdOf(p), name: processName(p), ns: processNamespace(p) }))
    .filter((e): e is { id: number; name: string; ns: string } => e.id !== undefined);

  if (typeof asked === 'number') {
    const hit = entries.filter((e) => e.id === asked);
    if (hit.length) return { asked, kind: 'id', ids: [asked] };
    throw notFound(asked, entries.map((e) => e.name));
  }

  const text = asked.trim();
  if (text === 'all') return { asked, kind: 'all', ids: entries.map((e) => e.id) };

  if (text.length > 2 && text.startsWith('/') && text.endsWith('/')) {
    const matches = await compileRegex(text.slice(1, -1));
    const ids = entries.filter((e) => matches(e.name)).map((e) => e.id);
    if (ids.length) return { asked, kind: 'regex', ids };
    throw notFound(asked, entries.map((e) => e.name));
  }

  // A name wins over a namespace, and an exact name over a numeric reading, because that is
  // what the name means to the person who gave it; a bare number is an id only when no process
  // carries it as its name.
  const byName = entries.filter((e) => e.name === text).map((e) => e.id);
  if (byName.length) return { asked, kind: 'name', ids: byName };
  if (/^\d+$/.test(text)) {
    const id = Number(text);
    if (entries.some((e) => e.id === id)) return { asked, kind: 'id', ids: [id] };
  }
  const byNamespace = entries.filter((e) => e.ns === text).map((e) => e.id);
  if (byNamespace.length) return { asked, kind: 'namespace', ids: byNamespace };
  throw notFound(asked, entries.map((e) => e.name));
}

/**
 * A client's regex runs on the linear-time engine grep and readyPattern use (re2js, see
 * src/pm2/line-pattern.ts): no pattern can backtrack for ever and stall every session this
 * server serves, and no V8 flag is changed for the whole process to get there.
 */
async function compileRegex(source: string): Promise<(name: string) => boolean> {
  if (source.length > MAX_REGEX_LENGTH) {
    throw new ToolError('INVALID_ARGUMENTS', `A /regex/ target may be at most ${MAX_REGEX_LENGTH} characters long.`);
  }
  return compileLinearRegex(source, false, (message) => new ToolError('INVALID_ARGUMENTS', `The target /${source}/ is not a valid regular expression for the linear-time engine (RE2 syntax: no back-references or look-around): ${message}`));
}

function notFound(asked: string | number, names: string[]): ToolError {
  const near = nearestNames(String(asked), names);
  const hint = near.length ? ` Nearest existing names: ${near.join(', ')}.` : names.length ? '' : ' No process is managed by pm2 right now.';
  return new ToolError('PROCESS_NOT_FOUND', `No process matches ${JSON.stringify(asked)}.${hint}`, { asked, nearest: near });
}

/** Up to three existing names closest to `asked` (edit distance, then shared prefix). */
export function nearestNames(asked: string, names: string[], max = 3): string[] {
  const unique = [...new Set(names.filter(Boolean))];
  const scored = unique.map((name) => ({ name, d: editDistance(asked.toLowerCase(), name.toLowerCase()) }));
  const limit = Math.max(2, Math.ceil(asked.length / 2));
  return scored
    .filter((s) => s.d <= limit || s.name.toLowerCase().includes(asked.toLowerCase()) || asked.toLowerCase().includes(s.name.toLowerCase()))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
