// Checks every request gets before any route runs, so a web page cannot drive a local server:
// - Host must name this machine (a loopback name, the bound address, or --allowed-hosts): defeats DNS rebinding.
// - a request carrying Origin is refused unless that origin is in --allowed-origins; CORS headers only for those.
// - request bodies only as application/json: a form or a text/plain fetch (no preflight) gets 415.
// - the MCP routes refuse to run without an API key when the server listens off loopback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ApiError, forbidden, unsupportedMediaType } from './errors.js';
import { boundHostNames, hostHeaderName, isLoopbackHost } from './hosts.js';

export interface AccessOptions {
  host: string;
  apiKey?: string;
  /** Exact origins (scheme://host[:port]) allowed to call from a browser. */
  allowedOrigins: readonly string[];
  /** Host-header names accepted besides loopback names and the bound address; '*' accepts any. */
  allowedHosts: readonly string[];
}

export interface AccessPolicy {
  readonly mcpNeedsKey: boolean;
  hostAllowed(name: string): boolean;
  originAllowed(origin: string): boolean;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createAccessPolicy(o: AccessOptions): AccessPolicy {
  const hosts = boundHostNames(o.host, o.allowedHosts);
  const anyHost = hosts.has('*');
  const origins = new Set(o.allowedOrigins.map(normalizeOrigin));
  return {
    mcpNeedsKey: !isLoopbackHost(o.host) && !o.apiKey,
    hostAllowed: (name) => anyHost || isLoopbackHost(name) || hosts.has(name),
    originAllowed: (origin) => origins.has(normalizeOrigin(origin)),
  };
}

/** `https://Example.com:443/` → `https://example.com`; unparseable values stay as given (and match nothing). */
function normalizeOrigin(origin: string): string {
  try {
    const u = new URL(origin);
    return u.origin === 'null' ? origin : u.origin;
  } catch {
    return origin;
  }
}

/** Parses a --allowed-origins list; throws naming the entry that is not a bare http(s) origin. */
export function parseOriginList(value: string): string[] {
  return splitList(value).map((entry) => {
    let u: URL | null = null;
    try {
      u = new URL(entry);
    } catch {
      // reported below
    }
    const bare = u && /^https?:$/.test(u.protocol) && u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password && !entry.endsWith('/');
    if (!u || !bare) throw new Error(`'${entry}' is not an origin (scheme://host[:port], no path)`);
    return u.origin;
  });
}

/** Parses a --allowed-hosts list: host names or IP addresses without port, or '*'. */
export function parseHostList(value: string): string[] {
  return splitList(value).map((entry) => {
    const ok = entry === '*' || isIP(entry.replace(/^\[|\]$/g, '')) !== 0 || /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_.])?$/i.test(entry);
    if (!ok) throw new Error(`'${entry}' is not a host name or address (no scheme, port or path)`);
    return entry;
  });
}

function splitList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new Error('the list is empty');
  return items;
}

export type GuardResult = 'continue' | 'answered';

/**
 * Runs the Host and Origin checks, answers an allowed CORS preflight, and sets the CORS headers for an
 * allowed origin. Throws ApiError (403) when the request is refused.
 */
export function checkOriginAndHost(policy: AccessPolicy, req: IncomingMessage, res: ServerResponse): GuardResult {
  const host = hostHeaderName(req.headers.host);
  if (!host || !policy.hostAllowed(host)) {
    throw forbidden(
      `Host '${req.headers.host ?? ''}' is not allowed: use a loopback name or the bound address, or start the server with --allowed-hosts`,
      'host_not_allowed',
    );
  }
  const origin = req.headers.origin;
  if (origin === undefined) return 'continue';
  if (!policy.originAllowed(origin)) {
    throw forbidden(`Origin '${origin}' is not allowed: start the server with --allowed-origins to let a web page call it`, 'origin_not_allowed');
  }
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, content-type',
      'access-control-max-age': '600',
      'content-length': '0',
    });
    res.end();
    return 'answered';
  }
  return 'continue';
}

/** Bodies only as JSON: a cross-site form or text/plain fetch never reaches a route. */
export function checkContentType(req: IncomingMessage): void {
  if (!req.method || !BODY_METHODS.has(req.method)) return;
  const raw = req.headers['content-type'];
  const [type, ...params] = (raw ?? '').split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') throw unsupportedMediaType(raw);
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset)) throw unsupportedMediaType(raw);
}

/** The MCP routes run tools: off loopback they need an API key, or anyone on the network could run them. */
export function checkMcpAccess(policy: AccessPolicy, what: string): void {
  if (policy.mcpNeedsKey) {
    throw new ApiError(
      403,
      `${what} is refused: the server listens off loopback without an API key (set VMLX_API_KEY or --api-key-file)`,
      'permission_error',
      null,
      'api_key_required',
    );
  }
}
