// vmlx's OAuthClientProvider for the SDK's auth(): client registration, tokens and discovery state come from
// the token store; the authorization code flow itself (PKCE, resource indicator, scopes, refresh, audience
// checks) is the SDK's. Without an interactive login attached, any step that needs the user's browser
// throws NeedsLoginError, so `vmlx chat` and `serve` say "run vmlx mcp login NAME" instead of waiting.
import { randomBytes } from 'node:crypto';
import { auth, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthSettings } from '../config.js';
import { NeedsLoginError } from '../errors.js';
import type { TokenStore } from './token-store.js';

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;

export interface InteractiveLogin {
  /** The loopback redirect URI of this login. */
  redirectUrl: string;
  /** Sends the user to the authorization URL (browser or printed); resolves once that is under way. */
  open: (authorizationUrl: URL, state: string) => Promise<void>;
}

export interface VmlxOAuthProviderOptions {
  server: string;
  url: string;
  settings?: OAuthSettings | undefined;
  store: TokenStore;
  /** Set only by `vmlx mcp login` (and tests): the browser step is allowed. */
  interactive?: InteractiveLogin;
}

export class VmlxOAuthProvider implements OAuthClientProvider {
  private verifier: string | undefined;
  private lastState: string | undefined;
  private readonly opts: VmlxOAuthProviderOptions;

  constructor(opts: VmlxOAuthProviderOptions) {
    this.opts = opts;
  }

  get redirectUrl(): string {
    if (this.opts.interactive) return this.opts.interactive.redirectUrl;
    const registered = this.saved()?.clientInformation as { redirect_uris?: string[] } | undefined;
    return registered?.redirect_uris?.[0] ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    const s = this.opts.settings;
    return {
      client_name: 'vmlx',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: s?.clientSecret ? 'client_secret_basic' : 'none',
      ...(s?.scope ? { scope: s.scope } : {}),
    };
  }

  get clientMetadataUrl(): string | undefined {
    return this.opts.settings?.clientMetadataUrl;
  }

  state(): string {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const s = this.opts.settings;
    if (s?.clientId) return { client_id: s.clientId, ...(s.clientSecret ? { client_secret: s.clientSecret } : {}) };
    const saved = this.saved()?.clientInformation;
    // Registering needs the redirect URI of a login in progress; outside one there is nothing to do but ask.
    if (!saved && !this.opts.interactive) throw new NeedsLoginError(this.opts.server);
    return saved;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.update({ clientInformation: info });
  }

  tokens(): OAuthTokens | undefined {
    return this.saved()?.tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.update({ tokens, tokensSavedAt: Date.now() });
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (!this.opts.interactive) throw new NeedsLoginError(this.opts.server);
    await this.opts.interactive.open(authorizationUrl, this.lastState ?? authorizationUrl.searchParams.get('state') ?? '');
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no PKCE code verifier: the login was not started by this process');
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'verifier') {
      this.verifier = undefined;
      return;
    }
    if (scope === 'all') {
      this.opts.store.remove(this.opts.server);
      return;
    }
    const patch = scope === 'client' ? { clientInformation: undefined } : scope === 'tokens' ? { tokens: undefined, tokensSavedAt: undefined } : { discovery: undefined };
    this.update(patch);
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.update({ discovery: state });
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.saved()?.discovery;
  }

  /** The state of the login in progress (the redirect listener checks it). */
  get pendingState(): string | undefined {
    return this.lastState;
  }

  /** True when the saved access token expires within REFRESH_MARGIN_MS and a refresh token can renew it. */
  expiresSoon(now = Date.now()): boolean {
    const saved = this.saved();
    const t = saved?.tokens;
    if (!t?.refresh_token || t.expires_in === undefined || saved?.tokensSavedAt === undefined) return false;
    return saved.tokensSavedAt + t.expires_in * 1000 - now < REFRESH_MARGIN_MS;
  }

  /** Refreshes a token that is about to expire, before the first request uses it (the SDK refreshes on a 401 too). */
  async beforeConnect(): Promise<void> {
    if (!this.expiresSoon()) return;
    await auth(this, { serverUrl: this.opts.url });
  }

  private saved() {
    return this.opts.store.get(this.opts.server, this.opts.url);
  }

  private update(patch: Parameters<TokenStore['update']>[2]): void {
    this.opts.store.update(this.opts.server, this.opts.url, patch);
  }
}
