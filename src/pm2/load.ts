// Loads pm2 only when the first call needs it: answering `initialize` must not wait for it.
import { mkdirSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { importModule } from '../dynamic-import.js';
import type { Pm2RawProcess, Pm2StartConfig } from './types.js';

type Callback<T> = (err: unknown, result?: T) => void;

/** The axon request socket pm2's Client talks to the daemon through. */
export interface AxonSocket extends EventEmitter {
  socks?: Socket[];
  connected?: boolean;
  close(): void;
  /** axon's settings ("retry timeout" …). */
  set?(name: string, value: unknown): void;
}

/** The bus's subscriber (axon sub-emitter): a listener per topic. */
export interface BusEmitter {
  on(topic: string, fn: (packet: unknown) => void): unknown;
}

export interface Pm2Client {
  executeRemote(method: string, arg: unknown, cb: Callback<unknown>): void;
  pingDaemon(cb: (alive: boolean) => void): void;
  client_sock?: AxonSocket;
  /** Set by launchBus: the socket of the daemon's event bus. */
  sub_sock?: AxonSocket;
}

export interface Pm2Api {
  Client: Pm2Client;
  connect(cb: Callback<unknown>): void;
  start(config: Pm2StartConfig, cb: Callback<Pm2RawProcess[]>): void;
  dump(force: boolean, cb: Callback<unknown>): void;
  killDaemon(cb: Callback<unknown>): void;
  launchBus(cb: (err: unknown, bus?: BusEmitter) => void): void;
}

export interface Pm2Module {
  custom: new (opts: { pm2_home: string; daemon_mode: boolean }) => Pm2Api;
}

const loaded = new Map<string, Promise<Pm2Module>>();

export function loadPm2(home: string): Promise<Pm2Module> {
  let mod = loaded.get(home);
  if (!mod) {
    // pm2 reads these when its modules load (constants.js), so they are set before the import.
    // PM2_PROGRAMMATIC silences pm2's own printing; PM2_NO_INTERACTION keeps it from
    // starting the pm2.io agent.
    process.env.PM2_HOME = home;
    process.env.PM2_PROGRAMMATIC = 'true';
    process.env.PM2_NO_INTERACTION = 'true';
    process.env.PM2_DISCRETE_MODE = 'true';
    // pm2 makes PM2_HOME (and its logs/, pids/, modules/) as it loads, with the default mode:
    // 0755, readable by every user. A home that does not exist yet is made private first.
    try {
      mkdirSync(home, { recursive: true, mode: 0o700 });
    } catch {
      // pm2 says what is wrong with the home when it tries to use it.
    }
    mod = importModule('pm2').then((m) => (m as unknown as { default: Pm2Module }).default);
    loaded.set(home, mod);
  }
  return mod;
}
