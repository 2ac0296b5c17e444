// The whole process tree of a stdio server. `npx -y pkg` runs npx → sh → node: the server is a
// grandchild, and once npx exits (or is killed) it is re-parented and no ppid link leads to it any more.
// So descendants are recorded while the links exist (at connect, then periodically, and before close),
// and every recorded process still running is terminated on close or after a crash. The SDK's stdio
// transport cannot make the child a process-group leader, so groups are not an option.
//
// Each process is identified by pid *and* start time (field 22 of /proc/PID/stat), so a pid reused by an
// unrelated process after ours exited is never signalled. Without /proc (not Linux) only the direct child
// is tracked, by pid.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcessRef {
  pid: number;
  /** Start time in clock ticks since boot; '' where /proc is unavailable. */
  startTime: string;
}

interface ProcStat {
  ppid: number;
  state: string;
  startTime: string;
}

const HAS_PROC = existsSync('/proc/self/stat');
const POLL_MS = 20;

function readStat(pid: number): ProcStat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  if (!Number.isInteger(ppid) || startTime === undefined) return undefined;
  return { ppid, state: fields[0] ?? '?', startTime };
}

/** The process as `ref` knew it is still running (zombies count as gone: they cannot run or hold pipes). */
export function isRunning(ref: ProcessRef): boolean {
  if (!HAS_PROC) {
    try {
      process.kill(ref.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const stat = readStat(ref.pid);
  return stat !== undefined && stat.startTime === ref.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export function processRef(pid: number): ProcessRef | undefined {
  if (!HAS_PROC) return { pid, startTime: '' };
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? { pid, startTime: stat.startTime } : undefined;
}

/** Every running descendant of the given processes, found by following ppid links through /proc now. */
export function descendantsOf(roots: readonly ProcessRef[]): ProcessRef[] {
  if (!HAS_PROC || roots.length === 0) return [];
  const children = new Map<number, ProcessRef[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const list = children.get(stat.ppid) ?? [];
    list.push({ pid, startTime: stat.startTime });
    children.set(stat.ppid, list);
  }
  const found: ProcessRef[] = [];
  const seen = new Set<number>();
  // Only roots that are still the same process: a reused pid's children are not ours.
  const queue = roots.filter(isRunning).map((r) => r.pid);
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** A stdio server's child and every descendant seen so far. */
export class ProcessTree {
  private readonly known = new Map<number, ProcessRef>();
  readonly root: ProcessRef | undefined;

  constructor(rootPid: number) {
    this.root = processRef(rootPid);
    if (this.root) this.known.set(rootPid, this.root);
    this.refresh();
  }

  /** Records descendants visible now; ones seen earlier stay recorded (they may be orphans by now). */
  refresh(): void {
    for (const ref of descendantsOf([...this.known.values()])) {
      const old = this.known.get(ref.pid);
      if (!old || old.startTime !== ref.startTime) this.known.set(ref.pid, ref);
    }
  }

  rootRunning(): boolean {
    return this.root !== undefined && isRunning(this.root);
  }

  /** Recorded processes still running (the root included). */
  running(): ProcessRef[] {
    return [...this.known.values()].filter(isRunning);
  }

  /** Recorded processes other than the root. */
  descendants(): ProcessRef[] {
    return [...this.known.values()].filter((r) => r.pid !== this.root?.pid);
  }

  /**
   * SIGTERM to every recorded process still running, SIGKILL to those alive after `graceMs`, then waits
   * (bounded) until they are gone. Returns the pids that had to be signalled.
   */
  async terminate(graceMs = 1_000): Promise<number[]> {
    this.refresh();
    const targets = this.running();
    if (targets.length === 0) return [];
    signal(targets, 'SIGTERM');
    const left = await waitGone(targets, graceMs);
    if (left.length) {
      signal(left, 'SIGKILL');
      await waitGone(left, graceMs);
    }
    return targets.map((r) => r.pid);
  }
}

function signal(refs: readonly ProcessRef[], sig: NodeJS.Signals): void {
  for (const ref of refs) {
    if (!isRunning(ref)) continue; // checked right before the signal, so a reused pid is spared
    try {
      process.kill(ref.pid, sig);
    } catch {
      // Gone meanwhile, or not ours to signal.
    }
  }
}

async function waitGone(refs: readonly ProcessRef[], deadlineMs: number): Promise<ProcessRef[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const left = refs.filter(isRunning);
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
