// What vmlx offers MCP servers besides calling their tools: roots, elicitation and sampling. One McpHost per
// manager; it declares the client capabilities and installs the request handlers on every SDK client. The
// handlers come from whoever runs the session (TUI, --print, serve) and can be swapped while servers run,
// because the model that answers sampling requests loads after the servers start connecting.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { AuditEntry, AuditSink } from '../audit/index.js';
import { declineElicitations, toElicitationRequest, toElicitResult, validateFormContent, type ElicitationHandler } from './elicitation.js';
import { RootsRegistry } from './roots.js';
import { samplingResultText, type Sampler, type SamplingApprover } from './sampling.js';
import type { CallOrigin, PolicyDecision } from './types.js';

/** JSON-RPC error code of a sampling request the user (or the policy) refused, as the spec's examples use. */
export const SAMPLING_REFUSED_CODE = -1;

export interface McpHostOptions {
  roots?: RootsRegistry;
  /** Default: decline every request (nobody can be asked). */
  elicitation?: ElicitationHandler;
  sampler?: Sampler;
  /** Why there is no sampler in this context (said to the server and the user instead of "no model is loaded"). */
  samplingUnavailable?: string;
  /** Asks the user about sampling requests whose policy is 'ask'; without one, 'ask' declines. */
  samplingApprover?: SamplingApprover;
  /** Sampling policy per server (from the config); default 'ask'. */
  samplingPolicy?: (server: string) => PolicyDecision;
  /** --yes: sampling requests the policy would ask about run without asking. */
  autoApprove?: boolean;
  audit?: AuditSink;
  origin?: CallOrigin;
  sessionId?: string;
  onWarning?: (message: string) => void;
}

export class McpHost {
  readonly roots: RootsRegistry;
  private elicitation: ElicitationHandler;
  private sampler: Sampler | undefined;
  private approver: SamplingApprover | undefined;
  private readonly opts: McpHostOptions;

  constructor(opts: McpHostOptions = {}) {
    this.opts = opts;
    this.roots = opts.roots ?? new RootsRegistry();
    this.elicitation = opts.elicitation ?? declineElicitations('no one can answer in this session', opts.onWarning);
    this.sampler = opts.sampler;
    this.approver = opts.samplingApprover;
  }

  setElicitationHandler(handler: ElicitationHandler): void {
    this.elicitation = handler;
  }

  /** The model that answers sampling requests (undefined: requests fail with "no model loaded"). */
  setSampler(sampler: Sampler | undefined): void {
    this.sampler = sampler;
  }

  setSamplingApprover(approver: SamplingApprover | undefined): void {
    this.approver = approver;
  }

  /** Servers configured with `roots: false`: they are not offered the roots capability. */
  private readonly noRoots = new Set<string>();

  disableRoots(server: string): void {
    this.noRoots.add(server);
  }

  capabilities(server: string): ClientCapabilities {
    return {
      ...(this.noRoots.has(server) ? {} : { roots: { listChanged: true } }),
      sampling: { tools: {} },
      elicitation: { form: { applyDefaults: true }, url: {} },
    };
  }

  /** Registers the roots, elicitation and sampling handlers on a client of `server` (before it connects). */
  install(client: Client, server: string): void {
    if (!this.noRoots.has(server)) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: this.roots.list(server) }));
    client.setRequestHandler(ElicitRequestSchema, async (req, extra) => this.elicit(server, req.params, extra.signal));
    client.setRequestHandler(CreateMessageRequestSchema, async (req, extra) => this.sample(server, req.params, extra.signal));
  }

  private async elicit(server: string, params: Parameters<typeof toElicitationRequest>[1], signal: AbortSignal) {
    const started = Date.now();
    const request = toElicitationRequest(server, params);
    let answer = await this.elicitation(request, signal).catch((err: unknown) => ({ action: 'cancel' as const, reason: (err as Error).message }));
    if (answer.action === 'accept' && request.mode === 'form') {
      // Fields left empty take the schema's defaults (the capability says so), before the answer is checked.
      const defaults = Object.fromEntries(request.fields.filter((f) => f.default !== undefined).map((f) => [f.name, f.default!]));
      answer = { action: 'accept', content: { ...defaults, ...answer.content } };
      // A form handler that lets a bad value through must not send it: the server trusts a validated answer.
      const problem = validateFormContent(request.fields, answer.content ?? {});
      if (problem) answer = { action: 'cancel', reason: `invalid answer: ${problem}` };
    }
    this.record({
      server,
      tool: 'elicitation/create',
      arguments: {
        mode: request.mode,
        message: request.message,
        ...(request.mode === 'url' ? { url: request.url } : { fields: request.fields.map((f) => f.name) }),
        answer,
      },
      decision: answer.action === 'accept' ? 'allowed' : 'denied',
      rule: `elicitation:${answer.action}`,
      success: answer.action === 'accept',
      error: answer.action === 'accept' ? undefined : `${answer.action}${'reason' in answer && answer.reason ? `: ${answer.reason}` : ''}`,
      durationMs: Date.now() - started,
    });
    return toElicitResult(answer);
  }

  private async sample(server: string, params: Parameters<Sampler>[0], signal: AbortSignal) {
    const started = Date.now();
    const audit = (rule: string, ok: boolean, error?: string, resultText?: string) =>
      this.record({
        server,
        tool: 'sampling/createMessage',
        // The length limit is stored as generationLimit: a key with "token" in it would be redacted as a secret.
        arguments: { systemPrompt: params.systemPrompt, messages: params.messages, generationLimit: params.maxTokens, tools: params.tools?.map((t) => t.name) },
        decision: ok || rule === 'sampling:error' ? 'allowed' : 'denied',
        rule,
        success: ok,
        error,
        durationMs: Date.now() - started,
        ...(resultText !== undefined ? { resultSize: Buffer.byteLength(resultText), resultPreview: resultText.slice(0, 200) } : {}),
      });
    const refuse = (rule: string, reason: string): never => {
      audit(rule, false, reason);
      this.opts.onWarning?.(`MCP server '${server}' asked to use the model; refused: ${reason}`);
      throw new McpError(SAMPLING_REFUSED_CODE, `sampling request refused: ${reason}`);
    };
    const policy = this.opts.samplingPolicy?.(server) ?? 'ask';
    if (policy === 'deny') refuse('sampling:policy-deny', `the config denies sampling for '${server}'`);
    const sampler = this.sampler;
    if (!sampler) refuse('sampling:no-model', this.opts.samplingUnavailable ?? 'no model is loaded to answer sampling requests');
    let rule = 'sampling:policy-allow';
    if (policy === 'ask') {
      if (this.opts.autoApprove) rule = 'sampling:flag-yes';
      else if (!this.approver) refuse('sampling:ask-noninteractive', `sampling by '${server}' needs approval and nobody can be asked (set "sampling": "allow" for it in the config, or pass --yes)`);
      else {
        const verdict = await this.approver({ server, params }, signal);
        if (!verdict.approved) refuse('sampling:user-deny', verdict.reason ?? 'the user declined');
        rule = 'sampling:user-allow';
      }
    }
    try {
      const result = await sampler!(params, signal);
      audit(rule, true, undefined, samplingResultText(result));
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      audit('sampling:error', false, message);
      throw err instanceof McpError ? err : new McpError(ErrorCode.InternalError, `sampling failed: ${message}`);
    }
  }

  private record(entry: Omit<AuditEntry, 'origin' | 'sessionId'>): void {
    const audit = this.opts.audit;
    if (!audit) return;
    try {
      audit.record({ ...entry, origin: this.opts.origin ?? 'chat', sessionId: this.opts.sessionId });
    } catch (err) {
      this.opts.onWarning?.(`audit log write failed: ${(err as Error).message}`);
    }
  }
}
