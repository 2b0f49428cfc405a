// Whether a process of this host still exists: how a lock or a run left by a dead process is told
// from one whose owner is still working. A pid alone can be reused by an unrelated process after
// a reboot or a long uptime, so where Linux tells a process's start time (/proc/PID/stat, field
// 22, in clock ticks since boot) the owner is recorded as pid and start time, and both must match.
import { readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's start time in clock ticks since boot, or null where /proc does not tell. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

/** This owner (pid and start time, as written by ownerToken) is still the same running process. */
export function ownerAlive(token: string): boolean {
  const [pidText, started] = token.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  if (!started) return true; // written where start times are unknown: trust the pid
  const now = processStartTime(pid);
  return now === null || now === started;
}

/** What a lock file records of its owner: "pid starttime", or "pid" where /proc is absent. */
export function ownerToken(pid = process.pid): string {
  const started = processStartTime(pid);
  return started === null ? String(pid) : `${pid} ${started}`;
}
