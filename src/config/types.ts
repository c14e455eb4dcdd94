// The shape of pm2-mcp.config.* — the public contract. Key names here are public: extend them,
// never rename them. schemas/pm2-mcp.config.schema.json validates the same shape.

import type { ToolEffect, ToolName } from '../model/tools.js';


export interface Pm2McpConfig {
  $schema?: string;
  /** A preset name (readonly, strict, standard, permissive) or a path relative to this file. */
  extends?: string;
  /** enforce: denials are refused. audit: a dry run; what would be denied runs, logged as would_deny. */
  mode?: 'enforce' | 'audit';
  /** Per-tool effect; destructive tools are opt-in. */
  tools?: Partial<Record<ToolName, ToolEffect>>;
  start?: {
    /** Globs over the REAL path of the script (symlinks resolved), relative to the config's folder. */
    scripts?: string[];
    /** Globs over real script paths refused even when scripts allows them (deny beats allow). */
    scriptsExclude?: string[];
    /** Globs over the real path of the working folder; "." is the config's folder itself. */
    cwd?: string[];
    /** Interpreter names (resolved on the server's PATH), absolute paths or globs, "none", or "*". */
    interpreters?: string[];
    /** Globs each interpreter argument (node_args / interpreter_args) must match. */
    interpreterArgs?: string[];
    /** Ecosystem files that may be started (globs over real paths); a .js file only when named exactly. */
    ecosystemFiles?: string[];
    env?: {
      /** Globs over variable names an app may be given. */
      allow?: string[];
      /** Globs over names that are refused even when allowed (deny beats allow). */
      deny?: string[];
      /** Names of the server's own variables handed on to every started app. */
      passThrough?: string[];
    };
    /** Where out_file / error_file / log_file may point (globs over real paths). */
    logFiles?: string[];
    maxInstances?: number;
    /** May a start turn on watch mode? */
    watch?: boolean;
    /**
     * Glob over real script paths → interpreter names that may run them, where the extension
     * does not say (an extensionless file) or says otherwise. Still bound by `interpreters`.
     */
    runWith?: Record<string, string[]>;
  };
  /** Which processes mutating tools may touch. */
  processes?: {
    /** Globs over process names in scope. */
    names?: string[];
    /** Globs over namespaces in scope. */
    namespaces?: string[];
    /** Is a process whose cwd lies inside the config's folder in scope? */
    inRoot?: boolean;
    /** May a call target "all"? */
    allowAll?: boolean;
    /** May restart/reload copy the server's environment into an app (updateEnv)? */
    updateEnv?: boolean;
    /** The most processes the agent's starts may have created and not yet deleted (every instance counts). */
    max?: number;
  };
  output?: { redactEnv?: boolean };
  logs?: { maxLines?: number };
  audit?: { enabled?: boolean; file?: string; maxBytes?: number; fsync?: boolean | 'always' };
  http?: {
    tokens?: Array<{ name: string; sha256: string; extends?: string }>;
    allowedHosts?: string[];
    allowedOrigins?: string[];
    /** An HTTP session idle this long is closed (default 1800 s). */
    sessionIdleSeconds?: number;
    /** The most concurrent sessions; beyond it 503 with Retry-After (default 100). */
    maxSessions?: number;
    /** The largest request body; larger is 413 (default 1 MiB). */
    maxBodyBytes?: number;
  };
}

/** For typed configs: `export default defineConfig({ extends: 'strict', … })`. */
export function defineConfig(config: Pm2McpConfig): Pm2McpConfig {
  return config;
}
