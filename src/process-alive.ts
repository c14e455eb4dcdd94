// Is a process alive? kill(pid, 0) delivers nothing and only checks: EPERM means it lives, as
// another user's process.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
