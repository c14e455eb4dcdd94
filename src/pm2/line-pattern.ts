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
  const { RE2JS } = await import('re2js');
  let compiled: ReturnType<typeof RE2JS.compile>;
  try {
    compiled = RE2JS.compile(body, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw new GrepError(`${what}: ${pattern} is not a regular expression the linear-time engine (RE2 syntax) accepts: ${(err as Error).message}`);
  }
  return (line) => compiled.matcher(line).find();
}
