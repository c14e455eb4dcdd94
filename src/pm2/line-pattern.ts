// Line patterns, as a client gives them wherever it may (pm2_tail_logs grep, a start's readyPattern): which lines match.
//
// A client's pattern runs over every line the server reads, so it must not be able to make the
// server spin: JavaScript's RegExp backtracks (`(a+)+$` over a long line takes exponential
// time). A `/regex/` therefore runs on re2js, the pure-JavaScript port of RE2 (MIT, no
// dependencies, no native addon to compile): its automaton matches in time linear in the line,
// whatever the pattern. RE2 refuses what cannot be matched so (backreferences); that refusal is
// the client's answer. re2js is loaded only when a `/regex/` is given, so a server that never
// sees one never parses it. A pattern is at most GREP_MAX_LENGTH characters, and a line is at
// most the tail's line bound (4096 bytes), so one match costs a bounded time.

export const GREP_MAX_LENGTH = 200;

export type LineFilter = (line: string) => boolean;

export class GrepError extends Error {
  override readonly name = 'GrepError';
}

/** `/body/` or `/body/i` is a regular expression; anything else is a literal substring. */
const REGEX_FORM = /^\/(.+)\/(i?)$/s;

export function compileGrep(pattern: string): Promise<LineFilter> {
  return compileLinePattern(pattern, 'grep', GREP_MAX_LENGTH);
}

/**
 * A line pattern as pm2-mcp reads one wherever a client gives it (a tail's grep, a start's
 * readyPattern): a literal substring, or `/body/` / `/body/i` on the linear-time engine.
 * `what` names the argument in the error.
 */
export async function compileLinePattern(pattern: string, what: string, maxLength: number): Promise<LineFilter> {
  if (pattern.length === 0 || pattern.length > maxLength) throw new GrepError(`${what}: 1 to ${maxLength} characters`);
  const regex = REGEX_FORM.exec(pattern);
  if (!regex) return (line) => line.includes(pattern);
  const [, body = '', flags] = regex;
  return compileLinearRegex(body, flags === 'i', (message) => new GrepError(`${what}: ${pattern} is not a regular expression the linear-time engine (RE2 syntax) accepts: ${message}`));
}

/**
 * A regular expression on the linear-time engine; `refuse` makes the error for one it does not
 * accept (RE2 syntax: no backreferences, no look-around). Shared by every place a client's
 * pattern runs: line patterns here, and /regex/ process targets (src/pm2/targets.ts).
 */
export async function compileLinearRegex(body: string, caseInsensitive: boolean, refuse: (message: string) => Error): Promise<LineFilter> {
  const { RE2JS } = await import('re2js');
  let compiled: ReturnType<typeof RE2JS.compile>;
  try {
    compiled = RE2JS.compile(body, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  return (line) => compiled.matcher(line).find();
}
