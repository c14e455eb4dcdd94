// A small tmpfs for a full or read-only disk, where the machine allows it (root with mount(8));
// elsewhere the test is skipped with the reason. Unmounted when the test ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  readOnly: () => void;
}

interface TestContext {
  skip: (why: string) => void;
  after: (fn: () => void) => void;
}

export function mountTmpfs(t: TestContext, bytes: number): Tmpfs | undefined {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a small tmpfs (a full or read-only disk)');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pm2mcp-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`this machine cannot mount a tmpfs: ${String((err as Error).message).split('\n')[0]}`);
    return undefined;
  }
  t.after(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return { dir, readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }) };
}
