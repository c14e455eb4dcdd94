// Following a log file across what happens to it between two tails: appends, a flush, a
// pm2_reload_logs after a rename, a rotation by pm2-logrotate.
//
// What each does to the file, and so what a cursor's position (an identity and an offset) meets:
// - appends: the same file, longer. Read on from the offset.
// - pm2 flush: the same file emptied (pm2 opens it with "w"). Its size is below the offset, or it
//   was written past the offset again and the digest of the bytes before the offset differs.
//   What was written between the cursor and the flush is gone: the reply says so.
// - pm2-logrotate copies the file to <name>__<date>.log, then truncates it (copytruncate: same
//   inode; its `compress` option writes <name>__<date>.log.gz instead, which we cannot read). The
//   copy holds the offset's bytes: read on in the copy, then the emptied file from its start.
// - a rename (logrotate's default, or an operator's mv) then pm2_reload_logs: pm2 reopens the
//   path by name and a new file is there. The old inode, under its new name next to the file,
//   holds the rest: read on in it, then the new file from its start.
// The server looks for those copies itself, next to the log file, by the names rotators give
// (`name__*`, `name.log.*`, `name.log-*`), only among files changed since the cursor was made;
// the cursor's identity picks one, never its path. The copies it found are files of the request,
// so the policy decides over them as over the log file (docs/threat-model.md §T15).
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogFileRef } from '../model/requests.js';
import { kindOf } from './log-path.js';
import { openForward, type ForwardFile, type ForwardLine, type ForwardOptions } from './tail-forward.js';
import type { FilePosition } from './tail-cursor.js';

/** Names looked at next to a log file, at most (a folder of many rotations costs no more). */
const MAX_CANDIDATES = 64;
/** mtime granularity and clock skew: a copy changed this long before the cursor may still matter. */
const SLACK_MS = 2000;

/**
 * The rotated copies next to `path` that may hold lines after `position`: the file with the
 * position's identity (renamed away), and the newest other copy at least as long as the offset
 * (copied then truncated, and changed since the cursor was made). At most two.
 */
export async function rotatedCandidates(path: string, stream: LogFileRef['stream'], position: FilePosition, madeAt: number): Promise<LogFileRef[]> {
  const folder = dirname(path);
  const base = basename(path);
  const stem = base.endsWith('.log') ? base.slice(0, -4) : base;
  const names = await readdir(folder).catch(() => [] as string[]);
  const matching = names.filter((n) => n !== base && !n.endsWith('.gz') && (n.startsWith(`${stem}__`) || n.startsWith(`${base}.`) || n.startsWith(`${base}-`))).slice(0, MAX_CANDIDATES);
  let renamed: LogFileRef | undefined;
  let copy: { ref: LogFileRef; mtime: number } | undefined;
  for (const name of matching) {
    const full = join(folder, name);
    const info = await lstat(full).catch(() => undefined);
    if (!info || kindOf(info) !== 'regular file') continue;
    const ref: LogFileRef = { stream, path: full, dev: info.dev, ino: info.ino };
    // The position's own file, whenever it was written (a copy the last tail stopped inside).
    if (info.ino === position.ino && info.dev === position.dev) renamed = ref;
    else if (info.mtimeMs >= madeAt - SLACK_MS && info.size >= position.offset && (!copy || info.mtimeMs > copy.mtime)) copy = { ref, mtime: info.mtimeMs };
  }
  return [renamed, copy?.ref].filter((r): r is LogFileRef => r !== undefined);
}

export interface FollowLine extends ForwardLine {
  segment: number;
}

export interface Followed {
  lines: FollowLine[];
  cutLines: number;
  /** Why lines written since the cursor may be missing from this reply, or undefined. */
  lost?: string;
  /** The rotated copy read before the file itself, when the position was in one. */
  rotated?: string;
  /** Bytes written after the last line returned and not read yet. */
  waiting: number;
  bytesRead: number;
  /** Where a cursor continues after the first `count` lines here (all of them by default). */
  positionAfter(count?: number): Promise<FilePosition>;
  close(): Promise<void>;
}

export type FollowOutcome = { followed: Followed } | { missing: true } | { refused: string };

/** Reads on from `position` in `main` (or in the rotated copy holding it), at most options.lines lines. */
export async function followFile(main: LogFileRef, candidates: readonly LogFileRef[], position: FilePosition, options: ForwardOptions): Promise<FollowOutcome> {
  const opened = await openForward(main);
  if (!('file' in opened)) return opened;
  const file = opened.file;
  const open: ForwardFile[] = [file];
  const closeAll = async () => {
    for (const f of open) await f.close();
  };
  try {
    const same = file.identity.ino === position.ino && file.identity.dev === position.dev;
    let first: { file: ForwardFile; from: FilePosition } | undefined;
    let lost: string | undefined;
    let rotated: string | undefined;
    const discontinuity = same ? await file.discontinuity(position) : 'replaced';
    if (discontinuity === undefined) {
      first = { file, from: position };
    } else {
      for (const ref of candidates) {
        if (same ? ref.ino === file.identity.ino : ref.ino !== position.ino) continue;
        const copy = await openForward(ref);
        if (!('file' in copy)) continue;
        open.push(copy.file);
        const fits = (same || (copy.file.identity.ino === position.ino && copy.file.identity.dev === position.dev)) && (await copy.file.discontinuity(position)) === undefined;
        if (fits) {
          first = { file: copy.file, from: { ...position, dev: copy.file.identity.dev, ino: copy.file.identity.ino } };
          rotated = ref.path;
          break;
        }
      }
      if (!first) lost = lostReason(discontinuity);
    }
    const segments: Array<{ file: ForwardFile; from: FilePosition }> = [];
    if (first) segments.push(first);
    if (!first || first.file !== file) segments.push({ file, from: await file.positionAt(0) });

    const lines: FollowLine[] = [];
    let cutLines = 0;
    let bytesRead = 0;
    let waiting = 0;
    let last: { file: ForwardFile; next: FilePosition } | undefined;
    for (const [index, segment] of segments.entries()) {
      if (last && (waiting > 0 || lines.length >= options.lines)) {
        waiting += segment.file.size; // not reached this time: all of it waits
        continue;
      }
      const read = await segment.file.read(segment.from, { ...options, lines: options.lines - lines.length });
      for (const line of read.lines) lines.push({ ...line, segment: index });
      cutLines += read.cutLines;
      bytesRead += read.bytesRead;
      waiting += read.waiting;
      last = { file: segment.file, next: read.next };
    }
    const followed: Followed = {
      lines,
      cutLines,
      waiting,
      bytesRead,
      ...(lost ? { lost } : {}),
      ...(rotated ? { rotated } : {}),
      positionAfter: async (count = lines.length) => {
        if (count >= lines.length) return last!.next;
        if (count === 0) return segments[0]!.from;
        const line = lines[count - 1]!;
        return segments[line.segment]!.file.positionAt(line.end, line.midLine);
      },
      close: closeAll,
    };
    return { followed };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function lostReason(discontinuity: 'shorter' | 'rewritten' | 'replaced'): string {
  switch (discontinuity) {
    case 'shorter':
      return 'it was emptied since the cursor (a flush, or a rotation whose copy was not found next to it): lines written between the cursor and then are not in this reply';
    case 'rewritten':
      return 'it was emptied and written again since the cursor (a flush, or a rotation whose copy was not found next to it): lines written between the cursor and then are not in this reply';
    case 'replaced':
      return 'it was replaced by a new file since the cursor, and the old one is not next to it any more (moved, compressed or deleted): its lines after the cursor are not in this reply';
  }
}
