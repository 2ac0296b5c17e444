// Which tools run without asking: the config's toolPolicies, then the server's policy, then the default.
import type { McpConfig } from './config.js';
import type { CallOrigin, PolicyDecision } from './types.js';

/** A toolPolicies key as a pattern: `*` any run of characters, `?` one character, everything else literal. */
export function policyPattern(key: string): RegExp {
  const body = key.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The toolPolicies entry for a tool. Keys are glob patterns matched against the tool's name and against
 * `server__tool`; of the keys that match, a "deny" wins, otherwise the last one in the config does.
 */
export function matchToolPolicy(toolPolicies: Record<string, PolicyDecision>, server: string, tool: string): PolicyDecision | undefined {
  const qualified = `${server}__${tool}`;
  let found: PolicyDecision | undefined;
  for (const [key, decision] of Object.entries(toolPolicies)) {
    const pattern = policyPattern(key);
    if (!pattern.test(tool) && !pattern.test(qualified)) continue;
    if (decision === 'deny') return 'deny';
    found = decision;
  }
  return found;
}

/**
 * Policy for one tool before any user answer:
 * - a matching toolPolicies entry wins (see matchToolPolicy);
 * - a high-risk tool is 'ask' unless the server's policy is 'deny' (a server-wide 'allow' does not silence it);
 * - otherwise the server's `policy`, else 'allow'. A server not in the config is 'deny'.
 * Nobody can answer a question for API calls, so for origin 'api' an 'ask' becomes 'deny'.
 */
export function policyFor(
  config: McpConfig,
  server: string,
  tool: string,
  ctx: { highRisk: boolean; origin?: CallOrigin },
): PolicyDecision {
  const entry = config.mcpServers[server];
  if (!entry) return 'deny';
  const explicit = matchToolPolicy(entry.toolPolicies, server, tool);
  let decision: PolicyDecision;
  if (explicit) decision = explicit;
  else if (ctx.highRisk) decision = entry.policy === 'deny' ? 'deny' : 'ask';
  else decision = entry.policy ?? 'allow';
  if (decision === 'ask' && ctx.origin === 'api') return 'deny';
  return decision;
}
