// Errors of the MCP client that a user can act on: which step failed (start, initialize, tools/list,
// tools/call), the real cause behind Node's "fetch failed" (refused, DNS, TLS, timeout), and what to do
// about an HTTP 401.
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

export type McpStep = 'start' | 'initialize' | 'tools/list' | 'tools/call' | 'login';

/** A failure of one step of talking to a server; the message starts with the step. */
export class McpStepError extends Error {
  constructor(
    readonly step: McpStep,
    override readonly cause: unknown,
    detail: string,
  ) {
    super(`${step}: ${detail}`);
    this.name = 'McpStepError';
  }
}

/** The server answered 401 and vmlx has no usable token: the user has to log in. */
export class NeedsLoginError extends Error {
  readonly userFacing = true;
  constructor(
    readonly server: string,
    detail?: string,
  ) {
    super(`HTTP 401: '${server}' needs a login: run \`vmlx mcp login ${server}\`${detail ? ` (${detail})` : ''}`);
    this.name = 'NeedsLoginError';
  }
}

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH)/;

/**
 * The innermost cause of a network failure, in words: "connection refused by 127.0.0.1:4000 (ECONNREFUSED)",
 * "DNS lookup of example.invalid failed (ENOTFOUND)", "TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)".
 * Undefined when the error is not a network failure with a cause.
 */
export function networkCause(err: unknown): string | undefined {
  let cur: unknown = err;
  let found: { code?: string; message?: string; hostname?: string; address?: string; port?: number } | undefined;
  for (let depth = 0; depth < 6 && cur && typeof cur === 'object'; depth++) {
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; hostname?: unknown; address?: unknown; port?: unknown };
    if (typeof e.code === 'string') {
      found = {
        code: e.code,
        ...(typeof e.message === 'string' ? { message: e.message } : {}),
        ...(typeof e.hostname === 'string' ? { hostname: e.hostname } : {}),
        ...(typeof e.address === 'string' ? { address: e.address } : {}),
        ...(typeof e.port === 'number' ? { port: e.port } : {}),
      };
    }
    // Happy-eyeballs failures are an AggregateError of one error per address.
    cur = e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
  }
  if (!found?.code) return undefined;
  const { code } = found;
  const where = found.address ? `${found.address}${found.port ? `:${found.port}` : ''}` : found.hostname ?? '';
  if (code === 'ECONNREFUSED') return `connection refused${where ? ` by ${where}` : ''} (ECONNREFUSED): is the server running?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup${found.hostname ? ` of ${found.hostname}` : ''} failed (${code})`;
  if (code === 'ECONNRESET') return `connection reset by the server${where ? ` ${where}` : ''} (ECONNRESET)`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `connection timed out${where ? ` to ${where}` : ''} (${code})`;
  if (TLS_CODES.test(code)) return `TLS: ${found.message ?? code} (${code})`;
  return `${found.message ?? code}${found.message?.includes(code) ? '' : ` (${code})`}`;
}

/** Wraps a failure with the step it happened in (once: an error that already names its step is kept). */
export function atStep(step: McpStep, err: unknown, describe: (e: unknown) => string): McpStepError {
  return err instanceof McpStepError ? err : new McpStepError(step, err, describe(err));
}

/** The NeedsLoginError inside an error chain, if any. */
export function findNeedsLogin(err: unknown): NeedsLoginError | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur && typeof cur === 'object'; depth++) {
    if (cur instanceof NeedsLoginError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for the SDK's "the server wants authorization" errors. */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof UnauthorizedError || (err instanceof Error && /\b401\b/.test(err.message) && /unauthori[sz]ed|401/i.test(err.message));
}
