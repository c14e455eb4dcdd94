// The policy while the server runs: every file of the config chain is watched; on a change the
// chain is loaded and checked again. An invalid config keeps the last good policy (and says so);
// a valid one replaces it between calls — a call takes its gate once, as it begins, so a call in
// flight finishes under the policy it started with.
//
// The folders are watched, not the files: editors save by writing a new file and renaming it
// over the old one, which a watch on the old file never sees.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorMessage } from '../errors.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { realOrUndefined } from '../real-path.js';
import { loadPolicy, type PolicyOptions } from './load-policy.js';
import { tokenNarrowings, tokenPresetFiles } from './tokens.js';

/** Edits come in bursts (write, rename, chmod): one reload after the last of them. */
const SETTLE_MS = 150;

export interface PolicyChange {
  before: CompiledPolicy;
  after: CompiledPolicy;
}

export interface LivePolicyHooks {
  /** Called between calls with the new policy; its effects (notices, records) are the caller's. */
  changed(change: PolicyChange): void | Promise<void>;
  /** The chain no longer loads: the old policy stays. */
  invalid(message: string): void;
}

/**
 * The config files of a policy's chain (the presets inside the package are not the user's to
 * edit), and the files HTTP tokens' presets extend.
 */
export function watchedFiles(policy: CompiledPolicy): string[] {
  const files = [...policy.sources.filter((s) => s.startsWith('/')), ...tokenPresetFiles(policy)];
  // A config that is a link is edited where it leads: that file is watched too.
  return [...new Set(files.flatMap((f) => [f, realOrUndefined(f) ?? f]))];
}

/**
 * The files of the tokens' presets, each with the chain it extends (a preset file may extend
 * another): what a token's narrowing is read from.
 */
async function tokenChainFiles(policy: CompiledPolicy): Promise<string[]> {
  const narrowings = await tokenNarrowings(policy).catch(() => new Map<string, CompiledPolicy | undefined>());
  const files = [...tokenPresetFiles(policy)];
  for (const n of narrowings.values()) if (n) files.push(...n.sources.filter((s) => s.startsWith('/')));
  return [...new Set(files.flatMap((f) => [f, realOrUndefined(f) ?? f]))];
}

/** The bytes of the tokens' preset files: a change there changes no policy record, but a token's narrowing. */
function filesDigest(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(f).update('\0');
    try {
      hash.update(readFileSync(f));
    } catch {
      hash.update('(unreadable)');
    }
  }
  return hash.digest('hex');
}

export class LivePolicy {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private current: CompiledPolicy,
    private readonly options: PolicyOptions,
    private readonly hooks: LivePolicyHooks,
    private readonly sameAs: (a: CompiledPolicy, b: CompiledPolicy) => boolean,
  ) {
    this.watchFiles(watchedFiles(current));
    this.presets = filesDigest([]);
    // The tokens' preset chains are found by loading them: watched as soon as they are known.
    void tokenChainFiles(current).then((files) => {
      if (this.closed || this.current !== current) return;
      this.tokenFiles = files;
      this.presets = filesDigest(files);
      this.watchFiles(watchedFiles(current));
    });
  }

  private presets: string;
  private tokenFiles: string[] = [];

  get policy(): CompiledPolicy {
    return this.current;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Loads the chain again now (also what a change of a watched file leads to). */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.load().finally(() => {
      this.reloading = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    let next: CompiledPolicy;
    try {
      next = await loadPolicy(this.options);
    } catch (err) {
      if (!this.closed) this.hooks.invalid(errorMessage(err));
      return;
    }
    if (this.closed) return;
    // A config file that is gone is no change to "no config" (the standard preset): it is a
    // config that does not load (an editor or a git checkout deletes and writes it again).
    if (this.current.configFile !== undefined && next.configFile === undefined) {
      this.hooks.invalid(`${this.current.configFile} is gone`);
      return;
    }
    // The chain may have gained or lost a file (a new "extends"), whether or not the policy changed.
    this.tokenFiles = await tokenChainFiles(next);
    this.watchFiles(watchedFiles(next));
    const presets = filesDigest(this.tokenFiles);
    if (this.sameAs(next, this.current) && presets === this.presets) return;
    const before = this.current;
    this.current = next;
    this.presets = presets;
    await this.hooks.changed({ before, after: next });
  }

  private watchFiles(chain: readonly string[]): void {
    const files = [...new Set([...chain, ...this.tokenFiles])];
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const byFolder = new Map<string, Set<string>>();
    for (const f of files) {
      const names = byFolder.get(dirname(f)) ?? new Set<string>();
      names.add(basename(f));
      byFolder.set(dirname(f), names);
    }
    for (const [folder, names] of byFolder) {
      try {
        const w = watch(folder, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.soon();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // A folder that cannot be watched: its changes are not seen (said at start by the caller).
      }
    }
  }

  private soon(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
    this.timer.unref();
  }
}
