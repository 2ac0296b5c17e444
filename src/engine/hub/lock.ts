// A lock file per blob, so that two vmlx processes pulling the same model do not write the same .incomplete file:
// the first creates <etag>.vmlx.lock exclusively (with its pid), the other waits and then finds the finished blob.
// Node has no flock(), so a lock whose pid is no longer alive (a killed pull) is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const POLL_MS = 200;

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryAcquire(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner = NaN;
  try {
    owner = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return false; // released between our create and read: try again
  }
  if (!pidAlive(owner) && owner !== process.pid) rmSync(path, { force: true });
  return false;
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: { onWait?: () => void; signal?: AbortSignal } = {}): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let waited = false;
  while (!tryAcquire(path)) {
    if (!waited) opts.onWait?.();
    waited = true;
    opts.signal?.throwIfAborted();
    await delay(POLL_MS, undefined, opts.signal ? { signal: opts.signal } : undefined);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
