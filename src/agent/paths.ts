// Where vmlx keeps its per-user state: ~/.vmlx unless VMLX_HOME says otherwise.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Record<string, string | undefined>;

/** The vmlx home directory: $VMLX_HOME (resolved to an absolute path) or ~/.vmlx. */
export function vmlxHome(env: Env = process.env): string {
  const override = env.VMLX_HOME;
  if (override && override.trim() !== '') return resolve(override);
  return join(env.HOME && env.HOME !== '' ? env.HOME : homedir(), '.vmlx');
}

/** The user-level MCP config, loaded when --mcp-config is not given (and only if it exists). */
export function defaultMcpConfigPath(env: Env = process.env): string {
  return join(vmlxHome(env), 'mcp.json');
}

/** The SQLite audit log of every attempted tool call. */
export function defaultAuditDbPath(env: Env = process.env): string {
  return join(vmlxHome(env), 'audit.db');
}

/** Per-server stderr logs and other log files. */
export function logDir(env: Env = process.env): string {
  return join(vmlxHome(env), 'logs');
}

/**
 * Creates `dir` (and missing parents) readable by the user only. A directory that already exists keeps its
 * mode unless `tighten` is set: vmlx's own home and logs directories are tightened, a directory the user
 * named (the folder of --audit-db) is not.
 */
export function ensurePrivateDir(dir: string, opts: { tighten?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (opts.tighten) tightenMode(dir, 0o700);
}

/** Creates `file` (empty) with mode 0600 if missing; an existing file wider than that is narrowed. */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  tightenMode(file, 0o600);
}

function tightenMode(path: string, mode: number): void {
  try {
    const st = statSync(path);
    if ((st.mode & 0o777 & ~mode) !== 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid())) chmodSync(path, mode);
  } catch {
    /* not ours to change: leave it */
  }
}
