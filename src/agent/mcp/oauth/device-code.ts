// The device authorization grant (RFC 8628), for a login where no browser can be opened on this machine but
// the authorization server offers a device_authorization_endpoint: the user opens a short URL on any device
// and types a code while vmlx polls the token endpoint. Same client, scopes and resource indicator as the
// browser flow would have used (taken from the authorization URL the SDK built).
import { OAuthTokensSchema, type OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A device login that could not be completed; the message says why. */
export class DeviceLoginError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLoginError';
  }
}

export interface DeviceLoginOptions {
  deviceEndpoint: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret?: string;
  scope?: string | null;
  resource?: string | null;
  print: (line: string) => void;
  /** The whole wait, however long the server would allow. */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** The device endpoint of an authorization server's metadata, if it offers one. */
export function deviceEndpointOf(metadata: unknown): string | undefined {
  const v = (metadata as { device_authorization_endpoint?: unknown } | undefined)?.device_authorization_endpoint;
  return typeof v === 'string' && URL.canParse(v) ? v : undefined;
}

function form(entries: Record<string, string | null | undefined>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(entries)) if (v) body.set(k, v);
  return body;
}

function headersFor(opts: DeviceLoginOptions): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (opts.clientSecret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64')}`;
  return headers;
}

async function postForm(url: string, body: URLSearchParams, opts: DeviceLoginOptions): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: headersFor(opts), body, ...(opts.signal ? { signal: opts.signal } : {}) });
  const text = await res.text();
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object' && !Array.isArray(json)) return { status: res.status, json: json as Record<string, unknown> };
  } catch {
    // reported below
  }
  throw new DeviceLoginError(`${url} answered HTTP ${res.status} without a JSON object`);
}

function oauthError(json: Record<string, unknown>): string {
  const code = typeof json.error === 'string' ? json.error : 'unknown_error';
  return typeof json.error_description === 'string' ? `${code}: ${json.error_description}` : code;
}

function waitMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DeviceLoginError('login interrupted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DeviceLoginError('login interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs the device grant to the end: prints the code and URL, polls at the server's pace, returns the tokens. */
export async function deviceLogin(opts: DeviceLoginOptions): Promise<OAuthTokens> {
  const start = await postForm(opts.deviceEndpoint, form({ client_id: opts.clientId, scope: opts.scope, resource: opts.resource }), opts);
  if (start.status !== 200) throw new DeviceLoginError(`the device authorization request failed: ${oauthError(start.json)}`);
  const auth = start.json as unknown as DeviceAuthorization;
  if (typeof auth.device_code !== 'string' || typeof auth.user_code !== 'string' || typeof auth.verification_uri !== 'string') {
    throw new DeviceLoginError(`${opts.deviceEndpoint}: the answer lacks device_code, user_code or verification_uri`);
  }
  opts.print(`On any device, open ${auth.verification_uri} and enter the code ${auth.user_code}`);
  if (auth.verification_uri_complete) opts.print(`(or open ${auth.verification_uri_complete})`);
  opts.print('Waiting for the authorization…');
  let intervalMs = Math.max(1, typeof auth.interval === 'number' ? auth.interval : 5) * 1000;
  const expiresIn = typeof auth.expires_in === 'number' && auth.expires_in > 0 ? auth.expires_in * 1000 : opts.timeoutMs;
  const deadline = Date.now() + Math.min(expiresIn, opts.timeoutMs);
  const poll = form({ grant_type: DEVICE_CODE_GRANT, device_code: auth.device_code, client_id: opts.clientId, resource: opts.resource });
  for (;;) {
    await waitMs(intervalMs, opts.signal);
    if (Date.now() > deadline) throw new DeviceLoginError('the device code expired before the authorization was given');
    const r = await postForm(opts.tokenEndpoint, poll, opts);
    if (r.status === 200) {
      const tokens = OAuthTokensSchema.safeParse(r.json);
      if (!tokens.success) throw new DeviceLoginError(`${opts.tokenEndpoint}: the token answer is not a valid token response`);
      return tokens.data;
    }
    const error = r.json.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      intervalMs += 5000;
      continue;
    }
    if (error === 'access_denied') throw new DeviceLoginError('the authorization was denied');
    if (error === 'expired_token') throw new DeviceLoginError('the device code expired before the authorization was given');
    throw new DeviceLoginError(`the token request failed: ${oauthError(r.json)}`);
  }
}
