// Which servers wait for `vmlx mcp login NAME`, for the status line, the server list and the /mcp screen.
import type { ServerStatus } from './types.js';

/** The command that logs in to `server`. */
export function loginCommand(server: string): string {
  return `vmlx mcp login ${server}`;
}

/** The servers that answered 401 and have no usable token, in config order. */
export function serversNeedingLogin(statuses: readonly ServerStatus[]): string[] {
  return statuses.filter((s) => s.needsLogin === true).map((s) => s.name);
}

/** One short phrase for the status line: "gh needs a login (vmlx mcp login gh)"; undefined when none does. */
export function loginSummary(statuses: readonly ServerStatus[]): string | undefined {
  const names = serversNeedingLogin(statuses);
  if (names.length === 0) return undefined;
  if (names.length === 1) return `${names[0]} needs a login (${loginCommand(names[0]!)})`;
  return `${names.length} need a login (${names.map(loginCommand).join(', ')})`;
}
