#!/usr/bin/env node
// dist/cli.js: runs the bundle (dist/server.cjs) with a V8 code cache, so that a start deserializes
// compiled code instead of parsing and compiling ~1 MB of JavaScript again (issue 13's start-up
// target; Node 20 has no compile cache of its own for this). Only Node built-ins here (and the
// few lines of process-alive.ts), and no output: in stdio mode stdout is JSON-RPC's.
//
// The cache sits beside the bundle, one file per Node version and CPU (V8 rejects another's), and
// is used only when it is exactly what was written for this bundle:
// - a regular file, not a link nor a FIFO, owned by this user or root, writable by nobody else:
//   whoever can write it can already write the bundle beside it;
// - its header holds the sha256 of the bundle's text and of the cached bytes after it, and both
//   match. V8's own checks are the source's length and a few version bits: an edited bundle of
//   the same length would run the old code, and release builds of V8 verify no checksum, so one
//   flipped bit could crash every start (both found by the attack on the first version).
// Otherwise the bundle is compiled as any script is and, if the folder lets us, the cache is
// written at exit (to a temporary file renamed into place: a start never sees half a cache).
// PM2_MCP_CODE_CACHE=off turns both off.
import { closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { isAlive } from './process-alive.js';

const MAX_CACHE_BYTES = 64 * 1024 * 1024;
const MAGIC = 'pm2-mcp-v8cache';
/** MAGIC, the bundle's digest, the payload's digest, each after one space, then a newline. */
const HEADER_BYTES = MAGIC.length + 2 * 65 + 1;

const bundle = join(__dirname, 'server.cjs');
const cacheFile = join(__dirname, `server.cjs.${process.version}-${process.arch}.v8cache`);
const enabled = process.env.PM2_MCP_CODE_CACHE !== 'off';
const uid = process.getuid?.() ?? 0;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The cached code after its header, when the file is one this bundle may trust; undefined when
 * there is none or it is not for this bundle (to be written again); 'foreign' when it is not ours
 * to trust or replace.
 */
function readCache(sourceDigest: string): Buffer | undefined | 'foreign' {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place would block open() until a writer came.
    fd = openSync(cacheFile, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    // A link in its place is somebody's: neither followed nor replaced.
    return (err as NodeJS.ErrnoException).code === 'ELOOP' ? 'foreign' : undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0 || st.size > MAX_CACHE_BYTES) return 'foreign';
    const data = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, data, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    if (read !== st.size || read <= HEADER_BYTES) return undefined;
    const header = data.subarray(0, HEADER_BYTES).toString('latin1');
    const payload = data.subarray(HEADER_BYTES);
    if (header !== `${MAGIC} ${sourceDigest} ${sha256(payload)}\n`) return undefined;
    return payload;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeCache(script: Script, sourceDigest: string): void {
  removeDeadTemporaries();
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const payload = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${MAGIC} ${sourceDigest} ${sha256(payload)}\n`, 'latin1'), payload]), { flag: 'wx', mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch (err) {
    // A folder this user may not write (a global install), a full disk: the next start compiles.
    // EEXIST: the file is not one this start made, so it is not this start's to remove.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
  }
}

/** What a start killed while it wrote its cache left behind: this user's, of a pid that is gone. */
function removeDeadTemporaries(): void {
  let names: string[];
  try {
    names = readdirSync(__dirname);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^server\.cjs\..+\.v8cache\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    const file = join(__dirname, name);
    try {
      // unlink(2) removes a link itself, never what it points to; a folder it refuses.
      if (lstatSync(file).uid === uid) unlinkSync(file);
    } catch {
      // Garbage that stays is only garbage; the next entry is still looked at.
    }
  }
}

const source = readFileSync(bundle, 'utf8');
const sourceDigest = enabled ? sha256(source) : '';
const cached = enabled ? readCache(sourceDigest) : undefined;
// CommonJS's own wrapper, and one more parameter: Node 20 loses the import() callback of code
// from a cache, so the bundle's run-time imports (pm2, a user's config) come here, to an import()
// Node compiled itself, which resolves from the same folder (src/dynamic-import.ts). The wrapper
// keeps the bundle's first line as line 1, as Module.wrap does.
const WRAPPER = '(function (exports, require, module, __filename, __dirname, __pm2mcpImport) { ';
const script = new Script(`${WRAPPER}${source}\n});`, {
  filename: bundle,
  ...(cached instanceof Buffer ? { cachedData: cached } : {}),
});
if (enabled && cached !== 'foreign' && (cached === undefined || script.cachedDataRejected === true)) {
  process.once('exit', () => writeCache(script, sourceDigest));
}
const mod = new Module(bundle);
mod.filename = bundle;
(mod as unknown as { paths: string[] }).paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(bundle));
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;
run(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle), (specifier) => import(specifier));
