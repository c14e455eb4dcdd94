// "ask": a person approves this exact call (docs/threat-model.md §T26). The server asks through
// the client (MCP elicitation, form mode), showing the canonical request — what would really run:
// real paths, the interpreter, env names, targets by name and pm_id — and the rule that asks. An
// approval is bound to the sha256 of that request, used once, and expires: it can never run
// another call, the same call again, or the same tool with other arguments. No tool argument can
// approve: the answer comes from the client's person, in a request the server made, matched by its id.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { CanonicalRequest, StartApp } from '../model/requests.js';
import { safe } from '../safe-text.js';

/** How long a person has to answer, and how long an approval is good for. */
export const ASK_TIMEOUT_MS = 60_000;

export interface Question {
  operation: string;
  request: CanonicalRequest;
  ruleId: string;
  reason: string;
  sha256: string;
}

/** What the person (or the client) answered; `approved` only for an accepted form that says so. */
export interface Answer {
  action: 'accept' | 'decline' | 'cancel' | 'timeout' | 'no_capability' | 'failed';
  approved: boolean;
  /** Plain words for the denial and the audit record: never a secret (the form holds one boolean). */
  detail: string;
}

/** Asks the client's person; set only when the client declared form elicitation. */
export type AskPerson = (question: Question, signal: AbortSignal | undefined) => Promise<Answer>;

export function requestDigest(request: CanonicalRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** One approval: this request's digest, once, before it expires. */
export class Approval {
  private used = false;

  constructor(
    private readonly sha256: string,
    private readonly expiresAt: number,
  ) {}

  /** True once, for the request it was given for, before it expires. */
  take(request: CanonicalRequest, now = Date.now()): boolean {
    if (this.used || now > this.expiresAt || requestDigest(request) !== this.sha256) return false;
    this.used = true;
    return true;
  }
}

/** The form the person answers: one yes-or-no field, false unless they set it. */
export const APPROVAL_SCHEMA = {
  type: 'object',
  properties: {
    approve: { type: 'boolean', title: 'Run this call once', description: 'Check to let pm2-mcp run exactly the call above, once, now.', default: false },
  },
  required: ['approve'],
} as const;

/** The answer a client sent to the form, read strictly: anything but `approve: true` is no approval. */
export function readAnswer(result: { action?: unknown; content?: unknown }): Answer {
  if (result.action === 'decline') return { action: 'decline', approved: false, detail: 'the person declined' };
  if (result.action === 'cancel') return { action: 'cancel', approved: false, detail: 'the person dismissed the question' };
  if (result.action !== 'accept') return { action: 'failed', approved: false, detail: 'the client answered the question in no form MCP defines' };
  const content = result.content as Record<string, unknown> | undefined;
  const keys = content && typeof content === 'object' ? Object.keys(content) : [];
  if (content?.approve === true && keys.length === 1) return { action: 'accept', approved: true, detail: 'the person approved' };
  return { action: 'accept', approved: false, detail: 'the person sent the form without approving' };
}

/** What the person is shown: the call as it would really run, and why they are asked. */
export function questionText(q: Question): string {
  const lines = [`An agent asks to run ${q.operation}. The policy asks you first (rule ${q.ruleId}: ${q.reason}).`, ...requestLines(q.request), `Request sha256: ${q.sha256}`, `An approval runs exactly this, once, within ${ASK_TIMEOUT_MS / 1000} s.`];
  return lines.map(safe).join('\n');
}

function requestLines(r: CanonicalRequest): string[] {
  switch (r.kind) {
    case 'start':
      return r.apps.flatMap(appLines).concat(r.ecosystemFile ? [`from the ecosystem file ${r.ecosystemFile}`] : []);
    case 'operate': {
      const targets = r.target?.processes.map((p) => `${p.name} (pm_id ${p.pm_id})`).join(', ') ?? 'every process';
      const stored = r.stored?.flatMap(appLines) ?? [];
      return [`on: ${targets}${r.updateEnv ? ', with the server\'s environment (updateEnv)' : ''}`, ...stored, ...(r.files ?? []).map((f) => `file: ${f.path}`)];
    }
    case 'daemon':
      return [r.destructive ? 'on the pm2 daemon itself: every process it runs stops' : 'on the pm2 daemon', ...(r.affects ?? []).map((p) => `affects: ${p.name} (pm_id ${p.pm_id})`)];
    case 'read':
      return [`reads: ${r.targets.map((p) => `${p.name} (pm_id ${p.pm_id})`).join(', ')}`];
  }
}

function appLines(a: StartApp): string[] {
  const env = Object.keys(a.env);
  return [
    `app ${a.name}: ${a.script}`,
    `  interpreter ${a.interpreter.path}${a.interpreterArgs.length ? ` ${a.interpreterArgs.join(' ')}` : ''}; cwd ${a.cwd}; ${a.instances} instance${a.instances === 1 ? '' : 's'} (${a.execMode})`,
    ...(a.args.length ? [`  args: ${a.args.map((x) => JSON.stringify(x)).join(' ')}`] : []),
    `  env names: ${env.length ? env.join(', ') : 'none'} (values not shown)`,
  ];
}
