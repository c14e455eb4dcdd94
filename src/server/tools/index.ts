// Every tool, in the order tools/list shows them.
import type { AnyTool } from '../operation.js';
import { dump, killDaemon } from './daemon.js';
import { deleteProcess, reloadProcess, restartProcess, startProcess, stopProcess } from './lifecycle.js';
import { flushLogs, reloadLogs } from './logs.js';
import { describeProcess, listProcesses, tailLogs } from './read.js';

export const TOOLS: readonly AnyTool[] = [
  listProcesses,
  describeProcess,
  startProcess,
  restartProcess,
  reloadProcess,
  stopProcess,
  deleteProcess,
  flushLogs,
  reloadLogs,
  dump,
  tailLogs,
  killDaemon,
];
