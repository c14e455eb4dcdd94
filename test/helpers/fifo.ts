// FIFOs for log-file attack tests: made with mkfifo(1), which not every machine has.
import { execFileSync } from 'node:child_process';

export const hasMkfifo = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v mkfifo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
