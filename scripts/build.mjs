// Bundles the CLI into a few ESM files so that start-up reads them instead of hundreds.
// pm2 stays external: it is loaded lazily, only when the first tool call needs it, and it
// resolves its own files (Daemon.js, ProcessContainer.js) from node_modules at run time. What is
// bundled is a devDependency; what stays external is a dependency (pm2) or optional (typescript).
// The build goes to a folder of its own and replaces dist/ by renames at the end, so a server
// or test started from dist/ meanwhile never sees it half written.
//
//   node scripts/build.mjs             dist/ with linked source maps (node --enable-source-maps)
//   node scripts/build.mjs --release   no source maps: what `npm pack` and `npm publish` ship
import { build } from 'esbuild';
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

const out = `.dist-build-${process.pid}`;
await rm(out, { recursive: true, force: true });
let bundles;
try {
  // esbuild works in a process of its own: the declarations are made meanwhile, here.
  bundles = Promise.all([
    build({
      ...COMMON,
      entryPoints: { cli: 'src/cli.ts' },
      outdir: out,
      // Dynamic imports (cosmiconfig, the yaml package, the HTTP transport …) become chunks loaded
      // only when needed: start-up parses only what answering initialize needs.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      sourcemap: release ? false : 'linked',
      minify: true,
      metafile: true,
      plugins: [withoutSdkDefaultValidator()],
      // Bundled CommonJS code (ajv, inside the SDK) calls require() for Node built-ins.
      banner: {
        js: [
          "import { createRequire as __pm2mcpCreateRequire } from 'node:module';",
          "import { fileURLToPath as __pm2mcpFileURLToPath } from 'node:url';",
          'const require = __pm2mcpCreateRequire(import.meta.url);',
          'const __filename = __pm2mcpFileURLToPath(import.meta.url);',
          "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
        ].join(' '),
      },
    }),
    // The library entry, for configs: `import` and `require` each get a file of their own.
    build({ ...COMMON, entryPoints: ['src/index.ts'], outfile: `${out}/index.js`, format: 'esm' }),
    build({ ...COMMON, entryPoints: ['src/index.ts'], outfile: `${out}/index.cjs`, format: 'cjs' }),
  ]);
  const declarations = libraryDeclarations('src/index.ts');
  const [cli] = await bundles;
  refuseWholeZod(cli.metafile);
  await chmod(`${out}/cli.js`, 0o755);
  await writeFile(`${out}/index.d.ts`, declarations);
  await writeFile(`${out}/index.d.cts`, declarations);
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
 * `import { z } from 'zod'` hands over zod's namespace as one value, which the bundler cannot
 * cut down: every locale and converter of zod (some 370 KB) comes along and is parsed at every
 * start. `import * as z from 'zod'` is the same API, and only what is used is bundled.
 */
function refuseWholeZod(metafile) {
  const bundled = Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
  const locales = bundled.filter((p) => /node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(p));
  if (locales.length === 0) return;
  const files = sourceFiles('src').filter((f) => /^import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*'zod'/m.test(readFileSync(f, 'utf8')));
  throw new Error(`build: all of zod's locales (${locales.length} files) are in the bundle. Write \`import * as z from 'zod'\`, not \`import { z } from 'zod'\`${files.length ? `, in ${files.join(', ')}` : ''}.`);
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
