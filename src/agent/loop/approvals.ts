// Who decides whether a tool call runs: the sandbox first, then the configured policy, then the session's
// "always" answers and --yes. Only what is still "ask" after that reaches the user (or is denied when nobody
// can be asked).
import type { PolicyDecision, ToolExecutor } from '../mcp/types.js';

/** Tools the user answered "always" for, this session only (never persisted). */
export class SessionApprovals {
  private readonly always = new Set<string>();

  private static key(server: string, tool: string): string {
    return `${server}\u0000${tool}`;
  }

  allowAlways(server: string, tool: string): void {
    this.always.add(SessionApprovals.key(server, tool));
  }

  isAlwaysAllowed(server: string, tool: string): boolean {
    return this.always.has(SessionApprovals.key(server, tool));
  }

  clear(): void {
    this.always.clear();
  }
}

export type CallDecision =
  | { kind: 'allow'; rule: string }
  | { kind: 'deny'; rule: string; reason: string }
  | { kind: 'ask'; reason: string };

export interface DecisionContext {
  executor: ToolExecutor;
  approvals: SessionApprovals;
  /** --yes: everything the sandbox and the policy do not deny runs without asking. */
  autoApprove: boolean;
  /** Whether a person can be asked; when not, "ask" means deny. */
  interactive: boolean;
}

export function decideCall(ctx: DecisionContext, server: string, tool: string, args: unknown): CallDecision {
  const verdict = ctx.executor.checkCall(server, tool, args);
  if (!verdict.allowed) return { kind: 'deny', rule: verdict.rule, reason: verdict.reason };
  const policy: PolicyDecision = ctx.executor.policyFor(server, tool);
  if (policy === 'deny') return { kind: 'deny', rule: 'policy:deny', reason: `the policy denies ${server}/${tool}` };
  if (policy === 'allow') return { kind: 'allow', rule: 'policy:allow' };
  if (ctx.autoApprove) return { kind: 'allow', rule: 'flag:yes' };
  if (ctx.approvals.isAlwaysAllowed(server, tool)) return { kind: 'allow', rule: 'session:always' };
  if (!ctx.interactive) {
    return {
      kind: 'deny',
      rule: 'policy:ask-noninteractive',
      reason: `${server}/${tool} needs confirmation and nobody can be asked (pass --yes to allow it)`,
    };
  }
  return { kind: 'ask', reason: `the policy asks before running ${server}/${tool}` };
}
