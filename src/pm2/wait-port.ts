// readyPort: does a TCP port accept a connection on the loopback? Only 127.0.0.1 and ::1 are ever
// tried, so an agent cannot turn a wait into a probe of other hosts.
import { connect } from 'node:net';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

/** True as soon as one loopback address accepts; the connection is closed at once. */
export function portAccepts(port: number, timeoutMs = 250): Promise<boolean> {
  return new Promise((resolve) => {
    let pending: number = LOOPBACK_HOSTS.length;
    let answered = false;
    const sockets = LOOPBACK_HOSTS.map((host) => {
      const socket = connect({ host, port });
      socket.unref();
      socket.setTimeout(timeoutMs);
      let heard = false;
      const settle = (accepted: boolean) => {
        if (heard) return;
        heard = true;
        socket.destroy();
        if (answered) return;
        if (accepted) {
          answered = true;
          for (const s of sockets) s.destroy();
          return resolve(true);
        }
        if (--pending === 0) {
          answered = true;
          resolve(false);
        }
      };
      socket.once('connect', () => settle(true));
      socket.once('error', () => settle(false));
      socket.once('timeout', () => settle(false));
      return socket;
    });
  });
}
