// `vmlx mcp login NAME` as a function: connect with an interactive OAuth provider; when the server asks for
// authorization the SDK discovers the metadata, registers the client if needed and builds the URL (PKCE,
// scopes, resource); the user's browser goes there, the loopback listener receives the code, the SDK
// exchanges it, and a second connection proves the token works.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { RemoteServerEntry } from '../config.js';
import { connectServer, describeTransportError, type RemoteSpec } from '../transports.js';
import { listAllTools } from '../client.js';
import { findNeedsLogin } from '../errors.js';
import { openInBrowser } from './browser.js';
import { deviceEndpointOf, deviceLogin } from './device-code.js';
import { startRedirectListener } from './loopback.js';
import { VmlxOAuthProvider, type InteractiveLogin } from './provider.js';
import type { TokenStore } from './token-store.js';

export const DEFAULT_LOGIN_TIMEOUT_MS = 300_000;

/** A login that could not be completed; the message says which step and why. */
export class LoginError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

export interface LoginOptions {
  server: string;
  entry: RemoteServerEntry;
  store: TokenStore;
  /** Opens the URL (default: $BROWSER or the desktop opener); false when nothing could be opened. */
  openUrl?: (url: string) => Promise<boolean>;
  /** Progress lines for the user (the URL to open, what happens next). */
  print: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LoginResult {
  toolCount: number;
  serverInfo?: { name: string; version: string };
  /** False when a valid token was already there and no browser step was needed. */
  browserStep: boolean;
}

const CLIENT_INFO = { name: 'vmlx', version: '0.1.0' };

export async function loginToServer(opts: LoginOptions): Promise<LoginResult> {
  const { server, entry, store } = opts;
  if (entry.oauth === false) throw new LoginError(`'${server}' has "oauth": false in the config`);
  const settings = entry.oauth;
  const listener = await listen(settings?.redirectPort ?? registeredPort(store, server, entry.url));
  const openUrl = opts.openUrl ?? ((url: string) => openInBrowser(url));
  let browserStep = false;
  // Set when no browser could be opened and the authorization server offers the device grant instead.
  let device: { endpoint: string; authorizationUrl: URL } | undefined;
  const interactive: InteractiveLogin = {
    redirectUrl: listener.redirectUrl,
    open: async (url, state) => {
      browserStep = true;
      listener.expectState(state);
      const opened = await openUrl(url.href).catch(() => false);
      const endpoint = opened ? undefined : deviceEndpointOf(provider.discoveryState()?.authorizationServerMetadata);
      if (endpoint) {
        device = { endpoint, authorizationUrl: url };
        opts.print(`No browser could be opened (set BROWSER to use one); '${server}' offers a device code login instead.`);
        return;
      }
      opts.print(`To log in to '${server}', open: ${url.href}`);
      opts.print(opened ? 'Waiting for the browser to come back…' : 'No browser could be opened (set BROWSER); waiting for the redirect…');
    },
  };
  const provider = new VmlxOAuthProvider({ server, url: entry.url, settings, store, interactive });
  // A fresh login: old tokens and cached discovery go (the server's metadata, audience included, is checked
  // anew). The client registration stays unless it was made for another redirect URI.
  provider.invalidateCredentials('tokens');
  provider.invalidateCredentials('discovery');
  if (!settings?.clientId && registeredRedirect(store, server, entry.url) !== listener.redirectUrl) provider.invalidateCredentials('client');
  const spec: RemoteSpec = { kind: entry.type ?? 'auto', url: entry.url, headers: {}, authProvider: provider };
  try {
    try {
      return await verify(spec, opts, browserStep);
    } catch (err) {
      if (!browserStep || !(findNeedsLogin(err) || /unauthori[sz]ed/i.test(String(err)))) throw new LoginError(`login to '${server}' failed: ${describeTransportError(err)}`);
    }
    if (device) {
      await loginWithDeviceCode(provider, device, opts);
      return await verify(spec, opts, true).catch((err: unknown) => {
        throw new LoginError(`login to '${server}': logged in, but the server still refuses: ${describeTransportError(err)}`);
      });
    }
    const code = await listener.waitForCode({ timeoutMs: opts.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) });
    try {
      // The SDK exchanges the code (PKCE verifier, resource indicator) using the discovery state of the first step.
      const result = await auth(provider, { serverUrl: entry.url, authorizationCode: code });
      if (result !== 'AUTHORIZED') throw new Error(`unexpected result ${result}`);
    } catch (err) {
      throw new LoginError(`login to '${server}': the token request failed: ${describeTransportError(err)}`);
    }
    return await verify(spec, opts, true).catch((err: unknown) => {
      throw new LoginError(`login to '${server}': logged in, but the server still refuses: ${describeTransportError(err)}`);
    });
  } finally {
    await listener.close();
  }
}

/** The device grant with the client, scope and resource of the authorization URL the SDK built; saves the tokens. */
async function loginWithDeviceCode(provider: VmlxOAuthProvider, device: { endpoint: string; authorizationUrl: URL }, opts: LoginOptions): Promise<void> {
  const tokenEndpoint = provider.discoveryState()?.authorizationServerMetadata?.token_endpoint;
  const client = provider.clientInformation();
  if (!tokenEndpoint || !client) throw new LoginError(`login to '${opts.server}': no token endpoint or client for the device code login`);
  const q = device.authorizationUrl.searchParams;
  try {
    const tokens = await deviceLogin({
      deviceEndpoint: device.endpoint,
      tokenEndpoint,
      clientId: client.client_id,
      ...('client_secret' in client && typeof client.client_secret === 'string' ? { clientSecret: client.client_secret } : {}),
      scope: q.get('scope'),
      resource: q.get('resource'),
      print: opts.print,
      timeoutMs: opts.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    provider.saveTokens(tokens);
  } catch (err) {
    throw new LoginError(`login to '${opts.server}' (device code): ${describeTransportError(err)}`);
  }
}

function registeredRedirect(store: TokenStore, server: string, url: string): string | undefined {
  const info = store.get(server, url)?.clientInformation as { redirect_uris?: unknown } | undefined;
  return Array.isArray(info?.redirect_uris) && typeof info.redirect_uris[0] === 'string' ? info.redirect_uris[0] : undefined;
}

/** The loopback port the saved registration was made with, so the same client id can be used again. */
function registeredPort(store: TokenStore, server: string, url: string): number | undefined {
  const uri = registeredRedirect(store, server, url);
  if (!uri) return undefined;
  try {
    const u = new URL(uri);
    return u.hostname === '127.0.0.1' && u.port ? Number(u.port) : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on `port` when given and free, else on any port (then the client registers again). */
async function listen(port: number | undefined) {
  if (port === undefined) return startRedirectListener();
  try {
    return await startRedirectListener({ port });
  } catch {
    return startRedirectListener();
  }
}

/** Connects, lists the tools and disconnects: proof that the saved token works. */
async function verify(spec: RemoteSpec, opts: LoginOptions, browserStep: boolean): Promise<LoginResult> {
  const connected = await connectServer(spec, {
    makeClient: () => new Client(CLIENT_INFO, { capabilities: {} }),
    server: opts.server,
    timeoutMs: 30_000,
  });
  try {
    const tools = await listAllTools(connected.client);
    const info = connected.client.getServerVersion();
    return { toolCount: tools.length, browserStep, ...(info ? { serverInfo: { name: info.name, version: info.version } } : {}) };
  } finally {
    await connected.client.close().catch(() => {});
  }
}
