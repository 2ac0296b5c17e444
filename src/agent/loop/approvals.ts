// Who decides whether a tool call runs: the sandbox first, then the configured policy, then the session's
// "always" answers and --yes. Only what is still "ask" after that reaches the user (or is denied when nobody
// can be asked).
import type { McpTool, PolicyDecision, ToolExecutor } from '../mcp/types.js';
import { isHighRiskCall, isReadOnlyTool } from '../mcp/tool-hints.js';
import { isHighRiskTool } from '../mcp/sandbox.js';

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

/**
 * How much runs without asking. default: the policy and sandbox decide, the rest is asked; auto: what is not
 * high-risk runs; plan: nothing that writes runs; yolo: everything the sandbox and the policy do not deny.
 */
export const APPROVAL_MODES = ['default', 'auto', 'plan', 'yolo'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export function isApprovalMode(value: string): value is ApprovalMode {
  return (APPROVAL_MODES as readonly string[]).includes(value);
}

export interface DecisionContext {
  executor: ToolExecutor;
  approvals: SessionApprovals;
  /** --yes: everything the sandbox and the policy do not deny runs without asking (yolo without the banner). */
  autoApprove: boolean;
  /**
   * The approval mode (default 'default'), or where to read it: a function is asked at each call, so a switch made
   * while a turn runs (/approval-mode typed meanwhile) applies to that turn's next call.
   */
  mode?: ApprovalMode | (() => ApprovalMode);
  /** Whether a person can be asked; when not, "ask" means deny. */
  interactive: boolean;
}

/** The sandbox and a "deny" policy apply in every mode; plan mode then refuses what may write. */
export function decideCall(ctx: DecisionContext, server: string, tool: string, args: unknown): CallDecision {
  const verdict = ctx.executor.checkCall(server, tool, args);
  if (!verdict.allowed) return { kind: 'deny', rule: verdict.rule, reason: verdict.reason };
  const policy: PolicyDecision = ctx.executor.policyFor(server, tool);
  if (policy === 'deny') return { kind: 'deny', rule: 'policy:deny', reason: `the policy denies ${server}/${tool}` };
  const mode = (typeof ctx.mode === 'function' ? ctx.mode() : ctx.mode) ?? 'default';
  const info: Pick<McpTool, 'name' | 'highRisk' | 'annotations'> =
    ctx.executor.listTools().find((t) => t.server === server && t.name === tool) ?? { name: tool, highRisk: isHighRiskTool(tool) };
  if (mode === 'plan' && !isReadOnlyTool(info)) {
    return { kind: 'deny', rule: 'mode:plan', reason: `plan mode: ${server}/${tool} may change things, so it does not run (switch with /approval-mode)` };
  }
  if (policy === 'allow') return { kind: 'allow', rule: 'policy:allow' };
  if (ctx.autoApprove) return { kind: 'allow', rule: 'flag:yes' };
  if (mode === 'yolo') return { kind: 'allow', rule: 'mode:yolo' };
  if (mode === 'auto' && !isHighRiskCall(info)) return { kind: 'allow', rule: 'mode:auto' };
  if (ctx.approvals.isAlwaysAllowed(server, tool)) return { kind: 'allow', rule: 'session:always' };
  if (!ctx.interactive) {
    return {
      kind: 'deny',
      rule: 'policy:ask-noninteractive',
      reason: `${server}/${tool} needs confirmation and nobody can be asked (pass --yes or --approval-mode to allow it)`,
    };
  }
  return { kind: 'ask', reason: `the policy asks before running ${server}/${tool}` };
}
