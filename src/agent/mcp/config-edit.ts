// Writes one toolPolicies entry into an MCP config file (an "always" answer the user asked to keep). The file
// is re-read, changed in that one place and replaced atomically; what else it holds is kept as it was parsed.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { PolicyDecision } from './types.js';

export class ConfigEditError extends Error {
  readonly userFacing = true;
  constructor(file: string, detail: string) {
    super(`${file}: cannot save the tool policy: ${detail}`);
    this.name = 'ConfigEditError';
  }
}

/** Sets mcpServers[server].toolPolicies[tool] (or under `servers`, the VS Code spelling) in `file`. */
export function saveToolPolicy(file: string, server: string, tool: string, decision: PolicyDecision): void {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigEditError(file, (err as Error).message);
  }
  const root = raw as Record<string, unknown>;
  const serversKey = root && typeof root === 'object' && !('mcpServers' in root) && 'servers' in root ? 'servers' : 'mcpServers';
  const servers = root?.[serversKey] as Record<string, Record<string, unknown>> | undefined;
  const entry = servers?.[server];
  if (!entry || typeof entry !== 'object') throw new ConfigEditError(file, `${serversKey}.${server} is not in the file`);
  const policies = (entry.toolPolicies ?? {}) as Record<string, string>;
  if (typeof policies !== 'object' || Array.isArray(policies)) throw new ConfigEditError(file, `${serversKey}.${server}.toolPolicies is not an object`);
  // Re-inserted last: the last matching key wins, so the saved answer is not shadowed by a broader pattern.
  delete policies[tool];
  policies[tool] = decision;
  entry.toolPolicies = policies;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode: statSync(file).mode & 0o777 });
    renameSync(tmp, file);
  } catch (err) {
    throw new ConfigEditError(file, (err as Error).message);
  }
}
