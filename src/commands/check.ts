// `pm2-mcp check`: load and validate the config as `serve` would, then show what was found, what
// was merged, the effective policy and hints about globs that match nothing. Exit code 0 when the
// config is usable, 2 when it is not; other failures propagate to the CLI.
import { ConfigError } from '../errors.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import { globWarnings } from '../config/warnings.js';
import { LIMIT_DEFAULTS } from '../model/config.js';
import { limitText } from '../server/limits.js';

export async function check(opts: LoadOptions, out: (s: string) => void): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      out(err.message);
      return 2;
    }
    throw err;
  }
  const warnings = await globWarnings(loaded.config, loaded.root);
  out(`Config: ${loaded.configFile ?? `none (preset ${loaded.preset})`}`);
  out(`Root: ${loaded.root}`);
  // A refused root is why the preset is readonly: said next to the root, not only by serve.
  if (loaded.rootRefused !== undefined) out(`Root refused: ${loaded.rootRefused}`);
  out('Sources:');
  for (const source of loaded.sources) out(`  - ${source}`);
  out('Effective policy:');
  out(JSON.stringify(loaded.config, null, 2));
  // The limits in words, when there are any: the JSON above says them only as numbers.
  const limits = Object.entries(loaded.config.limits ?? {}).filter(([, limit]) => limit !== undefined);
  if (limits.length > 0) {
    out('Limits (counted across every session of a server):');
    for (const [tool, limit] of limits) out(`  - ${tool}: ${limitText({ ...limit, per: limit.per ?? LIMIT_DEFAULTS.per })}`);
  }
  if (warnings.length === 0) {
    out('Warnings: none');
  } else {
    out('Warnings:');
    for (const w of warnings) out(`  - ${w}`);
  }
  return 0;
}
