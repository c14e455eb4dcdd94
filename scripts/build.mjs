// Bundles the CLI into one ESM file so that start-up reads one file instead of hundreds.
// pm2 stays external: it is loaded lazily, only when the first tool call needs it, and it
// resolves its own files (Daemon.js, ProcessContainer.js) from node_modules at run time.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['pm2'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS code (ajv, inside the SDK) calls require() for Node built-ins.
  banner: { js: "import { createRequire as __pm2mcpCreateRequire } from 'node:module'; const require = __pm2mcpCreateRequire(import.meta.url);" },
});
await chmod('dist/cli.js', 0o755);
