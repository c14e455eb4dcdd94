// `pm2-mcp test [FILE]`: the policy in CI. Decides every case of the tests file (beside the
// config, or FILE) as the server would, against the file's process table instead of a daemon,
// and prints one TAP line per case and a summary. Exit 0 when every case holds, 1 when one does
// not; an invalid tests file or config is a ConfigError (exit 2, from the CLI).
import { dirname, resolve } from 'node:path';
import { findTestsFile, readTestsFile, TESTS_FILE_NAMES } from '../config/tests-file.js';
import { UsageError } from '../errors.js';
import { choosePm2Home } from '../home.js';
import { safe } from '../safe-text.js';
import { servedFacts } from './gate.js';
import { loadPolicy } from './load-policy.js';
import { judgeCase, type CaseVerdict } from './policy-cases.js';

export interface TestOptions {
  command: 'test';
  /** The tests file; by default pm2-mcp.tests.{json,yaml,yml} beside the config. */
  file?: string;
  pm2Home?: string;
  configFile?: string;
  policy?: string;
  auditFile?: string;
}

export async function runPolicyTests(options: TestOptions, out: (line: string) => void): Promise<number> {
  const cwd = process.cwd();
  const policy = await loadPolicy({ cwd, configFile: options.configFile, policy: options.policy });
  const folder = policy.configFile ? dirname(policy.configFile) : policy.root;
  const file = options.file !== undefined ? resolve(cwd, options.file) : findTestsFile(folder);
  if (file === undefined) {
    throw new UsageError(`No tests file in ${folder} (looked for ${TESTS_FILE_NAMES.join(', ')}). Name one (pm2-mcp test FILE), or let pm2-mcp init write a starter.`);
  }
  const tests = readTestsFile(file);
  // The home and own files of the server this policy would run in, as serve chooses them.
  const home = choosePm2Home({ flag: options.pm2Home, env: process.env }).home;
  const facts = servedFacts({ policy, home, auditFlag: options.auditFile, env: process.env, cwd });
  const world = { policy, facts, home, processes: tests.processes };

  out(`# policy ${policy.preset}${policy.configFile ? ` (${safe(policy.configFile)})` : ''}, mode ${policy.mode}; tests ${safe(file)}`);
  if (policy.rootRefused) out(`# root refused: ${safe(policy.rootRefused)}`);
  out(`1..${tests.cases.length}`);
  let failed = 0;
  for (const [i, c] of tests.cases.entries()) {
    const verdict = await judgeCase(world, c);
    if (!verdict.held) failed++;
    for (const line of verdictLines(i + 1, verdict)) out(line);
  }
  const count = tests.cases.length;
  out(`# ${count} case${count === 1 ? '' : 's'}, ${count - failed} held, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

const PAST: Record<CaseVerdict['effect'], string> = { allow: 'allowed', deny: 'denied', ask: 'asked' };

/** `ok 1 - restart api is allowed (rule processes.scope)`, or `not ok …` with the reason and hint. */
export function verdictLines(n: number, v: CaseVerdict): string[] {
  const name = safe(v.case.name);
  const rule = `rule ${safe(v.ruleId)}`;
  const audit = v.wouldRun ? ' (audit mode: it would run)' : '';
  if (v.held) return [`ok ${n} - ${name} is ${PAST[v.effect]} (${rule})${audit}`];
  let head: string;
  if (v.problem !== undefined) head = `${name}: ${v.effect} (${rule}), but ${v.problem}`;
  else if (v.effect !== v.case.expect) head = `${name}: expected ${v.case.expect}, got ${v.effect} (${rule})${audit}`;
  else head = `${name}: ${v.effect} as expected, but by ${rule}, not rule ${safe(v.case.rule ?? '')}`;
  const lines = [`not ok ${n} - ${head}`, `#   reason: ${safe(v.reason)}`];
  if (v.hint) lines.push(`#   hint: ${safe(v.hint)}`);
  return lines;
}
