// `pm2-mcp audit verify [FILE]` (exit 0 intact, 1 broken, 2 unreadable) and
// `pm2-mcp audit tail [-n N] [--denied] [--json] [FILE]`.
import { resolve } from 'node:path';
import { auditFile } from '../audit/location.js';
import { jsonLine, plainLine, recentDecisions, safe } from '../audit/tail.js';
import { verifyChain } from '../audit/verify.js';
import { choosePm2Home } from '../home.js';
import { loadPolicy } from './load-policy.js';

export interface AuditOptions {
  command: 'audit';
  action: 'verify' | 'tail';
  /** The log to read (FILE); else the one serve would write. */
  file?: string;
  /** tail: how many decisions, only the denied ones, as JSON lines. */
  lines: number;
  denied: boolean;
  json: boolean;
  pm2Home?: string;
  configFile?: string;
  policy?: string;
  auditFile?: string;
}

export async function audit(options: AuditOptions, print: (line: string) => void): Promise<number> {
  // verify's messages name files and quote errors: escaped like the records tail prints.
  const out = (line: string) => print(safe(line));
  const file = options.file !== undefined ? resolve(process.cwd(), options.file) : await defaultFile(options);
  if (options.action === 'verify') {
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
    for (const t of result.torn ?? []) out(`note: ${t.file} line ${t.line} is a torn write (an append cut short by a crash), chained over by the record after it`);
    return 0;
  }
  const decided = await recentDecisions(file, { lines: options.lines, denied: options.denied });
  // Both already escaped: plainLine for a terminal, jsonLine as valid JSON with \uXXXX escapes.
  for (const d of decided) print(options.json ? jsonLine(d) : plainLine(d));
  return 0;
}

async function defaultFile(options: AuditOptions): Promise<string> {
  const policy = await loadPolicy({ cwd: process.cwd(), configFile: options.configFile, policy: options.policy });
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env });
  return auditFile({ flag: options.auditFile, env: process.env, policy, home: home.home, cwd: process.cwd() });
}
