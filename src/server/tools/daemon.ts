// Daemon-wide tools: save the process list, kill the daemon.
import { join } from 'node:path';
import * as z from 'zod';
import { defineTool } from '../operation.js';
import { empty } from './schemas.js';
import { listIfRunning, refOf } from './targets.js';

export const dump = defineTool({
  name: 'pm2_dump',
  title: 'Save the pm2 process list',
  description: 'Saves the current process list to $PM2_HOME/dump.pm2 (pm2 save), so `pm2 resurrect` or a boot script can bring it back.',
  input: empty,
  output: z.object({ file: z.string(), processes: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  resolve: async () => ({ kind: 'daemon' as const, operation: 'pm2_dump' }),
  execute: async (_req, ctx) => {
    await ctx.pm2.dump();
    const count = (await ctx.pm2.list()).length;
    const file = join(ctx.pm2.home, 'dump.pm2');
    return { structured: { file, processes: count }, text: `Saved ${count} process${count === 1 ? '' : 'es'} to ${file}.` };
  },
});

export const killDaemon = defineTool({
  name: 'pm2_kill_daemon',
  title: 'Kill the pm2 daemon',
  description: 'Stops every process pm2 manages and then the pm2 daemon itself. A later call starts a new, empty daemon.',
  input: empty,
  output: z.object({ killed: z.boolean(), home: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  // Every process dies with the daemon: the policy must see them (a pm2-mcp server among them is
  // never stopped), and no dry run may perform it.
  resolve: async (_args, ctx) => ({ kind: 'daemon' as const, operation: 'pm2_kill_daemon', affects: (await listIfRunning(ctx.pm2)).map(refOf), destructive: true as const }),
  execute: async (_req, ctx) => {
    await ctx.pm2.killDaemon();
    return { structured: { killed: true, home: ctx.pm2.home }, text: `The pm2 daemon of ${ctx.pm2.home} and its processes are stopped.` };
  },
});
