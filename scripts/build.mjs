// Bundles the CLI into one ESM file so that start-up reads one file instead of hundreds.
// pm2 stays external: it is loaded lazily, only when the first tool call needs it, and it
// resolves its own files (Daemon.js, ProcessContainer.js) from node_modules at run time.
// The build goes to a folder of its own and replaces dist/ by renames at the end, so a server
// or test started from dist/ meanwhile never sees it half written.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmod, rename, rm } from 'node:fs/promises';

const out = `.dist-build-${process.pid}`;
await rm(out, { recursive: true, force: true });
try {
  await build({
    entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
    outdir: out,
    bundle: true,
    // Dynamic imports (cosmiconfig, the yaml package) become chunks loaded only when needed.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // typescript: cosmiconfig imports it only to read a .ts config, from the user's install.
    external: ['pm2', 'typescript'],
    sourcemap: 'linked',
    legalComments: 'none',
    minify: true,
    logLevel: 'warning',
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
  });
  await chmod(`${out}/cli.js`, 0o755);
  // Declarations for the library entry (defineConfig and the config type), for typed configs.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json', '--outDir', `${out}/types`], { stdio: 'inherit' });
  const old = `.dist-old-${process.pid}`;
  await rename('dist', old).catch(() => undefined);
  await rename(out, 'dist');
  await rm(old, { recursive: true, force: true });
} finally {
  await rm(out, { recursive: true, force: true });
}
