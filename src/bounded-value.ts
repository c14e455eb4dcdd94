// Bounds on a value a client sent (tool arguments, a resource's parameters), checked without
// recursion before anything walks it recursively: redaction, canonical JSON and hashing for the
// audit log, zod's parse. An object nested 100 000 deep would overflow the stack of each.

/** Deeper than any tool's arguments (a start's env is 2 levels). */
export const MAX_DEPTH = 32;
/** Objects, arrays and values in all: a start of 100 env variables and 100 arguments is ~250. */
export const MAX_NODES = 20_000;
/** Characters of every string and key together: each argument is bounded far lower by its tool. */
export const MAX_CHARS = 4 * 1024 * 1024;

/** Why the value is too deep or too large to handle, or undefined when it is within the bounds. */
export function valueBoundsProblem(value: unknown): string | undefined {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  let nodes = 0;
  let chars = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (++nodes > MAX_NODES) return `more than ${MAX_NODES} values in all`;
    if (typeof v === 'string') chars += v.length;
    else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        // JSON.parse makes "__proto__" an own key; copying it by assignment sets a prototype and
        // drops it from what is checked and recorded. No argument of any tool has that name.
        if (k === '__proto__') return 'a key named "__proto__"';
        chars += k.length;
        // Counted as they are queued: a list of a million values stops here, not after.
        if (nodes + stack.length >= MAX_NODES) return `more than ${MAX_NODES} values in all`;
        stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
      }
    }
    if (chars > MAX_CHARS) return `more than ${MAX_CHARS} characters in all`;
  }
  return undefined;
}

/** What an audit record keeps of a value out of bounds: why, and its first keys, never the value. */
export function outOfBoundsSummary(value: unknown, problem: string): { out_of_bounds: string; keys: string[] } {
  const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).slice(0, 10).map((k) => k.slice(0, 128)) : [];
  return { out_of_bounds: problem, keys };
}
