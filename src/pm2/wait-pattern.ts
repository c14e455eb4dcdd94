// readyPattern: read as every line pattern of pm2-mcp is (src/pm2/line-pattern.ts): a literal
// substring, or /regex/ on re2js's linear-time engine, so that neither an agent's pattern nor an
// app's output can make the server backtrack for ever. Resolve checks it (a bad one is refused
// before any decision); the wait compiles it again to match lines.
import { ToolError } from '../errors.js';
import { compileLinePattern, GrepError, type LineFilter } from './line-pattern.js';

export const READY_PATTERN_MAX_LENGTH = 1000;

export async function compileReadyPattern(pattern: string): Promise<LineFilter> {
  try {
    return await compileLinePattern(pattern, 'readyPattern', READY_PATTERN_MAX_LENGTH);
  } catch (err) {
    if (err instanceof GrepError) throw new ToolError('INVALID_ARGUMENTS', err.message);
    throw err;
  }
}
