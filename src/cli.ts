#!/usr/bin/env node
// Thin entry: argv → command; typed errors → messages and exit codes. Nothing else.
import { UsageError, errorMessage } from './errors.js';
import { helpText, parseCli } from './options.js';
import { serve } from './commands/serve.js';
import { VERSION } from './version.js';

const stderr = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2), process.env);
  switch (options.command) {
    case 'help':
      process.stdout.write(helpText(VERSION));
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'serve':
      return serve(options, { stderr, stdinIsTty: process.stdin.isTTY === true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      stderr(`pm2-mcp: ${err.message}`);
      process.exit(2);
    }
    stderr(`pm2-mcp: ${errorMessage(err)}`);
    process.exit(1);
  },
);
