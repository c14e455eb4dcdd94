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
  end(): void;
}

export class CallsInFlight {
  private readonly calls = new Set<{ abandon: () => void }>();
  private closing = false;
  private gaveUp = false;

  begin(): Call {
    let abandon = () => undefined as void;
    const abandoned = new Promise<void>((resolve) => (abandon = resolve));
    const entry = { abandon };
    this.calls.add(entry);
    if (this.gaveUp) abandon();
    const stopping = () => this.closing;
    return {
      abandoned,
      get stopping() {
        return stopping();
      },
      end: () => void this.calls.delete(entry),
    };
  }

  get size(): number {
    return this.calls.size;
  }

  /**
   * Takes no new action, waits for the calls in flight (at most `ms`), then abandons the rest and
   * gives their dispatch a moment to record that. Resolves with how many were abandoned.
   */
  async drain(ms: number): Promise<number> {
    this.closing = true;
    const deadline = Date.now() + ms;
    while (this.calls.size > 0 && Date.now() < deadline) await sleep(10);
    const left = this.calls.size;
    if (left === 0) return 0;
    this.gaveUp = true;
    for (const call of this.calls) call.abandon();
    // Each abandoned dispatch queues its outcome record and returns; the audit flush writes it.
    const settle = Date.now() + 1_000;
    while (this.calls.size > 0 && Date.now() < settle) await sleep(5);
    return left;
  }
}
