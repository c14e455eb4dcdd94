// Asks the pm2 daemon of a PM2_HOME for its version, if one listens, without loading pm2 itself:
// pm2's module makes PM2_HOME's folders and files as it loads (its Client's initFileStructure),
// and `pm2-mcp doctor` changes nothing. The call goes over pm2's own RPC modules (axon), found
// beside pm2's package.json, to the method pm2's CLI asks when it warns "In-memory PM2 is
// out-of-date" (getVersion).
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';

export type DaemonAnswer =
  /** No rpc.sock: no daemon runs for this home. */
  | { status: 'none' }
  /** rpc.sock is there but nothing answered: `code` is the socket error's, when there was one. */
  | { status: 'silent'; why: string; code?: string }
  | { status: 'answered'; version: string };

interface AxonSocket {
  set(name: string, value: unknown): void;
  on(event: string, fn: (arg?: unknown) => void): void;
  connect(path: string): void;
  close(): void;
}
interface Axon {
  socket(type: 'req'): AxonSocket;
}
interface RpcClient {
  call(method: string, arg: unknown, cb: (err: unknown, result?: unknown) => void): void;
}
interface AxonRpc {
  Client: new (sock: AxonSocket) => RpcClient;
}

/** pm2 7 carries its RPC modules in pm2/modules/; earlier versions had them as dependencies. */
function pm2Module<T>(pm2PackageJson: string, names: readonly string[]): T {
  const require = createRequire(pm2PackageJson);
  for (const name of names) {
    try {
      return require(name) as T;
    } catch {
      // The next place.
    }
  }
  throw new Error(`this pm2 has none of ${names.join(', ')}`);
}

export function askDaemonVersion(home: string, pm2PackageJson: string, timeoutMs = 1500): Promise<DaemonAnswer> {
  const path = join(home, 'rpc.sock');
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No socket, or no folder to hold one: no daemon.
    if (code === 'ENOENT' || code === 'ENOTDIR') return Promise.resolve({ status: 'none' });
    return Promise.resolve({ status: 'silent', why: `cannot look at ${path}: ${errorMessage(err)}`, ...(code ? { code } : {}) });
  }
  if (!st.isSocket()) return Promise.resolve({ status: 'silent', why: `${path} is not a socket` });
  let axon: Axon;
  let rpc: AxonRpc;
  try {
    axon = pm2Module<Axon>(pm2PackageJson, ['./modules/pm2-axon', 'pm2-axon']);
    rpc = pm2Module<AxonRpc>(pm2PackageJson, ['./modules/pm2-axon-rpc', 'pm2-axon-rpc']);
  } catch (err) {
    return Promise.resolve({ status: 'silent', why: `cannot ask it: ${errorMessage(err)}` });
  }
  return new Promise((resolve) => {
    const sock = axon.socket('req');
    // A refused connection ends the attempt instead of retrying every 100 ms for ever.
    sock.set('retry timeout', 0);
    let done = false;
    const finish = (answer: DaemonAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // Already closed.
      }
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: 'silent', why: `no answer on ${path} within ${timeoutMs} ms` }), timeoutMs);
    // Every error of the connection, those axon passes over (ECONNREFUSED …) included.
    sock.on('socket error', (err) => {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      finish({ status: 'silent', why: `cannot connect to ${path}: ${errorMessage(err)}`, ...(code ? { code } : {}) });
    });
    sock.on('error', (err) => finish({ status: 'silent', why: `cannot connect to ${path}: ${errorMessage(err)}` }));
    sock.on('close', () => finish({ status: 'silent', why: `${path} closed the connection` }));
    new rpc.Client(sock).call('getVersion', {}, (err, version) => {
      if (err) finish({ status: 'silent', why: `the daemon did not say its version: ${errorMessage(err)}` });
      else finish({ status: 'answered', version: String(version) });
    });
    sock.connect(path);
  });
}
