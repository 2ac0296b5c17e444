// Shared test plumbing: where the real MCP servers and the fixture live, waiting on events with a
// deadline (never fixed sleeps), pid checks, and loopback HTTP servers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURE_SERVER = fileURLToPath(new URL('./fixtures/fixture-server.js', import.meta.url));
const serverPkg = (name: string) => join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', name, 'dist', 'index.js');
export const EVERYTHING_SERVER = serverPkg('server-everything');
export const FILESYSTEM_SERVER = serverPkg('server-filesystem');
export const MEMORY_SERVER = serverPkg('server-memory');

export function tempDir(prefix = 'vmlx-mcp-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a value other than undefined/null/false, or fails at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false, deadlineMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resolves on the first event for which `match` returns true. `subscribe` registers the listener and
 * returns an unsubscribe function.
 */
export function nextEvent<E>(
  what: string,
  subscribe: (listener: (e: E) => void) => () => void,
  match: (e: E) => boolean,
  deadlineMs = 10_000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, deadlineMs);
    const off = subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** server-everything in 'sse' or 'streamableHttp' mode on a loopback port; resolves once it listens. */
export async function startEverythingHttp(mode: 'sse' | 'streamableHttp'): Promise<{ url: string; port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_SERVER, mode], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything ${mode} did not start: ${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/running on port|listening on port/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything ${mode} exited (${code}): ${out}`));
    });
  });
  const path = mode === 'sse' ? '/sse' : '/mcp';
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A process as `ps` sees it: pid, parent and command line. */
export interface PsRow {
  pid: number;
  ppid: number;
  stat: string;
  args: string;
}

/**
 * Descendants of `root` with their depth (1 = child), from `ps` rather than from the code under test's
 * own /proc walker. Zombies are left out: they are dead and hold nothing.
 */
export function psDescendants(root: number): Array<PsRow & { depth: number }> {
  const rows = psAll();
  const found: Array<PsRow & { depth: number }> = [];
  let level = [root];
  for (let depth = 1; level.length; depth++) {
    const next = rows.filter((r) => level.includes(r.ppid));
    found.push(...next.map((r) => ({ ...r, depth })));
    level = next.map((r) => r.pid);
  }
  return found;
}

/** Every process except zombies, from `ps`. */
export function psAll(): PsRow[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3]!, args: m[4]! }))
    .filter((r) => !r.stat.startsWith('Z'));
}

/** The pid runs and is not a zombie (an orphan re-parented to a non-reaping pid 1 can stay a zombie). */
export function isRunningPid(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
