// Which tools run without asking: the config's toolPolicies, then the server's policy, then the default.
import type { McpConfig } from './config.js';
import type { CallOrigin, PolicyDecision } from './types.js';

/**
 * Policy for one tool before any user answer:
 * - toolPolicies[tool] or toolPolicies['server__tool'] wins;
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
  const explicit = entry.toolPolicies[tool] ?? entry.toolPolicies[`${server}__${tool}`];
  let decision: PolicyDecision;
  if (explicit) decision = explicit;
  else if (ctx.highRisk) decision = entry.policy === 'deny' ? 'deny' : 'ask';
  else decision = entry.policy ?? 'allow';
  if (decision === 'ask' && ctx.origin === 'api') return 'deny';
  return decision;
}
