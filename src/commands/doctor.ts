// `pm2-mcp doctor`: one line per check of the setup a server would run with, ✓ fine, ! a
// warning, ✗ broken (what breaks the server or its guarantees). Exit 1 on a ✗ only. It changes
// nothing: no daemon is started, no file written (doctor-checks.ts says how each check reads).
import { auditCheck, configCheck, daemonCheck, findPm2, homeCheck, nodeCheck, tokenCheck, type Check, type Mark } from './doctor-checks.js';
import { claudeRules, configEditsCheck, scriptEditsCheck } from './doctor-edits.js';
import { mayChangeProcesses } from './serve.js';
import { safe } from '../safe-text.js';

export interface DoctorOptions {
  command: 'doctor';
  pm2Home?: string;
  noDaemon: boolean;
  configFile?: string;
  policy?: string;
  auditFile?: string;
}

const SYMBOL: Record<Mark, string> = { ok: '✓', warn: '!', fail: '✗' };

export async function doctor(options: DoctorOptions, out: (line: string) => void, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<number> {
  const checks: Check[] = [nodeCheck()];
  const pm2 = findPm2();
  checks.push(pm2.check);
  const home = homeCheck(options.pm2Home, env);
  checks.push(home.check);
  const config = await configCheck({ cwd, configFile: options.configFile, policy: options.policy });
  const policy = config.policy;
  checks.push(await daemonCheck(home.facts, pm2.pm2, { noDaemon: options.noDaemon, spawns: policy ? mayChangeProcesses(policy) : undefined }));
  checks.push(config.check);
  if (policy) {
    checks.push(await auditCheck(policy, { auditFile: options.auditFile, home: home.facts, cwd, env }));
    checks.push(tokenCheck(policy, env));
    const settings = claudeRules(policy.root);
    const edits = configEditsCheck(policy, settings);
    if (edits) checks.push(edits);
    checks.push(scriptEditsCheck(policy, settings));
  }
  for (const c of checks) {
    // Paths and names come from the file system and the config: escaped for the terminal.
    out(`${SYMBOL[c.mark]} ${c.what}: ${safe(c.text)}`);
    for (const line of c.more ?? []) out(`    ${safe(line)}`);
  }
  const count = (mark: Mark) => checks.filter((c) => c.mark === mark).length;
  const failed = count('fail');
  const warned = count('warn');
  out(`${failed} problem${failed === 1 ? '' : 's'} (✗), ${warned} warning${warned === 1 ? '' : 's'} (!)${policy ? '' : '; the audit log, tokens and edits are not checked until the config loads'}`);
  return failed > 0 ? 1 : 0;
}
