// Appends records to the chain of one log file, safe to share between processes (the lock), and
// rotated at maxBytes. Records handed over while a turn of the event loop runs are written
// together (group commit): one hold of the lock, one read of the chain's end, one write, and one
// fdatasync when any of them asks for it. Each record's promise settles only once its line is in
// the file (and on disk, when it asked for that), so "written before the action runs" holds per
// record; a batch that cannot be written whole is written again one record at a time, so each
// record succeeds or fails as it would have alone.
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { GENESIS, seal } from './chain.js';
import { lastLineSync, rotatedFilesSync } from './files.js';
import { LOCK_WAIT_MS, LockError, withFileLock } from '../file-lock.js';
import { statOrUndefined } from '../real-path.js';

export interface ChainWriterOptions {
  file: string;
  maxBytes: number;
  /** How long one record may wait for the log's lock, counted from when it is handed over (default LOCK_WAIT_MS). */
  lockWaitMs?: number;
  /** The lock around each write (tests count its holds); withFileLock by default. */
  lock?: typeof withFileLock;
}

export interface AppendOptions {
  /** On disk (fdatasync) before the promise resolves. */
  sync: boolean;
  /** An outcome: when it cannot be written it is kept, and written with the next batch or at flush. */
  keep: boolean;
}

/** The most records one hold of the lock writes (each is bounded, audit-log.ts); the rest go in the next. */
const MAX_BATCH = 128;

interface Settled {
  q: Queued;
  err?: unknown;
}

interface Queued {
  body: Record<string, unknown>;
  sync: boolean;
  keep: boolean;
  /** When its wait for the lock ends (epoch ms): one deadline from when it was handed over, however long it queued. */
  deadline: number;
  /** A kept record tried again: nobody waits for it, and when it fails it is kept again. */
  retry: boolean;
  settle: (err?: unknown) => void;
}

export class ChainWriter {
  private cache: { ino: number; size: number; hash: string } | undefined;
  private fd: number | undefined;
  private folderReady = false;
  private queued: Queued[] = [];
  /** Records that could not be written and must still be (outcomes: their action ran). */
  private kept: Array<{ body: Record<string, unknown>; sync: boolean }> = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly options: ChainWriterOptions) {}

  append(body: Record<string, unknown>, { sync, keep }: AppendOptions): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ body, sync, keep, deadline, retry: false, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      this.startDrain();
    });
  }

  /** Waits for every record already handed over, tries the kept ones once more, then closes the file. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.kept.length) {
      this.startDrain();
      while (this.draining) await this.draining;
    }
    this.closeLog();
  }

  /** Records still not written (for the server to name at exit). */
  get keptCount(): number {
    return this.kept.length;
  }

  private get waitMs(): number {
    return this.options.lockWaitMs ?? LOCK_WAIT_MS;
  }

  private startDrain(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Handed over between the drain's last look and now.
      if (this.queued.length) this.startDrain();
    });
  }

  /** Never rejects: every failure settles the records it concerns. */
  private async drain(): Promise<void> {
    // One turn of the event loop: the other calls read in this one hand over their records
    // meanwhile, and share the write. An outcome thus also waits for the reply it follows.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let first = true; this.queued.length > 0 || (first && this.kept.length > 0); first = false) {
      // Kept records first, as each append used to retry them before its own: each try has its own wait.
      const retries = this.kept.splice(0).map(({ body, sync }): Queued => ({ body, sync, keep: true, deadline: Date.now() + this.waitMs, retry: true, settle: () => undefined }));
      await this.write([...retries, ...this.queued.splice(0, MAX_BATCH)]);
    }
  }

  private async write(batch: Queued[]): Promise<void> {
    const lockDeadline = Math.min(...batch.map((q) => q.deadline));
    let settled: Settled[];
    try {
      if (!this.folderReady) await this.makeFolder();
      try {
        settled = await this.writeLocked(batch, lockDeadline);
      } catch (err) {
        // The folder was removed while serving (the lock cannot be made in it): made again, once.
        if (!(err instanceof LockError && err.code === 'ENOENT')) throw err;
        await this.makeFolder();
        settled = await this.writeLocked(batch, lockDeadline);
      }
    } catch (err) {
      // Nothing of the batch was written. The lock's wait ran out for the earliest deadline: a
      // record handed over later still has time of its own, and waits again.
      const timedOut = err instanceof LockError && Date.now() >= lockDeadline;
      const again = timedOut ? batch.filter((q) => !q.retry && q.deadline > Date.now()) : [];
      this.queued.unshift(...again);
      settled = batch.filter((q) => !again.includes(q)).map((q) => ({ q, err }));
    }
    // Settled once the lock is released: the calls they let go on run outside it.
    for (const { q, err } of settled) {
      if (err === undefined) q.settle();
      else {
        if (q.keep) this.kept.push({ body: q.body, sync: q.sync });
        q.settle(err);
      }
    }
  }

  /**
   * Inside the lock everything is a synchronous system call: no thread-pool round trip between
   * reading the chain's end and appending to it. The batch goes in as few writes as rotation
   * allows (a new file once one reaches maxBytes, as for records written one by one).
   */
  private async writeLocked(batch: Queued[], deadline: number): Promise<Settled[]> {
    const lock = this.options.lock ?? withFileLock;
    return lock(`${this.options.file}.lock`, () => {
      const settled: Settled[] = [];
      let rest = batch;
      while (rest.length > 0) {
        try {
          const written = this.appendRecords(rest);
          settled.push(...rest.slice(0, written).map((q) => ({ q })));
          rest = rest.slice(written);
        } catch (err) {
          if (rest.length === 1) {
            settled.push({ q: rest[0]!, err });
            break;
          }
          // Cut back to where the file was (appendWhole): each record is tried alone, and succeeds
          // or fails as it would have on its own (a full disk may still take the small ones).
          for (const q of rest) {
            try {
              this.appendRecords([q]);
              settled.push({ q });
            } catch (alone) {
              settled.push({ q, err: alone });
            }
          }
          break;
        }
      }
      return settled;
    }, { what: 'the audit log lock', deadline });
  }

  /** The open log and its state, rotated first when it has reached maxBytes. */
  private openForAppend(): { fd: number; info: Stats } {
    const opened = this.openLog();
    if (opened.info.size === 0 || opened.info.size < this.options.maxBytes) return opened;
    this.closeLog();
    this.rotate();
    return this.openLog();
  }

  /**
   * Seals the first of `entries` onto the chain's end and appends them in one write, all or
   * nothing: as many as go in before the file reaches maxBytes (the one that reaches it
   * included). Returns how many it wrote; the file is rotated before the next.
   */
  private appendRecords(entries: Queued[]): number {
    const { fd, info } = this.openForAppend();
    let hash = this.prevHash(info.ino, info.size);
    // After a torn write (a crash mid-append) the file ends mid-line: start on a line of our
    // own, so these records stay readable and verify reports the fragment.
    const torn = info.size > 0 && !this.cached(info) && !endsWithNewline(fd, info.size);
    let text = torn ? '\n' : '';
    let size = info.size + text.length;
    let count = 0;
    let sync = false;
    for (const q of entries) {
      const record = seal(q.body, hash);
      const line = `${JSON.stringify(record)}\n`;
      hash = record.hash;
      text += line;
      size += Buffer.byteLength(line);
      sync ||= q.sync;
      count++;
      if (size >= this.options.maxBytes) break;
    }
    const bytes = Buffer.from(text);
    appendWhole(fd, bytes, info.size, sync);
    this.cache = { ino: info.ino, size: info.size + bytes.length, hash };
    return count;
  }

  private cached(info: Stats): boolean {
    return this.cache !== undefined && this.cache.ino === info.ino && this.cache.size === info.size;
  }

  private async makeFolder(): Promise<void> {
    const folder = dirname(this.options.file);
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'a part of that path is a file' : (err.code ?? err.message);
      throw Object.assign(new Error(`cannot create the folder ${folder} for the audit log (${why})`), { code: err.code });
    });
    this.folderReady = true;
  }

  /** The log stays open between appends; reopened when another process rotated it away. */
  private openLog(): { fd: number; info: Stats } {
    const { file } = this.options;
    if (this.fd !== undefined) {
      const info = fstatSync(this.fd);
      if (statOrUndefined(file)?.ino === info.ino) return { fd: this.fd, info };
      this.closeLog();
    }
    // The lock lives in the same folder: while it is held, the folder exists (write makes it again).
    this.fd = openSync(file, 'a+', 0o600); // a+: appends, and reads the last byte after a torn write
    return { fd: this.fd, info: fstatSync(this.fd) };
  }

  private closeLog(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.fd = undefined;
  }

  /** The hash of the last record of the chain: remembered when this process wrote it last. */
  private prevHash(ino: number, size: number): string {
    if (this.cache && this.cache.ino === ino && this.cache.size === size) return this.cache.hash;
    if (size > 0) return hashOfLine(lastLineSync(this.options.file));
    const rotated = rotatedFilesSync(this.options.file);
    const newest = rotated[rotated.length - 1];
    return newest ? hashOfLine(lastLineSync(newest)) : GENESIS;
  }

  /** FILE becomes FILE.<n+1>; the chain goes on in a new FILE. */
  private rotate(): void {
    const rotated = rotatedFilesSync(this.options.file);
    const last = rotated[rotated.length - 1];
    const n = last ? Number(last.slice(last.lastIndexOf('.') + 1)) + 1 : 1;
    renameSync(this.options.file, `${this.options.file}.${n}`);
  }
}

/**
 * All or nothing: one write (with O_APPEND the lines land at the end of the file); when it fails
 * half way (ENOSPC, EIO) or cannot be synced, the file is cut back to where it was, so a full
 * disk never leaves a fragment that verify would have to call a torn write.
 */
function appendWhole(fd: number, bytes: Buffer, sizeBefore: number, sync: boolean): void {
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (sync) fdatasyncSync(fd);
  } catch (err) {
    try {
      ftruncateSync(fd, sizeBefore);
    } catch {
      // The cut failed too: the next append starts on a line of its own, verify names the fragment.
    }
    throw err;
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/** A line that is not a record still anchors the chain (verify reports it); it never stops the log. */
function hashOfLine(line: string | undefined): string {
  if (line === undefined) return GENESIS;
  try {
    const parsed = JSON.parse(line) as { hash?: unknown };
    if (typeof parsed.hash === 'string') return parsed.hash;
  } catch {
    // fall through
  }
  return createHash('sha256').update(line).digest('hex');
}
