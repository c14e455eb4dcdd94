// Real paths as the gate needs them, synchronous on purpose: a realpath is a few µs as one system
// call (realpathSync.native), ~0.1 ms as a thread-pool round trip, and one lstat per path part in
// node's JavaScript realpathSync; a start makes several (bench/gate.ts).
import { realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The real path of what `path` names, or undefined when it does not exist (or cannot be read). */
export function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** The path with its folder's real path, for a file that may not exist yet; as given without one. */
export function withRealFolder(path: string): string {
  const folder = realOrUndefined(dirname(path));
  return folder === undefined ? path : join(folder, basename(path));
}

/** What `path` names (links followed), or undefined when nothing is there. */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
