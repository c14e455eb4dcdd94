// The calls a server is answering, across all its sessions, so that shutdown can wait for them
// and say what it gave up on. Every action that ran has an outcome record on every path: a call
// that finishes within the drain records its own; one still running when the drain ends is
// answered with an error and recorded as abandoned; one that had not run yet never runs.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Call {
  /** Resolves when shutdown gives up on this call. */
  readonly abandoned: Promise<void>;
  /** Shutdown has begun, or gave up on this call: it must not start its action. */
  readonly stopping: boolean;
  /** Its action runs: shutdown waits for it (bounded) instead of giving up on it at once. */
  readonly executing: boolean;
  begunExecuting(): void;
  /** Its answer is handed back to the client (its bookkeeping may go on). */
  answered(): void;
  /** It has records to write, from its decision (which may wait for the audit lock) until its outcome is queued: shutdown lets that finish. */
  recording(busy: boolean): void;
  end(): void;
}

/** What shutdown did with the calls in flight. */
export interface Drained {
  /** Still running their action when the wait ended: answered ABANDONED, recorded so. */
  abandoned: number;
  /** Not yet decided or run: answered SHUTTING_DOWN, never run. */
  notRun: number;
}

export class CallsInFlight {
  private readonly calls = new Set<{ abandon: () => void; executing: boolean; answered: boolean; recording: boolean }>();
  private closing = false;
  private counted: Drained = { abandoned: 0, notRun: 0 };

  begin(): Call {
    let abandon = () => undefined as void;
    const abandoned = new Promise<void>((resolve) => (abandon = resolve));
    const entry = { abandon, executing: false, answered: false, recording: false };
    this.calls.add(entry);
    // After shutdown began no call starts: one that arrives now is given up on at once.
    if (this.closing) {
      this.counted.notRun++;
      abandon();
    }
    const stopping = () => this.closing;
    return {
      abandoned,
      get stopping() {
        return stopping();
      },
      get executing() {
        return entry.executing;
      },
      begunExecuting: () => void (entry.executing = true),
      answered: () => void (entry.answered = true),
      recording: (busy) => void (entry.recording = busy),
      end: () => void this.calls.delete(entry),
    };
  }

  /**
   * Takes no new action; gives up at once on the calls not yet running (they never run); waits
   * for the running ones (at most `ms`), then gives up on those too, and gives their dispatch a
   * moment to record that (the audit flush writes it).
   */
  async drain(ms: number): Promise<void> {
    this.closing = true;
    for (const call of this.calls) {
      if (call.executing) continue;
      this.counted.notRun++;
      call.abandon();
    }
    const deadline = Date.now() + ms;
    const running = () => [...this.calls].filter((c) => c.executing).length;
    while (running() > 0 && Date.now() < deadline) await sleep(10);
    this.counted.abandoned += running();
    for (const call of this.calls) call.abandon();
    // Every call given up on answers at once: let those answers go out before the sessions close.
    const answering = Date.now() + 1_000;
    while ([...this.calls].some((c) => !c.answered) && Date.now() < answering) await sleep(5);
    await sleep(10);
  }

  /**
   * Waits (at most `ms`) until no call given up on is still writing records: one answered while
   * its decision waited for the audit lock still writes that decision and then its outcome, and
   * the log must not be flushed and closed before it did. A call still resolving its targets is
   * not waited for: it has written nothing, and it will not run.
   */
  async settled(ms: number): Promise<Drained> {
    const deadline = Date.now() + ms;
    while ([...this.calls].some((c) => c.recording || c.executing) && Date.now() < deadline) await sleep(5);
    return { ...this.counted };
  }
}
