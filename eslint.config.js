import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ─── the layers' boundaries (test/unit/layers.test.ts proves each one bites) ─────────────────
// Only the MCP edge (src/server/, src/transport/) speaks the SDK: everything else is plain
// TypeScript that a test or another transport can drive.
const SDK_ONLY_AT_THE_EDGE = {
  group: ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*'],
  message: 'Only src/server/ and src/transport/ import the MCP SDK.',
};
// The policy is pure: it judges canonical requests (src/model/) and does no I/O, so it reads no
// file and knows neither pm2, the server, the config loader, the audit log, the commands nor a
// transport. What it needs from them reaches it as data.
const POLICY_READS_NO_FILE = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises'].map((name) => ({
  name,
  message: 'src/policy/ is pure: no file I/O (the caller resolves paths and passes facts in).',
}));
const POLICY_OWN_LAYER = {
  regex: '^(\\.\\./)+(pm2|server|config|audit|commands|transport)(/|$)',
  message: 'src/policy/ depends only on src/model/ and pure helpers: not on pm2/, server/, config/, audit/, commands/ or transport/.',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.scratch/', '.dist-*/', '.bench-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // stdout belongs to the MCP protocol; everything human goes to stderr.
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    // Type-aware: a promise nobody awaits can reject with nobody listening (an unhandled
    // rejection ends the server), and an async function where a callback's result is ignored
    // runs unawaited. The types come from tsconfig.json, through the project service. src/ only:
    // type information about doubles the lint's time, and in test/ every node:test test() and
    // describe() returns a promise the runner handles, which these rules would flag by the hundred.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/server/**', 'src/transport/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SDK_ONLY_AT_THE_EDGE] }] },
  },
  {
    // Replaces the rule of the block above for these files (flat config does not merge a rule's
    // options), so it names the SDK again.
    files: ['src/policy/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: POLICY_READS_NO_FILE, patterns: [SDK_ONLY_AT_THE_EDGE, POLICY_OWN_LAYER] }] },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
