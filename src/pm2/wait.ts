// Runs an action (start, restart, reload) and waits, driven by pm2's event bus, until its
// instances are online and stable, or ready, or exited, or time is up: whichever comes first ends
// the wait at once. Every wait is bounded by its timeoutMs; nothing here keeps the process alive.
import { ToolError } from '../errors.js';
import type { WaitRequest } from '../model/requests.js';
import type { Pm2Adapter } from './adapter.js';
import { toBusEvent, type BusEvent } from './bus.js';
import { WaitMachine, type InstanceOutcome, type Phase, type WaitPlan } from './wait-machine.js';
import { compileReadyPattern } from './wait-pattern.js';
import { portAccepts } from './wait-port.js';

/** The most output lines an outcome quotes per instance. */
export const LAST_LINES = 20;
/** How often a readyPort is tried once an instance is online: half of it is the added latency. */
const PORT_PROBE_MS = 15;

export interface WaitHooks {
  /** Told each change of an instance ("api (pm_id 0): online"), when the client asked for progress. */
  progress?: ((message: string) => void) | undefined;
  /** The client cancelled: the wait ends (what was done stays done). */
  signal?: AbortSignal | undefined;
}

export interface WaitOutcome {
  /** What the action returned: the pm_ids it started. */
  ids: number[];
  outcomes: InstanceOutcome[];
  elapsedMs: number;
  /** The client cancelled the request: the wait ended early (what was done stays done). */
  cancelled: boolean;
  /**
   * The deadline came before the restart or reload was done: pm2 was still at `inFlight` (it
   * goes on with them), and `notAsked` were never asked (they are left alone).
   */
  pending?: { inFlight: number[]; notAsked: number[] };
}

/**
 * What a restart or reload has done so far: its pm_ids go to pm2 one after another, each once the
 * action lock is held. Read when the wait ends first; `answered` then tells the action to stop.
 */
export class ActionProgress {
  readonly asked = new Set<number>();
  readonly done = new Set<number>();
  answered = false;
}

/** A lock wait bounded by the deadline fails just after it: that failure is the answer, not "pending". */
const LOCK_GRACE_MS = 250;

/**
 * Subscribes to the bus, then runs `action` (which returns the pm_ids it acted on), then waits.
 * `who`: the pm_ids of a restart or reload, or the names of the apps a start creates.
 */
export async function runAndWait(pm2: Pm2Adapter, wait: WaitRequest & { until: 'online' | 'ready' }, who: { ids: readonly number[]; progress: ActionProgress } | { names: readonly string[] }, action: () => Promise<number[]>, hooks: WaitHooks = {}): Promise<WaitOutcome> {
  const matches = wait.ready?.kind === 'pattern' ? await compileReadyPattern(wait.ready.pattern) : undefined;
  const port = wait.until === 'ready' && wait.ready?.kind === 'port' ? wait.ready.port : undefined;

  const queued: Array<BusEvent | 'lost'> = [];
  let feed: (input: BusEvent | 'lost') => void = (input) => void queued.push(input);
  const unsubscribe = await pm2.subscribe(
    (event) => feed(event),
    () => feed('lost'),
  );
  try {
    // A start creates its app: a port that accepts before it belongs to another process, and
    // would say "ready" of an app that never listened. Nothing is started.
    if (port !== undefined && 'names' in who && (await portAccepts(port))) {
      throw new ToolError('PORT_IN_USE', `Nothing was started: port ${port} already accepts connections on the loopback, so it cannot tell when ${who.names.join(', ')} is ready. Another process listens on it: free the port, give the app another one, or wait with readyPattern or readyMessage.`, { port });
    }
    const startedAt = Date.now();
    const plan: WaitPlan = {
      until: wait.until,
      ready: wait.until === 'ready' ? wait.ready?.kind : undefined,
      ...('ids' in who ? { ids: new Set(who.ids) } : { names: new Set(who.names) }),
      startedAt,
      deadline: startedAt + wait.timeoutMs,
      matches,
      lastLines: LAST_LINES,
    };
    const machine = new WaitMachine(plan);
    const reporter = progressReporter(hooks.progress);
    let wake: () => void = () => undefined;
    feed = (input) => {
      machine.feed(input === 'lost' ? { kind: 'lost', at: Date.now() } : input);
      reporter(machine.phases());
      wake();
    };
    for (const input of queued.splice(0)) feed(input);

    // A restart or reload waits for pm2 to stop the old run, which takes up to its kill_timeout
    // for an app that ignores SIGINT (one instance after another for a cluster reload): the
    // deadline bounds that too. A start's pm_ids come only with pm2's answer.
    const acting = action();
    let ids: number[];
    if ('ids' in who) {
      const acted = await beforeDeadline(acting, plan.deadline + LOCK_GRACE_MS);
      if (acted === undefined) {
        // pm2 goes on with what it was asked; what it answers then is no longer this call's answer.
        acting.catch(() => undefined);
        const { progress } = who;
        progress.answered = true;
        const inFlight = who.ids.filter((id) => progress.asked.has(id) && !progress.done.has(id));
        const notAsked = who.ids.filter((id) => !progress.asked.has(id));
        machine.feed({ kind: 'tick', at: Math.max(Date.now(), plan.deadline) });
        reporter(machine.phases());
        return { ids: [...who.ids], outcomes: machine.outcomes(), elapsedMs: Date.now() - startedAt, cancelled: false, pending: { inFlight, notAsked } };
      }
      ids = acted;
    } else {
      ids = await acting;
      machine.expect(ids);
    }
    // One read of the list, in case the bus missed what happened during the action (a bus just
    // opened may not be subscribed yet when the daemon speaks): what is online now, since when.
    for (const proc of await pm2.list().catch(() => [])) {
      const seen = proc.pm2_env?.status === 'online' ? toBusEvent('process:event', { event: 'online', process: proc.pm2_env }) : undefined;
      if (seen) feed(seen);
    }
    await until(machine, port, hooks.signal, (w) => (wake = w));
    reporter(machine.phases());
    return { ids, outcomes: machine.outcomes(), elapsedMs: Date.now() - startedAt, cancelled: hooks.signal?.aborted === true && !machine.done() };
  } finally {
    unsubscribe();
  }
}

/** The action's answer, or undefined when the deadline comes first (its failure is still thrown). */
function beforeDeadline<T>(acting: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  return Promise.race([acting, late]).finally(() => clearTimeout(timer));
}

/** Resolves once the machine is done: ticks at its next deadline, probes the port while it matters. */
function until(machine: WaitMachine, port: number | undefined, signal: AbortSignal | undefined, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let probing = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const probe = () => {
      if (finished || probing || port === undefined || !machine.awaitingPort()) return;
      probing = true;
      void portAccepts(port).then((open) => {
        probing = false;
        if (finished) return;
        if (open) machine.feed({ kind: 'port-open', at: Date.now() });
        check();
      });
    };
    const check = () => {
      if (finished) return;
      machine.feed({ kind: 'tick', at: Date.now() });
      if (machine.done()) return finish();
      clearTimeout(timer);
      const next = machine.nextDeadline();
      const delay = Math.max(0, next - Date.now());
      timer = setTimeout(check, machine.awaitingPort() ? Math.min(delay, PORT_PROBE_MS) : delay);
      timer.unref();
      probe();
    };
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', finish, { once: true });
    onWake(check);
    check();
  });
}

const PHASE_WORDS: Partial<Record<Phase, string>> = {
  launching: 'launching',
  online: 'online',
  stable: 'online and stable',
  'said-ready': 'said it is ready; waiting for its min_uptime',
  ready: 'ready',
  draining: 'exited',
  timeout: 'timed out',
  lost: 'lost track (the daemon went away)',
};

/** Sends one progress message per change of an instance's phase. */
function progressReporter(progress: WaitHooks['progress']): (phases: ReturnType<WaitMachine['phases']>) => void {
  const said = new Map<number, string>();
  return (phases) => {
    if (!progress) return;
    for (const p of phases) {
      const words = PHASE_WORDS[p.phase];
      if (words === undefined || said.get(p.pmId) === words) continue;
      said.set(p.pmId, words);
      progress(`${p.name} (pm_id ${p.pmId}): ${words}`);
    }
  };
}
