// Whether a process of this host still exists: how a lock or a run left by a dead process is told
// from one whose owner is still working.
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
