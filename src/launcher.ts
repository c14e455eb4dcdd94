#!/usr/bin/env node
// dist/cli.js: runs the bundle (dist/server.cjs) with a V8 code cache, so that a start deserializes
// compiled code instead of parsing and compiling ~1 MB of JavaScript again (issue 13's start-up
// target; Node 20 has no compile cache of its own for this). Only Node built-ins here, and no
// output: in stdio mode stdout is JSON-RPC's.
//
// The cache sits beside the bundle, one file per Node version and CPU (V8 rejects another's), and
// is used only when it is exactly what this build wrote for this bundle:
// - a regular file, not a link, owned by this user or root, writable by nobody else: whoever can
//   write it can already write the bundle beside it;
// - its header names this build, and the bundle's size and modification time: V8's own check is
//   the source's length, which another bundle of the same length would pass.
// Otherwise the bundle is compiled as any script is and, if the folder lets us, the cache is
// written at exit (to a temporary file renamed into place: a start never sees half a cache).
// PM2_MCP_CODE_CACHE=off turns both off.
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

declare const PM2_MCP_BUILD_ID: string;

const MAX_CACHE_BYTES = 64 * 1024 * 1024;

const bundle = join(__dirname, 'server.cjs');
const cacheFile = join(__dirname, `server.cjs.${process.version}-${process.arch}.v8cache`);
const enabled = process.env.PM2_MCP_CODE_CACHE !== 'off';

function bundleKey(): string {
  const st = statSync(bundle);
  return `pm2-mcp ${PM2_MCP_BUILD_ID} ${st.size} ${st.mtimeMs}\n`;
}

/**
 * The cached code after its header, when the file is one this build may trust; undefined when
 * there is none or it is not for this bundle (to be written again); 'foreign' when it is not ours
 * to trust or replace.
 */
function readCache(key: string): Buffer | undefined | 'foreign' {
  let fd: number;
  try {
    fd = openSync(cacheFile, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    // A link in its place is somebody's: neither followed nor replaced.
    return (err as NodeJS.ErrnoException).code === 'ELOOP' ? 'foreign' : undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.() ?? 0;
    if (!st.isFile() || (st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0 || st.size > MAX_CACHE_BYTES) return 'foreign';
    const data = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, data, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    const head = Buffer.from(key);
    if (read !== st.size || !data.subarray(0, head.length).equals(head)) return undefined;
    return data.subarray(head.length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeCache(script: Script, key: string): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([Buffer.from(key), script.createCachedData()]), { flag: 'wx', mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch {
    // A folder this user may not write (a global install), a full disk: the next start compiles.
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
  }
}

const key = enabled ? bundleKey() : '';
const cached = enabled ? readCache(key) : undefined;
// CommonJS's own wrapper, and one more parameter: Node 20 loses the import() callback of code
// from a cache, so the bundle's run-time imports (pm2, a user's config) come here, to an import()
// Node compiled itself, which resolves from the same folder (src/dynamic-import.ts). The wrapper
// keeps the bundle's first line as line 1, as Module.wrap does.
const WRAPPER = '(function (exports, require, module, __filename, __dirname, __pm2mcpImport) { ';
const script = new Script(`${WRAPPER}${readFileSync(bundle, 'utf8')}\n});`, {
  filename: bundle,
  ...(cached instanceof Buffer ? { cachedData: cached } : {}),
});
if (enabled && cached !== 'foreign' && (cached === undefined || script.cachedDataRejected === true)) {
  process.once('exit', () => writeCache(script, key));
}
const mod = new Module(bundle);
mod.filename = bundle;
(mod as unknown as { paths: string[] }).paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(bundle));
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;
run(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle), (specifier) => import(specifier));
