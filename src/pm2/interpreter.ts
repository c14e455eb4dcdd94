// Which interpreter would run a script: decided here, then handed to pm2 as an absolute path,
// because pm2's own choice depends on the extension, a binary sniff and a shell-expanded
// `node@version` syntax (docs/threat-model.md §T2).
import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ToolError } from '../errors.js';
import { realOrUndefined } from '../real-path.js';
import { which } from './which.js';

export interface Interpreter {
  /** What a policy names: node, bash, python3 … or none (the file runs itself). */
  name: string;
  /** The real path of the binary, or "none". */
  path: string;
  /** A node that reads TypeScript itself. */
  stripsTypes?: boolean;
}

/** pm2's extension table (lib/API/interpreter.json), minus what needs pm2's bundled tools. */
const BY_EXTENSION: Record<string, string> = {
  '.js': 'node', '.cjs': 'node', '.mjs': 'node',
  '.sh': 'bash', '.py': 'python', '.rb': 'ruby', '.php': 'php', '.pl': 'perl',
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export async function decideInterpreter(explicit: string | undefined, scriptPath: string): Promise<Interpreter> {
  if (explicit !== undefined) return resolveExplicit(explicit);
  const ext = extname(scriptPath).toLowerCase();
  if (ext === '.ts' || ext === '.tsx' || ext === '.mts' || ext === '.cts') {
    throw new ToolError('START_REFUSED', `${basename(scriptPath)} is TypeScript: name the interpreter that runs it (for example "interpreter": "tsx"), or start its compiled JavaScript.`);
  }
  const byExt = BY_EXTENSION[ext];
  if (byExt === 'python') return findPython();
  if (byExt) return resolveName(byExt);
  if (ext === '' || !(ext in BY_EXTENSION)) {
    // pm2 runs a binary file directly and anything else with node.
    return (await looksBinary(scriptPath)) ? { name: 'none', path: 'none' } : resolveName('node');
  }
  return resolveName('node');
}

async function resolveExplicit(explicit: string): Promise<Interpreter> {
  if (explicit === 'none') return { name: 'none', path: 'none' };
  if (explicit.startsWith('/')) {
    const real = realOrUndefined(explicit);
    if (!real) throw new ToolError('START_REFUSED', `The interpreter ${explicit} does not exist.`);
    if (!which(real)) throw new ToolError('START_REFUSED', `The interpreter ${explicit} is not an executable file.`);
    // Named after the file it really is: a link called "node" to bash is bash (and a link to a
    // script such as tsx's dist/cli.mjs is that script: name such interpreters by their command).
    return withTypeStripping({ name: basename(real), path: real });
  }
  if (!NAME.test(explicit)) {
    // Rules out node@18-style strings, which pm2 expands through a shell.
    throw new ToolError('START_REFUSED', `"${explicit}" is not an interpreter name: use a plain command name (node, bash, python3) or an absolute path.`);
  }
  return resolveName(explicit);
}

async function resolveName(name: string): Promise<Interpreter> {
  const found = which(name) ?? (name === 'node' ? process.execPath : undefined);
  if (!found) throw new ToolError('START_REFUSED', `The interpreter "${name}" is not on the PATH of the pm2-mcp server.`);
  const real = realOrUndefined(found);
  if (!real) throw new ToolError('START_REFUSED', `The interpreter "${name}" found at ${found} does not resolve to a file.`);
  return withTypeStripping({ name, path: real });
}

/**
 * Does this node read TypeScript itself? Only known for the node running this server: pm2 loads
 * ts-node for a .ts script unless the node strips types (docs/threat-model.md §T16).
 */
async function withTypeStripping(interpreter: Interpreter): Promise<Interpreter> {
  const features = process.features as unknown as Record<string, unknown>;
  if (features.typescript === undefined || features.typescript === false) return interpreter;
  const self = realOrUndefined(process.execPath);
  return self !== undefined && self === interpreter.path ? { ...interpreter, stripsTypes: true } : interpreter;
}

/** python3 first: on most systems `python` is absent or Python 2, and policies name python3. */
async function findPython(): Promise<Interpreter> {
  if (which('python3')) return resolveName('python3');
  return resolveName('python');
}

/** pm2 sniffs the first bytes for a NUL or a control-character-heavy header; a NUL or ELF magic is enough here. */
async function looksBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.length >= 4 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return true;
    return head.includes(0);
  } finally {
    await handle.close();
  }
}
