// Does the interpreter fit the script? (docs/threat-model.md §T2, §T16) An allowed interpreter
// must not be free to run any allowed file: python3 over a `.js` file, or bash over a data file,
// turns "the project's scripts" into "anything the agent can make an interpreter read". Each
// extension has the interpreters it is written for; anything else needs the config to pair a
// script glob with the interpreter (start.runWith). Pure: names and extensions only.
import { extname } from 'node:path';

type Family = 'node' | 'bun' | 'deno' | 'tsx' | 'ts-node' | 'python' | 'shell' | 'ruby' | 'php' | 'perl';

/** An interpreter's family by its name (what the policy names, or the real file's name). */
const FAMILY_OF: ReadonlyArray<[RegExp, Family]> = [
  [/^node(js)?(\d+)?$/, 'node'],
  [/^bun$/, 'bun'],
  [/^deno$/, 'deno'],
  [/^tsx$/, 'tsx'],
  [/^ts-node(-esm)?$/, 'ts-node'],
  [/^python(\d+(\.\d+)?)?$/, 'python'],
  [/^(ba|da|k|z|)sh$/, 'shell'],
  [/^ruby(\d+(\.\d+)?)?$/, 'ruby'],
  [/^php(\d+(\.\d+)?)?$/, 'php'],
  [/^perl(\d+(\.\d+)*)?$/, 'perl'],
];

const JS: Family[] = ['node', 'bun', 'deno', 'tsx'];
/** node reads TypeScript only when it strips types itself; otherwise pm2 loads ts-node from the cwd upward. */
const TS: Family[] = ['tsx', 'ts-node', 'deno', 'bun'];

const FITS: Readonly<Record<string, readonly Family[]>> = {
  '.js': JS, '.mjs': JS, '.cjs': JS,
  '.ts': TS, '.mts': TS, '.cts': TS, '.tsx': TS.filter((f) => f !== 'ts-node'),
  '.py': ['python'], '.sh': ['shell'], '.bash': ['shell'], '.rb': ['ruby'], '.php': ['php'], '.pl': ['perl'], '.pm': ['perl'],
};

export function interpreterFamily(name: string): Family | undefined {
  return FAMILY_OF.find(([re]) => re.test(name))?.[1];
}

export interface FitInput {
  script: string;
  /** The interpreter's name as resolved (node, python3 …) or "none". */
  interpreter: string;
  /** The name of the interpreter's real file (python3 → python3.11): both must fit. */
  realName: string;
  /** The node that would run strips TypeScript types itself (Node >= 22.18 / 23.6). */
  stripsTypes: boolean;
}

/** Why the interpreter does not fit the script, or undefined when it does. */
export function misfit(input: FitInput): string | undefined {
  // "none": the file runs itself, as its first line or its format says; nothing else reads it.
  if (input.interpreter === 'none') return undefined;
  const ext = extname(input.script).toLowerCase();
  const fits = Object.hasOwn(FITS, ext) ? FITS[ext]! : [];
  const family = interpreterFamily(input.interpreter);
  const ts = ext === '.ts' || ext === '.mts' || ext === '.cts';
  const ok = (f: Family | undefined) => f !== undefined && (fits.includes(f) || (f === 'node' && ts && ext === '.ts' && input.stripsTypes));
  if (!ok(family)) {
    if (fits.length === 0) return `no interpreter is known to fit a ${ext ? `"${ext}"` : 'extensionless'} file; pair it with one in start.runWith`;
    if (family === 'node' && ts) return 'node on this machine does not strip TypeScript types, so pm2 would load ts-node from the working folder upward (a module outside the root); use tsx, deno or bun';
    if (family === undefined) return `${input.interpreter} is not an interpreter known to run ${ext} files (they fit ${[...new Set(fits)].join(', ')}; give the interpreter by its command name, e.g. "tsx", or pair it in start.runWith)`;
    return `${input.interpreter} does not run ${ext} files (they fit ${[...new Set(fits)].join(', ')})`;
  }
  // A link called "node" to bash is bash: the real file must be of the same family.
  const realFamily = interpreterFamily(input.realName);
  if (realFamily !== undefined && realFamily !== family) {
    return `${input.interpreter} is really ${input.realName}`;
  }
  return undefined;
}
