// Where vmlx keeps its per-user state: ~/.vmlx unless VMLX_HOME says otherwise.
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
