// Where the audit log lives: --audit-file, then PM2_MCP_AUDIT_FILE, then the config's audit.file
// (relative to the config's folder), then $PM2_HOME/pm2-mcp/audit.jsonl.
import { isAbsolute, join, resolve } from 'node:path';
import type { CompiledPolicy } from '../policy/compile.js';

export function auditFile(opts: { flag?: string | undefined; env: Record<string, string | undefined>; policy: CompiledPolicy; home: string; cwd: string }): string {
  if (opts.flag) return resolve(opts.cwd, opts.flag);
  if (opts.env.PM2_MCP_AUDIT_FILE) return resolve(opts.cwd, opts.env.PM2_MCP_AUDIT_FILE);
  const configured = opts.policy.config.audit?.file;
  if (configured) return isAbsolute(configured) ? configured : resolve(opts.policy.root, configured);
  return join(opts.home, 'pm2-mcp', 'audit.jsonl');
}
