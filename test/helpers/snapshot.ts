// Committed snapshots: what a test produced must equal the file under test/snapshots/, so a change
// of the public surface shows in review. UPDATE_SNAPSHOTS=1 writes them; nothing else does. A
// snapshot that is missing fails, in CI too: a test that wrote its own expectation would pass
// whatever the code did.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const SNAPSHOTS = join(ROOT, 'test', 'snapshots');

const updating = (): boolean => process.env.UPDATE_SNAPSHOTS === '1';

/** `actual` equals the snapshot `file` (a path under test/snapshots/); `what` names it in a failure. */
export function assertSnapshot(file: string, actual: string, what: string): void {
  if (updating()) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  const shown = relative(ROOT, file);
  assert.ok(existsSync(file), `${what}: ${shown} does not exist. Review the output, then write it with UPDATE_SNAPSHOTS=1 npm test`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${what} changed (${shown}): review it, then run UPDATE_SNAPSHOTS=1 npm test`);
}

/**
 * The folder `dir` holds exactly the snapshots `names` (file names): one left by a tool that no
 * longer exists fails, and is removed under UPDATE_SNAPSHOTS=1.
 */
export function assertSnapshotFolder(dir: string, names: readonly string[], what: string): void {
  const wanted = new Set(names);
  const stale = existsSync(dir) ? readdirSync(dir).filter((f) => !wanted.has(f)) : [];
  if (updating()) for (const f of stale.splice(0)) rmSync(join(dir, f));
  assert.deepEqual(stale, [], `${what}: ${relative(ROOT, dir)} holds snapshots of nothing the test produced; remove them with UPDATE_SNAPSHOTS=1 npm test`);
}
