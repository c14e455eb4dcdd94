// Typed errors: the core throws these; only cli.ts maps them to messages and exit codes, and
// only dispatch maps them to MCP error results.

/** A bad flag, value or command on the command line: message, exit code 2, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Stable codes that clients may branch on. */
export type ToolErrorCode =
  | 'INVALID_ARGUMENTS'
  | 'PROCESS_NOT_FOUND'
  | 'DAEMON_UNREACHABLE'
  | 'DAEMON_NOT_RUNNING'
  | 'START_REFUSED'
  | 'LOG_FILE_REFUSED'
  | 'NOT_SUPPORTED'
  | 'PM2_ERROR'
  | 'POLICY_DENIED'
  | 'AUDIT_UNAVAILABLE'
  /** A lock shared with other pm2-mcp servers (the start lock) was held too long: try again. */
  | 'LOCK_UNAVAILABLE'
  /** The client cancelled the request before it ran. */
  | 'CANCELLED'
  /** The server began shutting down before the call ran. */
  | 'SHUTTING_DOWN'
  /** The server shut down while pm2 was still at it: the action may or may not have completed. */
  | 'ABANDONED'
  /** A start, restart or reload whose app was not online (and stable) when its wait ended. */
  | 'NOT_ONLINE'
  /** A start, restart or reload with waitUntil "ready" whose app was not ready when its wait ended. */
  | 'NOT_READY'
  | 'PORT_IN_USE'
  | 'INTERNAL';

/** An error a tool call ends with; its message is shown to the client as it is. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A config file (or a --policy value) that can't be used: one header naming it, one bullet per
 * problem. `what` names another file read the same way (a tests file).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    what = 'config',
  ) {
    super(`Invalid ${what} ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
