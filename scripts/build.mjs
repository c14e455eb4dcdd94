// Bundles the CLI into one CommonJS file (dist/server.cjs) and the launcher that runs it with a V8
// code cache (dist/cli.js), so that start-up reads and deserializes instead of parsing hundreds
// of files.
// pm2 stays external: it is loaded lazily, only when the first tool call needs it, and it
// resolves its own files (Daemon.js, ProcessContainer.js) from node_modules at run time. What is
// bundled is a devDependency; what stays external is a dependency (pm2) or optional (typescript).
// The build goes to a folder of its own and replaces dist/ by renames at the end, so a server
// or test started from dist/ meanwhile never sees it half written.
//
//   node scripts/build.mjs             dist/ with linked source maps (node --enable-source-maps)
//   node scripts/build.mjs --release   no source maps: what `npm pack` and `npm publish` ship
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { libraryDeclarations } from './declarations.mjs';

const release = process.argv.includes('--release');
// typescript: cosmiconfig imports it only to read a .ts config, from the user's install.
const EXTERNAL = ['pm2', 'typescript'];
const COMMON = { bundle: true, platform: 'node', target: 'node20', external: EXTERNAL, legalComments: 'none', logLevel: 'warning' };

/**
 * The SDK's Server imports its default JSON Schema validator (Ajv, with ajv-formats) for the
 * answers to elicitation requests; pm2-mcp gives every Server its own (src/server/no-elicitation.ts),
 * so the default is never made, but its import alone put 130 KB of ajv into what every start
 * parses. In the bundle it is a stub that says so if it is ever made. The build fails if the SDK
 * stops importing it this way, rather than let ajv come back unnoticed.
 */
function withoutSdkDefaultValidator() {
  let replaced = 0;
  return {
    name: 'without-sdk-default-validator',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/validation\/ajv-provider\.js$/ }, (args) => {
        if (!/@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]server[\\/]index\.js$/.test(args.importer)) return undefined;
        replaced++;
        return { path: 'sdk-default-validator', namespace: 'pm2-mcp' };
      });
      b.onLoad({ filter: /^sdk-default-validator$/, namespace: 'pm2-mcp' }, () => ({
        loader: 'js',
        contents: "export class AjvJsonSchemaValidator { constructor() { throw new Error('pm2-mcp passes its own jsonSchemaValidator to every Server: the SDK default is left out of the bundle (scripts/build.mjs)'); } }",
      }));
      b.onEnd((result) => {
        if (result.errors.length === 0 && replaced === 0) throw new Error('build: the SDK\'s server no longer imports ../validation/ajv-provider.js: see withoutSdkDefaultValidator in scripts/build.mjs');
      });
    },
  };
}

/**
 * The bundle runs from a V8 code cache (src/launcher.ts), where Node 20 loses an import()'s
 * callback. Our own run-time imports go through src/dynamic-import.ts; cosmiconfig's loaders
 * (a .ts config: `import('typescript')`, then the transpiled file) are bundled code we do not
 * write, so their two import() calls are pointed at the same hand-over here. The build fails if
 * cosmiconfig's file no longer has exactly those two.
 */
function cosmiconfigImportsThroughLauncher() {
  return {
    name: 'cosmiconfig-imports-through-launcher',
    setup(b) {
      b.onLoad({ filter: /[\\/]cosmiconfig[\\/]dist[\\/]loaders\.js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const calls = text.split('await import(').length - 1;
        if (calls !== 2 || /\bimport\(/.test(text.replaceAll('await import(', ''))) throw new Error(`build: cosmiconfig's loaders.js has ${calls} \`await import(\` calls, not the 2 that cosmiconfigImportsThroughLauncher (scripts/build.mjs) points at the launcher`);
        const handOver = "\nfunction __pm2mcpDynamicImport(s) { return typeof __pm2mcpImport === 'function' ? __pm2mcpImport(s) : import(s); }\n";
        return { contents: text.replaceAll('await import(', 'await __pm2mcpDynamicImport(') + handOver, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

const out = `.dist-build-${process.pid}`;
await rm(out, { recursive: true, force: true });
let bundles;
try {
  // esbuild works in a process of its own: the declarations are made meanwhile, here.
  bundles = Promise.all([
    build({
      ...COMMON,
      entryPoints: ['src/cli.ts'],
      outfile: `${out}/server.cjs`,
      // One CommonJS file, run by dist/cli.js (src/launcher.ts) with a V8 code cache: Node 20
      // caches no compiled ES modules, and a start spent a fifth of its time compiling them.
      // Dynamic imports of our own modules (cosmiconfig, the yaml package, the HTTP transport,
      // the tools …) stay lazy: esbuild evaluates such a module only when it is imported.
      format: 'cjs',
      // The two modules that find files from where they are (presets.ts, ecosystem.ts).
      define: { 'import.meta.url': '__pm2mcpUrl' },
      banner: { js: "const __pm2mcpUrl = require('node:url').pathToFileURL(__filename).href;" },
      sourcemap: release ? false : 'linked',
      minify: true,
      metafile: true,
      plugins: [withoutSdkDefaultValidator(), cosmiconfigImportsThroughLauncher()],
    }),
    // The library entry, for configs: `import` and `require` each get a file of their own.
    build({ ...COMMON, entryPoints: ['src/index.ts'], outfile: `${out}/index.mjs`, format: 'esm' }),
    build({ ...COMMON, entryPoints: ['src/index.ts'], outfile: `${out}/index.cjs`, format: 'cjs' }),
  ]);
  const declarations = libraryDeclarations('src/index.ts');
  const [server] = await bundles;
  refuseWholeZod(server.metafile);
  refuseStrayImports(await readFile(`${out}/server.cjs`, 'utf8'));
  await build({ ...COMMON, entryPoints: ['src/launcher.ts'], outfile: `${out}/cli.js`, format: 'cjs', minify: true });
  await chmod(`${out}/cli.js`, 0o755);
  // In dist/, .js is CommonJS (the launcher); the ES library entry is index.mjs.
  await writeFile(`${out}/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
  await writeFile(`${out}/index.d.mts`, declarations);
  await writeFile(`${out}/index.d.cts`, declarations);
  await warmCodeCache(out);
  const old = `.dist-old-${process.pid}`;
  await rename('dist', old).catch(() => undefined);
  await rename(out, 'dist');
  await rm(old, { recursive: true, force: true });
} finally {
  // Whatever failed, esbuild is done writing into `out` before it is removed.
  await bundles?.catch(() => undefined);
  await rm(out, { recursive: true, force: true });
}

/**
 * One session of the built server (initialize, tools/list) in empty, temporary homes, so that the
 * launcher writes the code cache for this Node as it exits: the first real start is as fast as
 * the next. A server that cannot answer initialize fails the build. Not shipped (package.json
 * `files`): a user's Node writes its own at the first start.
 */
async function warmCodeCache(dir) {
  const home = await mkdtemp(join(tmpdir(), 'pm2mcp-build-'));
  try {
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'build', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    const env = { ...process.env, PM2_HOME: join(home, 'pm2'), PM2_MCP_HOME: join(home, 'pm2-mcp') };
    delete env.PM2_MCP_CODE_CACHE;
    const child = spawn(process.execPath, [resolve(dir, 'cli.js')], { cwd: home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      // The tools/list answer is in: the client leaves, as a client does.
      if (/"id":2[,}]/.test(stdout)) child.stdin.end();
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    if (code !== 0 || !stdout.includes('"id":2')) throw new Error(`build: the built server did not answer initialize and tools/list (exit ${code}): ${stderr}${stdout.slice(0, 500)}`);
    if (!readdirSync(dir).some((f) => f.endsWith('.v8cache'))) throw new Error('build: the launcher wrote no code cache (src/launcher.ts)');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * An import() left in the bundle fails once the bundle runs from the code cache (Node 20), and only
 * then: the two hand-overs (src/dynamic-import.ts, cosmiconfig's loaders) are the only ones allowed.
 */
function refuseStrayImports(text) {
  const sites = [...text.matchAll(/\bimport\(/g)].map((m) => text.slice(Math.max(0, m.index - 60), m.index + 30));
  const handOvers = sites.filter((site) => site.includes('__pm2mcpImport'));
  if (sites.length === 2 && handOvers.length === 2) return;
  throw new Error(`build: the bundle has ${sites.length} import() calls, and only the 2 hand-overs to the launcher may be there: use importModule (src/dynamic-import.ts) for a module Node loads at run time.\n${sites.join('\n')}`);
}

/**
 * `import { z } from 'zod'` hands over zod's namespace as one value, which the bundler cannot
 * cut down: every locale and converter of zod (some 370 KB) comes along and is parsed at every
 * start. `import * as z from 'zod'` is the same API, and only what is used is bundled.
 */
function refuseWholeZod(metafile) {
  const bundled = Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
  const locales = bundled.filter((p) => /node_modules\/zod\/v4\/locales\/(?!(en|index)\.js$)/.test(p));
  if (locales.length === 0) return;
  const files = sourceFiles('src').filter((f) => /^import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*'zod'/m.test(readFileSync(f, 'utf8')));
  throw new Error(`build: all of zod's locales (${locales.length} files) are in the bundle. Write \`import * as z from 'zod'\`, not \`import { z } from 'zod'\`${files.length ? `, in ${files.join(', ')}` : ''}.`);
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
