// Hints for a refusal by a deny list (start.env.deny, start.scriptsExclude). Those lists
// accumulate down the extends chain (src/config/merge.ts): a pattern the preset brings stays
// whatever a config says, so the hint must not tell the owner to remove it. It says so, and
// what to do instead; a pattern a config file added is removed from that file.
import type { CompiledPolicy } from './compile.js';
import { configName } from './decision.js';
import { nameMatcher, pathMatcher } from './globs.js';

/** The config files of the chain that may list the pattern (presets are labelled "preset …"). */
function listedIn(policy: CompiledPolicy): string {
  const files = policy.sources.filter((s) => !s.startsWith('preset '));
  if (files.length <= 1) return configName(policy);
  return `the file of the chain that lists it (${[...files].reverse().join(', ')})`;
}

export function envDenyHint(name: string, policy: CompiledPolicy): string {
  const pattern = policy.start.env.deny.patterns.find((p) => nameMatcher([p]).test(name)) ?? name;
  if (policy.fromPreset.envDeny.has(pattern)) {
    return (
      `the ${policy.preset} preset denies "${pattern}", and no config removes a preset's deny pattern (extending it only adds to the list): ` +
      `to hand the app ${name}, set it in the server's own environment and add "${name}" to start.env.passThrough in ${configName(policy)}, the operator's choice rather than the agent's`
    );
  }
  return `remove "${pattern}" from start.env.deny in ${listedIn(policy)}`;
}

export function scriptsExcludeHint(script: string, policy: CompiledPolicy): string {
  const pattern = policy.start.scriptsExclude.patterns.find((p) => pathMatcher([p], policy.root).test(script)) ?? script;
  if (policy.fromPreset.scriptsExclude.has(pattern)) {
    return (
      `the ${policy.preset} preset excludes "${pattern}", and no config removes a preset's exclusion (extending it only adds to the list): ` +
      `start a script of the project (outside node_modules and dot folders) that runs this one, and allow that script in start.scripts of ${configName(policy)}`
    );
  }
  return `remove "${pattern}" from start.scriptsExclude in ${listedIn(policy)}`;
}
