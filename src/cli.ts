// Thin entry: argv → command; typed errors → messages and exit codes. Nothing else.
import { ConfigError, UsageError, errorMessage } from './errors.js';
import { helpText, parseCli } from './options.js';
import { serve } from './commands/serve.js';
import { serveUnderPm2 } from './commands/serve-under-pm2.js';
import type { Io } from './io.js';
import { launchCommand } from './launch-command.js';
import { VERSION } from './version.js';

const stderr = (line: string) => process.stderr.write(`${line}\n`);
const stdout = (line: string) => process.stdout.write(`${line}\n`);
const io = (): Io => ({ stderr, stdinIsTty: process.stdin.isTTY === true });

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2), process.env);
  switch (options.command) {
    case 'help':
      process.stdout.write(helpText(VERSION, launchCommand(process.argv[1])));
      return 0;
    case 'version':
      stdout(VERSION);
      return 0;
    // Loaded only when asked for: none of these is a serve's, and start-up parses only what serving needs.
    case 'check':
      return (await import('./commands/check.js')).check({ cwd: process.cwd(), ...(options.configFile ? { configFile: options.configFile } : {}), ...(options.policy ? { policy: options.policy } : {}) }, stdout);
    case 'explain':
      return (await import('./commands/explain.js')).explain(options, stdout);
    case 'audit':
      return (await import('./commands/audit.js')).audit(options, stdout);
    case 'doctor':
      return (await import('./commands/doctor.js')).doctor(options, stdout);
    case 'test':
      return (await import('./commands/test.js')).runPolicyTests(options, stdout);
    case 'init':
      return (await import('./commands/init.js')).init(options, { out: stdout, err: stderr });
    case 'serve':
      return serve(options, io());
    case 'serve-under-pm2':
      return serveUnderPm2(options, io());
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      stderr(`pm2-mcp: ${err.message}`);
      process.exit(2);
    }
    stderr(`pm2-mcp: ${errorMessage(err)}`);
    process.exit(1);
  },
);
