// `pm2-mcp audit verify [FILE]` (exit 0 intact, 1 broken, 2 unreadable) and
// `pm2-mcp audit tail [-n N] [--denied] [--json] [FILE]`.
import { resolve } from 'node:path';
import { auditFile } from '../audit/location.js';
import { plainLine, recentDecisions } from '../audit/tail.js';
import { verifyChain } from '../audit/verify.js';
import { choosePm2Home } from '../home.js';
import type { CliOptions } from '../options.js';
import { loadPolicy } from './load-policy.js';

export async function audit(options: CliOptions, out: (line: string) => void): Promise<number> {
  const args = options.audit!;
  const file = args.file !== undefined ? resolve(process.cwd(), args.file) : await defaultFile(options);
  if (args.action === 'verify') {
    const result = await verifyChain(file);
    if (result.status === 'unreadable') {
      out(`unreadable: ${result.file}: ${result.why}`);
      return 2;
    }
    if (result.status === 'broken') {
      out(`broken: ${result.file} line ${result.line}: ${result.why} (${result.records} records before it are intact)`);
      return 1;
    }
    out(`intact: ${result.records} records in ${result.files.length} file${result.files.length === 1 ? '' : 's'} (${result.files.join(', ')})`);
    return 0;
  }
  const decided = await recentDecisions(file, { lines: args.lines, denied: args.denied });
  for (const d of decided) out(args.json ? JSON.stringify(d.outcome ? { ...d.decision, outcome: d.outcome } : d.decision) : plainLine(d));
  return 0;
}

async function defaultFile(options: CliOptions): Promise<string> {
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });
  return auditFile({ flag: options.auditFile, env: process.env, policy, home: home.home, cwd: process.cwd() });
}
