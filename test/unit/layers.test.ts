// The layer boundaries of eslint.config.js bite: a snippet that crosses one, linted as if it were a
// file of that folder, is an error, and the imports each layer may make are not. Without this a
// rule whose pattern stopped matching (a typo, a moved folder) would pass every lint in silence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from '../helpers/harness.js';

// The boundaries need no types: the type-aware rules are off here, so that a probe file which is
// not on disk needs no TypeScript program (and the test takes a second, not a type-check).
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
});

/** The no-restricted-imports messages of `code` linted as `file` (relative to the project). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  assert.ok(result, `no lint result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${file} did not parse`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2).map((m) => m.message);
}

const SDK = "import { Server } from '@modelcontextprotocol/sdk/server/index.js';\n";

describe('src/policy/ is pure', () => {
  const refused: Array<[string, string]> = [
    ['node:fs', "import { readFileSync } from 'node:fs';\n"],
    ['node:fs/promises', "import { readFile } from 'node:fs/promises';\n"],
    ['fs (no node: prefix)', "import { statSync } from 'fs';\n"],
    ['../pm2/', "import { createPm2Adapter } from '../pm2/adapter.js';\n"],
    ['../server/', "import { dispatch } from '../server/dispatch.js';\n"],
    ['../config/', "import { loadConfig } from '../config/load.js';\n"],
    ['../config/ (a type only)', "import type { Pm2McpConfig } from '../config/types.js';\n"],
    ['../audit/', "import { AuditLog } from '../audit/audit-log.js';\n"],
    ['../commands/', "import { loadPolicy } from '../commands/load-policy.js';\n"],
    ['../transport/', "import { serveStdio } from '../transport/stdio.js';\n"],
    ['a re-export from ../pm2/', "export { resolveTarget } from '../pm2/targets.js';\n"],
    ['the MCP SDK', SDK],
  ];
  for (const [what, code] of refused) {
    test(`refuses ${what}`, async () => {
      assert.equal((await boundaryErrors('src/policy/probe.ts', code)).length, 1, code);
    });
  }

  test('a file in a folder below src/policy/ is held to the same rules', async () => {
    assert.equal((await boundaryErrors('src/policy/rules/probe.ts', "import { AuditLog } from '../../audit/audit-log.js';\n")).length, 1);
  });

  test('allows src/model/, node:path, its own modules and libraries', async () => {
    const code = [
      "import type { CanonicalRequest } from '../model/requests.js';",
      "import { TOOL_NAMES } from '../model/tools.js';",
      "import { resolve } from 'node:path';",
      "import { nameMatcher } from './globs.js';",
      "import { Minimatch } from 'minimatch';",
      '',
    ].join('\n');
    assert.deepEqual(await boundaryErrors('src/policy/probe.ts', code), []);
  });
});

describe('only src/server/ and src/transport/ import the MCP SDK', () => {
  for (const file of ['src/cli.ts', 'src/commands/probe.ts', 'src/pm2/probe.ts', 'src/config/probe.ts', 'src/audit/probe.ts', 'src/model/probe.ts', 'src/policy/probe.ts']) {
    test(`${file} may not`, async () => {
      const errors = await boundaryErrors(file, SDK);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /Only src\/server\/ and src\/transport\/ import the MCP SDK/);
    });
    test(`${file} may not, by the package's root either`, async () => {
      assert.equal((await boundaryErrors(file, "import * as sdk from '@modelcontextprotocol/sdk';\n")).length, 1);
    });
  }
  for (const file of ['src/server/probe.ts', 'src/server/tools/probe.ts', 'src/transport/probe.ts', 'test/unit/probe.test.ts', 'bench/probe.ts']) {
    test(`${file} may`, async () => {
      assert.deepEqual(await boundaryErrors(file, SDK), []);
    });
  }
  test('src/server/ may read files and import pm2/ (the boundaries are src/policy/\'s alone)', async () => {
    assert.deepEqual(await boundaryErrors('src/server/probe.ts', "import { readFileSync } from 'node:fs';\nimport { createPm2Adapter } from '../pm2/adapter.js';\n"), []);
  });
});

describe('promises in src/ are awaited or handled', () => {
  test('no-floating-promises and no-misused-promises are errors for every file of src/', async () => {
    const checker = new ESLint({ cwd: ROOT });
    for (const file of ['src/cli.ts', 'src/server/dispatch.ts', 'src/policy/evaluate.ts', 'src/transport/http.ts']) {
      const config = (await checker.calculateConfigForFile(join(ROOT, file))) as { rules: Record<string, unknown[]> };
      for (const rule of ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']) {
        assert.equal(config.rules[rule]?.[0], 2, `${rule} is not an error for ${file}`);
      }
    }
  });
});
