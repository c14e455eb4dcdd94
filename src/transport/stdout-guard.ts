// In stdio mode stdout carries JSON-RPC and nothing else. pm2 prints with console.log in places
// (no-daemon mode above all), so the protocol gets a private handle on fd 1 and every other
// write to process.stdout is sent to stderr instead.
import { Writable } from 'node:stream';

export function claimStdout(): Writable {
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
  const protocol = new Writable({
    write(chunk, encoding, callback) {
      realWrite(chunk, encoding, callback);
    },
  });
  stdout.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) =>
    (process.stderr.write as (c: unknown, e?: unknown, cb?: unknown) => boolean)(chunk, encoding, cb)) as typeof stdout.write;
  return protocol;
}
