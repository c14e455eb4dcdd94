// What many tests build or check the same way: a resolved app to start, the tool lists (from the
// registry, so a new tool is not forgotten by a literal list), and the shapes of a refusal.
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, ToolError, type ToolErrorCode } from '../../src/errors.js';
import type { CanonicalRequest, StartApp } from '../../src/model/requests.js';
import type { ToolName } from '../../src/model/tools.js';
import { TOOLS } from '../../src/server/tools/index.js';
import { textOf } from './harness.js';

// ─── apps and requests ───────────────────────────────────────────────────────────────────────

/**
 * An app as resolve hands it to the policy: one fork-mode instance of a node script, no
 * arguments, no env, no log files. `over` replaces whole fields.
 */
export function startApp(over: Partial<StartApp> = {}): StartApp {
  return {
    name: 'web',
    script: '/repo/apps/web.js',
    cwd: '/repo',
    interpreter: { name: 'node', path: '/usr/bin/node' },
    interpreterArgs: [],
    args: [],
    env: {},
    instances: 1,
    execMode: 'fork',
    watch: false,
    namespace: 'default',
    logFiles: {},
    options: {},
    origin: { kind: 'arguments' },
    ...over,
  };
}

/** The canonical request of pm2_start_process for `apps`; `managed` as the resolve stage counts it. */
export function startRequest(apps: StartApp[], managed?: number): CanonicalRequest {
  return { kind: 'start', operation: 'pm2_start_process', apps, ...(managed === undefined ? {} : { managed }) };
}

// ─── tools ───────────────────────────────────────────────────────────────────────────────────

/** Every tool, in the order tools/list shows them. */
export const ALL_TOOLS: readonly ToolName[] = TOOLS.map((t) => t.name);

/** The tools that only read (annotated readOnlyHint): what the readonly preset turns on. */
export const READ_TOOLS: readonly ToolName[] = TOOLS.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);

// ─── refusals ────────────────────────────────────────────────────────────────────────────────

/** A tool result the server refused (isError), whose text matches `expected`. */
export function assertRefused(r: CallToolResult, expected: RegExp, what: string): void {
  assert.equal(r.isError, true, `${what} was not refused: ${textOf(r)}`);
  assert.match(textOf(r), expected, what);
}

/**
 * `promise` rejects with a ToolError of `code` whose message is `expected` (a string: exactly;
 * a RegExp: matches; a list: contains every piece). Returns the error for further checks.
 */
export async function assertToolError(promise: Promise<unknown>, code: ToolErrorCode, expected: string | RegExp | readonly string[], label: string): Promise<ToolError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ToolError, `${label}: expected a ToolError, got ${String(caught)}`);
  assert.equal(caught.code, code, label);
  if (typeof expected === 'string') assert.equal(caught.message, expected, label);
  else if (expected instanceof RegExp) assert.match(caught.message, expected, label);
  else for (const p of expected) assert.ok(caught.message.includes(p), `${label}: ${JSON.stringify(caught.message)} lacks ${JSON.stringify(p)}`);
  return caught;
}

/** The ConfigError `p` rejects with; fails when it resolves or rejects with anything else. */
export async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}
