// MCP prompts: the steps an operator would take, for an agent to follow (clients such as Claude
// Code show them as slash commands). A prompt runs nothing: each step is a tool call that goes
// through the gate like any other. A prompt is listed only when the policy lets its tools be
// called, so no prompt walks an agent into refusals.
import type { ToolName } from '../model/tools.js';

export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  /** The tools its steps call: every one must be visible for the prompt to be listed. */
  uses: readonly ToolName[];
  text(process: string): string;
}

/** As long as a process argument of the tools may be. */
export const PROMPT_ARGUMENT_MAX = 200;

/** The process as the agent should pass it: a pm_id given as digits is a number. */
function asArgument(process: string): string {
  return /^\d{1,7}$/.test(process) ? process : JSON.stringify(process);
}

export const PROMPTS: readonly PromptDefinition[] = [
  {
    name: 'diagnose',
    title: 'Diagnose a pm2 process',
    description: 'Finds out why a process is in its state (crash, restart loop, memory restarts, silence) from facts, and says what to do next. Changes nothing.',
    uses: ['pm2_diagnose_process', 'pm2_tail_logs'],
    text: (p) => {
      const arg = asArgument(p);
      return [
        `Diagnose the pm2 process ${arg}. Change nothing: no start, restart, stop or delete unless I ask for it.`,
        `1. Call pm2_diagnose_process with {"process": ${arg}}.`,
        '2. Read its findings: each names its source. A restart loop, an errored status or error entries mean the cause is in the error log.',
        `3. When the error entries do not show the whole error, call pm2_tail_logs with {"process": ${arg}, "type": "err", "lines": 100}.`,
        '4. Answer in a few lines: the state, the cause as the facts show it (quote the error line), and the next step the diagnosis gives, with its reason.',
      ].join('\n');
    },
  },
  {
    name: 'restart-safely',
    title: 'Restart a pm2 process safely',
    description: 'Describes the process, restarts it waiting until it is ready, and reads its errors if it does not come back.',
    uses: ['pm2_describe_process', 'pm2_restart_process', 'pm2_tail_logs'],
    text: (p) => {
      const arg = asArgument(p);
      return [
        `Restart the pm2 process ${arg} safely.`,
        `1. Call pm2_describe_process with {"process": ${arg}}. Note its status, restarts, script and cwd, and the port it listens on if its args or env names show one.`,
        `2. Call pm2_restart_process with {"process": ${arg}, "waitUntil": "ready", "readyPort": <that port>} when you know the port; otherwise with {"process": ${arg}, "waitUntil": "online"}.`,
        `3. If the reply is an error (NOT_ONLINE, NOT_READY): call pm2_tail_logs with {"process": ${arg}, "type": "err", "lines": 50} and report the cause from those lines. Do not restart it again without asking me.`,
        '4. Otherwise report what the reply says: online since when, ready after how long, per instance.',
      ].join('\n');
    },
  },
];

/** The prompts whose tools are all visible under the policy. */
export function visiblePrompts(hidden: ReadonlySet<string>): PromptDefinition[] {
  return PROMPTS.filter((p) => p.uses.every((t) => !hidden.has(t)));
}
