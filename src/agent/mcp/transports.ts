// Builds SDK transports for one server and connects an SDK Client over them. Remote servers without
// an explicit type try Streamable HTTP first and fall back to the older SSE transport on a 4xx, the
// backwards-compatibility recipe of the MCP spec.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { TransportKind } from './types.js';
import { McpStepError, NeedsLoginError, findNeedsLogin, networkCause } from './errors.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';

export interface StdioSpec {
  kind: 'stdio';
  command: string;
  args: string[];
  /** The complete environment of the child (already minimal; the SDK adds its own safe defaults). */
  env: Record<string, string>;
  cwd?: string;
}

export interface RemoteSpec {
  /** 'auto' tries Streamable HTTP, then SSE on a 4xx. */
  kind: 'http' | 'sse' | 'auto';
  url: string;
  headers: Record<string, string>;
  /** OAuth for this server (tokens, refresh, discovery); unused when `headers` has an Authorization. */
  authProvider?: OAuthClientProvider & { beforeConnect?: () => Promise<void> };
}

export type ConnectSpec = StdioSpec | RemoteSpec;

export interface Connected {
  client: Client;
  transport: Transport;
  kind: TransportKind;
  /** Child pid for stdio servers. */
  pid: number | null;
}

export interface ConnectOptions {
  /** Makes a fresh SDK client (handlers registered) for each attempt. */
  makeClient: () => Client;
  /** Timeout of the initialize request. */
  timeoutMs: number;
  /** Receives a stdio child's stderr before it is spawned, so no early line is lost. */
  onStderr?: (stream: Readable) => void;
  /** Sees the transport before the connection starts (to tell an expected close from a crash). */
  onTransport?: (transport: Transport) => void;
  /** The server's name in the config (named in "run vmlx mcp login NAME"). */
  server?: string;
}

/** Thrown when a transport's configuration cannot be used (for example a malformed url). */
export class TransportConfigError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'TransportConfigError';
  }
}

export function transportKindOf(spec: ConnectSpec): TransportKind {
  return spec.kind === 'auto' ? 'http' : spec.kind;
}

export async function connectServer(spec: ConnectSpec, opts: ConnectOptions): Promise<Connected> {
  if (spec.kind === 'stdio') {
    // Without this check a missing cwd surfaces as a misleading "spawn <command> ENOENT".
    if (spec.cwd !== undefined && !isDirectory(spec.cwd)) throw new TransportConfigError(`cwd '${spec.cwd}' is not a directory`);
    const transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      stderr: 'pipe',
    });
    if (transport.stderr && opts.onStderr) opts.onStderr(transport.stderr as Readable);
    return attempt(transport, 'stdio', opts, () => transport.pid);
  }
  const url = parseUrl(spec.url);
  // A static Authorization header from the config wins: OAuth would replace it with its own token.
  const auth = hasAuthorization(spec.headers) ? undefined : spec.authProvider;
  const explain = (err: unknown): never => {
    throw explainUnauthorized(err, spec, opts.server);
  };
  if (auth?.beforeConnect) await auth.beforeConnect().catch(explain);
  if (spec.kind === 'sse') return attempt(sseTransport(url, spec.headers, auth), 'sse', opts).catch(explain);
  if (spec.kind === 'http') return attempt(httpTransport(url, spec.headers, auth), 'http', opts).catch(explain);
  try {
    return await attempt(httpTransport(url, spec.headers, auth), 'http', opts);
  } catch (err) {
    if (!isClientHttpError(err)) explain(err);
    try {
      return await attempt(sseTransport(url, spec.headers, auth), 'sse', opts);
    } catch (sseErr) {
      throw new FallbackFailedError(err, sseErr);
    }
  }
}

function hasAuthorization(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
}

/** A 401 says what to do: log in, or fix the Authorization header of the config. */
function explainUnauthorized(err: unknown, spec: RemoteSpec, server: string | undefined): unknown {
  if (findNeedsLogin(err)) return findNeedsLogin(err);
  const status = err instanceof StreamableHTTPError || err instanceof SseError ? err.code : undefined;
  if (status !== 401 && !(err instanceof UnauthorizedError)) return err;
  if (hasAuthorization(spec.headers)) {
    return new McpStepError('initialize', err, "HTTP 401: the server rejected the Authorization header from the config (check the token it expands to)");
  }
  if (!spec.authProvider) {
    return new McpStepError('initialize', err, 'HTTP 401: the server needs authorization, but "oauth" is false for it in the config (remove that to log in, or set an Authorization header)');
  }
  return new NeedsLoginError(server ?? spec.url);
}

/** Both transports of the default http→sse order failed; the message names both reasons. */
export class FallbackFailedError extends Error {
  constructor(readonly httpError: unknown, readonly sseError: unknown) {
    super(`Streamable HTTP: ${describeTransportError(httpError)}; SSE fallback: ${describeTransportError(sseError)}`);
    this.name = 'FallbackFailedError';
  }
}

/** An error message that also names the HTTP status, which the SDK's messages leave out. */
export function describeTransportError(err: unknown): string {
  if (err instanceof NeedsLoginError || err instanceof McpStepError) return err.message;
  let message = err instanceof Error ? err.message : String(err);
  // Node's fetch says only "fetch failed"; the reason (refused, DNS, TLS) is in its cause chain.
  const cause = /fetch failed/.test(message) ? networkCause(err) : undefined;
  if (cause) message = cause;
  if (message.length > 300) message = `${message.slice(0, 300)}…`;
  if ((err instanceof StreamableHTTPError || err instanceof SseError) && typeof err.code === 'number' && err.code > 0) {
    return `HTTP ${err.code}: ${message}`;
  }
  return message;
}

async function attempt(
  transport: Transport,
  kind: TransportKind,
  opts: ConnectOptions,
  pid: () => number | null = () => null,
): Promise<Connected> {
  const client = opts.makeClient();
  opts.onTransport?.(transport);
  // Client.connect closes the transport itself when initialization fails.
  await client.connect(transport, { timeout: opts.timeoutMs });
  return { client, transport, kind, pid: pid() };
}

function httpTransport(url: URL, headers: Record<string, string>, authProvider: OAuthClientProvider | undefined): Transport {
  return new StreamableHTTPClientTransport(url, { requestInit: { headers }, ...(authProvider ? { authProvider } : {}) });
}

function sseTransport(url: URL, headers: Record<string, string>, authProvider: OAuthClientProvider | undefined): Transport {
  return new SSEClientTransport(url, { requestInit: { headers }, ...(authProvider ? { authProvider } : {}) });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new TransportConfigError(`invalid url '${raw}'`);
  }
}

/**
 * A 4xx from the Streamable HTTP endpoint: the server may only speak the older SSE transport. Not 401/403:
 * those are about credentials, and the SSE endpoint would refuse them the same way.
 */
function isClientHttpError(err: unknown): boolean {
  return err instanceof StreamableHTTPError && typeof err.code === 'number' && err.code >= 400 && err.code < 500 && err.code !== 401 && err.code !== 403;
}
