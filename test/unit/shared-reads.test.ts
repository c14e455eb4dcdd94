// Shared reads (src/pm2/shared-reads.ts): when a read may take another's pm2 call, and every way
// the window ends: a change through the adapter, a process event on the bus, a lost bus, a failed
// list. A scripted pm2 answers each list only when the test says, on a clock the test moves.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { BusEvent, BusListener } from '../../src/pm2/bus.js';
import { readProcesses, shareReads, type ListReading, type SharedReads } from '../../src/pm2/shared-reads.js';
import type { Pm2RawProcess } from '../../src/pm2/types.js';
import { FakePm2, rawProcesses } from '../helpers/fake-pm2.js';

const HOME = mkdtempSync(join(tmpdir(), 'pm2mcp-shared-'));
after(() => rmSync(HOME, { recursive: true, force: true }));

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A pm2 whose lists answer when told (`answer`), whose bus the test speaks on, and whose stop can hang. */
class ScriptedPm2 extends FakePm2 {
  /** One per getMonitorData call, oldest first. */
  readonly lists: Array<Deferred<Pm2RawProcess[]>> = [];
  readonly subscribers = new Set<{ onEvent: BusListener; onLost: () => void }>();
  subscriptions = 0;
  subscribeFails = false;
  /** When set, the next stop waits for it. */
  stopGate: Deferred<void> | undefined;
  version = 0;

  constructor() {
    super(HOME, rawProcesses(HOME, 3));
  }

  override list = (): Promise<Pm2RawProcess[]> => {
    const d = deferred<Pm2RawProcess[]>();
    this.lists.push(d);
    return d.promise;
  };

  // FakePm2's subscribe takes no onLost (its bus is never lost): this one's is.
  override subscribe = async (onEvent: BusListener, onLost: () => void = () => undefined): Promise<() => void> => {
    this.subscriptions++;
    if (this.subscribeFails) throw new Error('no bus');
    const entry = { onEvent, onLost };
    this.subscribers.add(entry);
    return () => void this.subscribers.delete(entry);
  };

  override stop = async (_id: number): Promise<void> => {
    const gate = this.stopGate;
    this.stopGate = undefined;
    await gate?.promise;
  };

  /** Answers the call `index` (default: the last one) with a list tagged by a fresh version. */
  answer(index = this.lists.length - 1): number {
    const version = ++this.version;
    this.lists[index]!.resolve([{ name: `v${version}`, pm_id: version }]);
    return version;
  }

  emit(event: BusEvent): void {
    for (const s of [...this.subscribers]) s.onEvent(event);
  }

  loseBus(): void {
    const all = [...this.subscribers];
    this.subscribers.clear();
    for (const s of all) s.onLost();
  }
}

const processEvent = (event: string): BusEvent => ({ kind: 'process', event, pmId: 0, name: 'api', status: 'stopped', launchedAt: undefined, restarts: 0, exitCode: 0, minUptimeMs: 1000, autorestart: true, at: 0 });
const logEvent: BusEvent = { kind: 'log', stream: 'out', pmId: 0, name: 'api', data: 'hello\n', at: 0 };

const versionOf = (r: ListReading) => Number(r.processes[0]!.name!.slice(1));

interface Rig {
  pm2: ScriptedPm2;
  shared: SharedReads;
  clock: { t: number };
}

/** A shared adapter whose bus is open and whose last answer (version 1, sent at t=0) is in the window. */
async function warmed(maxAgeMs = 250): Promise<Rig> {
  const rig = cold(maxAgeMs);
  const first = rig.shared.read();
  rig.pm2.answer();
  await first;
  await settle();
  assert.equal(rig.shared.sharing, maxAgeMs > 0, 'the bus opened after the first list');
  // The bus opened after that list was sent: it is not shared. One more, listened to throughout.
  const second = rig.shared.read();
  rig.pm2.answer();
  await second;
  return rig;
}

function cold(maxAgeMs = 250, busRetryMs = 1_000): Rig {
  const pm2 = new ScriptedPm2();
  const clock = { t: 0 };
  return { pm2, clock, shared: shareReads(pm2, { maxAgeMs, now: () => clock.t, busRetryMs }) };
}

describe('shared reads: when a read takes another\'s pm2 call', () => {
  test('concurrent reads join the list in flight: one pm2 call, and the joiner says how old its data is', async () => {
    const { pm2, shared, clock } = await warmed();
    const calls = pm2.lists.length;
    clock.t = 1_000;
    const a = shared.read();
    clock.t = 1_010;
    const b = shared.read();
    assert.equal(pm2.lists.length, calls + 1, 'the second read sent no call of its own');
    clock.t = 1_030;
    const v = pm2.answer();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(versionOf(ra), v);
    assert.equal(versionOf(rb), v);
    assert.equal(ra.ageMs, undefined, 'the read that asked pm2 is fresh');
    assert.equal(rb.ageMs, 30, 'from the call it joined, sent at 1000, to its answer at 1030');
  });

  const windowCases: Array<{ name: string; maxAgeMs: number; askAt: number; shared: boolean }> = [
    { name: 'inside the window', maxAgeMs: 250, askAt: 100, shared: true },
    { name: 'at its very edge', maxAgeMs: 250, askAt: 250, shared: true },
    { name: 'past it', maxAgeMs: 250, askAt: 251, shared: false },
    { name: 'a longer window', maxAgeMs: 5_000, askAt: 4_000, shared: true },
  ];
  for (const c of windowCases) {
    test(`an answered list serves the next read ${c.name} (maxAgeMs ${c.maxAgeMs}, asked ${c.askAt} ms after it was sent)`, async () => {
      const { pm2, shared, clock } = await warmed(c.maxAgeMs);
      const calls = pm2.lists.length;
      clock.t = c.askAt;
      const reading = shared.read();
      if (c.shared) {
        assert.equal(pm2.lists.length, calls);
        const r = await reading;
        assert.equal(versionOf(r), 2);
        assert.equal(r.ageMs, c.askAt);
      } else {
        assert.equal(pm2.lists.length, calls + 1);
        pm2.answer();
        assert.equal((await reading).ageMs, undefined);
      }
    });
  }

  test('maxAgeMs 0: every read asks pm2, concurrent ones too, and no bus is opened for it', async () => {
    const { pm2, shared } = cold(0);
    const a = shared.read();
    const b = shared.read();
    assert.equal(pm2.lists.length, 2);
    pm2.answer(0);
    pm2.answer(1);
    for (const r of await Promise.all([a, b])) assert.equal(r.ageMs, undefined);
    await settle();
    assert.equal(pm2.subscriptions, 0);
    assert.equal(shared.sharing, false);
  });

  test('before the bus listens, nothing is shared: the first reads each ask pm2', async () => {
    const { pm2, shared } = cold();
    const a = shared.read();
    const b = shared.read();
    assert.equal(pm2.lists.length, 2);
    pm2.answer(0);
    pm2.answer(1);
    await Promise.all([a, b]);
    await settle();
    assert.equal(pm2.subscriptions, 1, 'one subscription, opened after a list succeeded');
    // The answers came before the bus listened: not served to the next read.
    const c = shared.read();
    assert.equal(pm2.lists.length, 3);
    pm2.answer();
    await c;
  });

  test('each reader gets its own array', async () => {
    const { shared } = await warmed();
    const a = await shared.read();
    const b = await shared.read();
    assert.notEqual(a.processes, b.processes);
    a.processes.length = 0;
    assert.equal(b.processes.length, 1);
  });

  test('a plain adapter\'s list is always fresh', async () => {
    const r = await readProcesses(new FakePm2(HOME, rawProcesses(HOME, 2)));
    assert.equal(r.processes.length, 2);
    assert.equal(r.ageMs, undefined);
  });

  test('maxAgeMs must be a number of 0 or more', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => shareReads(new ScriptedPm2(), { maxAgeMs: bad }), RangeError);
  });
});

describe('shared reads: what ends the window', () => {
  const changes: Array<[string, (s: SharedReads) => Promise<unknown>]> = [
    ['start', (s) => s.start({ name: 'api' } as never)],
    ['restart', (s) => s.restart(0, {})],
    ['reload', (s) => s.reload(0, {})],
    ['stop', (s) => s.stop(0)],
    ['delete', (s) => s.delete(0)],
    ['reloadLogs', (s) => s.reloadLogs()],
    ['dump', (s) => s.dump()],
    ['killDaemon', (s) => s.killDaemon()],
  ];
  for (const [name, change] of changes) {
    test(`${name} through the adapter: the next read asks pm2`, async () => {
      const { pm2, shared, clock } = await warmed();
      await change(shared);
      clock.t = 10;
      const calls = pm2.lists.length;
      const reading = shared.read();
      assert.equal(pm2.lists.length, calls + 1);
      const v = pm2.answer();
      const r = await reading;
      assert.equal(versionOf(r), v);
      assert.equal(r.ageMs, undefined);
    });
  }

  test('a change that fails ends it too (pm2 may have done part of it)', async () => {
    const { pm2, shared } = await warmed();
    const gate = (pm2.stopGate = deferred());
    const stopping = shared.stop(0);
    gate.reject(new Error('pm2 said no'));
    await assert.rejects(stopping, /pm2 said no/);
    const calls = pm2.lists.length;
    void shared.read();
    assert.equal(pm2.lists.length, calls + 1);
    pm2.answer();
  });

  test('a list sent before a change is not joined by a read asked after the change ended', async () => {
    const { pm2, shared, clock } = await warmed();
    clock.t = 300;
    const before = shared.read();
    const beforeIndex = pm2.lists.length - 1;
    await shared.restart(0, {});
    clock.t = 310;
    const afterChange = shared.read();
    assert.equal(pm2.lists.length, beforeIndex + 2, 'the read after the change sent its own call');
    const vAfter = pm2.answer(beforeIndex + 1);
    const vBefore = pm2.answer(beforeIndex);
    assert.equal(versionOf(await afterChange), vAfter);
    assert.equal(versionOf(await before), vBefore);
    // And the older answer, which came last, does not become the one the window serves.
    clock.t = 320;
    const r = await shared.read();
    assert.equal(versionOf(r), vAfter);
    assert.equal(r.ageMs, 10);
  });

  test('a list sent before a change began is not joined by a read asked while it runs', async () => {
    const { pm2, shared, clock } = await warmed();
    clock.t = 300;
    const before = shared.read();
    const gate = (pm2.stopGate = deferred());
    const stopping = shared.stop(0);
    clock.t = 310;
    const calls = pm2.lists.length;
    const during = shared.read();
    assert.equal(pm2.lists.length, calls + 1);
    pm2.answer(calls - 1);
    pm2.answer(calls);
    gate.resolve();
    await Promise.all([before, during, stopping]);
  });

  test('a list sent while a change runs serves no read asked after the change ended', async () => {
    const { pm2, shared, clock } = await warmed();
    const gate = (pm2.stopGate = deferred());
    const stopping = shared.stop(0);
    clock.t = 50;
    const during = shared.read();
    pm2.answer();
    await during;
    gate.resolve();
    await stopping;
    clock.t = 60;
    const calls = pm2.lists.length;
    void shared.read();
    assert.equal(pm2.lists.length, calls + 1);
    pm2.answer();
  });

  test('a process event on the bus (a `pm2 restart` from a shell) ends it, also for a list in flight', async () => {
    const { pm2, shared, clock } = await warmed();
    pm2.emit(processEvent('exit'));
    clock.t = 10;
    const calls = pm2.lists.length;
    const first = shared.read();
    assert.equal(pm2.lists.length, calls + 1, 'the answer from before the event is not served');
    pm2.emit(processEvent('online'));
    clock.t = 20;
    void shared.read();
    assert.equal(pm2.lists.length, calls + 2, 'the list in flight when the event came is not joined');
    pm2.answer(calls);
    pm2.answer(calls + 1);
    await first;
  });

  test('output lines on the bus do not end it', async () => {
    const { pm2, shared, clock } = await warmed();
    pm2.emit(logEvent);
    clock.t = 10;
    const calls = pm2.lists.length;
    const r = await shared.read();
    assert.equal(pm2.lists.length, calls);
    assert.equal(r.ageMs, 10);
  });

  test('a lost bus turns sharing off until it listens again', async () => {
    const { pm2, shared, clock } = await warmed();
    pm2.loseBus();
    assert.equal(shared.sharing, false);
    clock.t = 10;
    const calls = pm2.lists.length;
    const a = shared.read();
    const b = shared.read();
    assert.equal(pm2.lists.length, calls + 2, 'no bus: concurrent reads are not joined either');
    pm2.answer(calls);
    pm2.answer(calls + 1);
    await Promise.all([a, b]);
    await settle();
    assert.equal(pm2.subscriptions, 2, 'subscribed again after a list succeeded');
    assert.equal(shared.sharing, true);
    // Sampled before the new bus listened: not served.
    void shared.read();
    assert.equal(pm2.lists.length, calls + 3);
    pm2.answer();
  });

  test('a bus lost before its subscription is handed back never counts as listening', async () => {
    const { pm2, shared } = cold();
    // The bus closes at once: onLost before subscribe resolves.
    pm2.subscribe = async (_onEvent, onLost) => {
      pm2.subscriptions++;
      onLost?.();
      return () => undefined;
    };
    const first = shared.read();
    pm2.answer();
    await first;
    await settle();
    assert.equal(shared.sharing, false);
  });

  test('a failed subscription is tried again only after busRetryMs, and sharing stays off meanwhile', async () => {
    const { pm2, shared, clock } = cold(250, 1_000);
    pm2.subscribeFails = true;
    const read = async () => {
      const r = shared.read();
      pm2.answer();
      await r;
      await settle();
    };
    await read();
    assert.equal(pm2.subscriptions, 1);
    assert.equal(shared.sharing, false);
    clock.t = 500;
    await read();
    assert.equal(pm2.subscriptions, 1, 'not tried again within a second');
    pm2.subscribeFails = false;
    clock.t = 1_001;
    await read();
    assert.equal(pm2.subscriptions, 2);
    assert.equal(shared.sharing, true);
  });

  test('a list that failed is not cached: its joiners share the error, the next read asks again', async () => {
    const { pm2, shared, clock } = await warmed();
    clock.t = 300;
    const a = shared.read();
    const b = shared.read();
    const calls = pm2.lists.length;
    pm2.lists[calls - 1]!.reject(new Error('daemon hiccup'));
    await assert.rejects(a, /daemon hiccup/);
    await assert.rejects(b, /daemon hiccup/);
    clock.t = 310;
    const c = shared.read();
    assert.equal(pm2.lists.length, calls + 1);
    pm2.answer();
    assert.equal((await c).ageMs, undefined);
  });

  test('close ends sharing and hands the subscription back', async () => {
    const { pm2, shared } = await warmed();
    assert.equal(pm2.subscribers.size, 1);
    await shared.close();
    assert.equal(shared.sharing, false);
    assert.equal(pm2.subscribers.size, 0);
  });
});
