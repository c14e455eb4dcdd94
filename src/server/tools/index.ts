// The registry: every tool defined in these modules, in the order of the catalog
// (src/model/tools.ts), which is the order tools/list shows them. A tool added to one of these
// modules and named in the catalog is served; one missing from either, or whose readOnlyHint
// disagrees with the catalog, makes this module throw as it loads (after initialize: see loadTools
// in src/server/create-server.ts), and test/unit/tool-catalog.test.ts fails.
import { TOOL_CATALOG, TOOL_NAMES } from '../../model/tools.js';
import type { AnyTool } from '../operation.js';
import * as daemon from './daemon.js';
import * as diagnose from './diagnose.js';
import * as lifecycle from './lifecycle.js';
import * as logs from './logs.js';
import * as read from './read.js';
import * as tail from './tail.js';

const MODULES: readonly Record<string, unknown>[] = [read, diagnose, tail, lifecycle, logs, daemon];

function isTool(value: unknown): value is AnyTool {
  return typeof value === 'object' && value !== null && 'name' in value && 'execute' in value && 'resolve' in value && 'annotations' in value;
}

function registry(): AnyTool[] {
  const defined = MODULES.flatMap((m) => Object.values(m).filter(isTool));
  const unknown = defined.filter((t) => !(TOOL_NAMES as readonly string[]).includes(t.name)).map((t) => t.name);
  if (unknown.length) throw new Error(`tools defined but not in the catalog (src/model/tools.ts): ${unknown.join(', ')}`);
  return TOOL_NAMES.map((name) => {
    const found = defined.filter((t) => t.name === name);
    if (found.length !== 1) throw new Error(`the catalog's tool ${name} has ${found.length} definitions (expected 1)`);
    const readOnly = TOOL_CATALOG.find((row) => row.name === name)!.readOnly;
    if (found[0]!.annotations.readOnlyHint !== readOnly) throw new Error(`the catalog says ${name} is ${readOnly ? '' : 'not '}read-only; its readOnlyHint says otherwise`);
    return found[0]!;
  });
}

export const TOOLS: readonly AnyTool[] = registry();
