// The transports `pm2-mcp serve` speaks, one row each: what --help says of it, the flags it
// owns, and how to open it. A new transport is its module in src/transport/ (a Transport), a
// src/commands/serve-<name>.ts if it has flags or setup, and its row here: --transport, --help
// and the README's flag list follow from the rows.
import type { Io } from '../io.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Env, FlagValues, OptionGroup } from '../env-flags.js';
import type { Transport } from '../transport/types.js';
import { HTTP_OPTIONS, openHttp } from './serve-http.js';
import { STDIO_OPTIONS, openStdio } from './serve-stdio.js';

/** What opening a transport may use: the server's policy, its PM2_HOME, the terminal. */
export interface OpenContext {
  policy: CompiledPolicy;
  home: string;
  io: Io;
}

interface TransportRow<O> {
  /** Its part of "--transport: …" in --help. */
  summary: string;
  options: OptionGroup<O>;
  /** Made ready to start (tokens read, a note said), not yet serving. */
  open(options: O, context: OpenContext): Promise<Transport>;
}

const ROWS = {
  stdio: { summary: 'stdio (default)', options: STDIO_OPTIONS, open: openStdio },
  http: { summary: 'Streamable HTTP', options: HTTP_OPTIONS, open: openHttp },
};

export type TransportName = keyof typeof ROWS;
type OptionsOf = { [K in TransportName]: ReturnType<(typeof ROWS)[K]['options']['read']> };

/** The transport chosen, with its own options. */
export type TransportChoice<K extends TransportName = TransportName> = { [P in K]: { name: P; options: OptionsOf[P] } }[K];

export const TRANSPORTS: { readonly [K in TransportName]: TransportRow<OptionsOf[K]> } = ROWS;
export const TRANSPORT_NAMES = Object.keys(ROWS) as TransportName[];

export function isTransportName(name: string): name is TransportName {
  return Object.hasOwn(ROWS, name);
}

/** A transport's options, read and checked (`chosen` says whether it is the one chosen). */
export function readTransport<K extends TransportName>(name: K, values: FlagValues, env: Env, chosen: boolean): TransportChoice<K> {
  const row: TransportRow<OptionsOf[K]> = TRANSPORTS[name];
  return { name, options: row.options.read(values, env, chosen) } as TransportChoice<K>;
}

export function openTransport<K extends TransportName>(choice: TransportChoice<K>, context: OpenContext): Promise<Transport> {
  const row: TransportRow<OptionsOf[K]> = TRANSPORTS[choice.name];
  return row.open(choice.options, context);
}
