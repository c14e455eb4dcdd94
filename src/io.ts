// What a command may use of the terminal it runs in: stderr for the operator (stdout belongs to
// MCP on stdio, or to a command's own output), and whether stdin is a person typing.
export interface Io {
  stderr: (line: string) => void;
  stdinIsTty: boolean;
}
