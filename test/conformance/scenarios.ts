// The client scenarios of the pinned conformance suite (@modelcontextprotocol/conformance 0.1.16, 26 in all)
// and what vmlx is expected to do in each. Every scenario passes except the three below, with the reason.
export const CONFORMANCE_VERSION = '0.1.16';

export interface Scenario {
  name: string;
  /** Why it cannot pass; absent: it must pass. */
  expectedFailure?: string;
}

const MACHINE_GRANTS =
  'extension scenario: a machine-to-machine grant with no user and no browser (client_credentials / ID-JAG token exchange); vmlx is a user-facing host that logs in through the authorization-code flow, and its config has no way to hold a private key or an IdP token';

export const SCENARIOS: Scenario[] = [
  { name: 'initialize' },
  { name: 'tools_call' },
  { name: 'elicitation-sep1034-client-defaults' },
  { name: 'sse-retry' },
  { name: 'auth/metadata-default' },
  { name: 'auth/metadata-var1' },
  { name: 'auth/metadata-var2' },
  { name: 'auth/metadata-var3' },
  { name: 'auth/basic-cimd' },
  { name: 'auth/scope-from-www-authenticate' },
  { name: 'auth/scope-from-scopes-supported' },
  { name: 'auth/scope-omitted-when-undefined' },
  { name: 'auth/scope-step-up' },
  { name: 'auth/scope-retry-limit' },
  { name: 'auth/token-endpoint-auth-basic' },
  { name: 'auth/token-endpoint-auth-post' },
  { name: 'auth/token-endpoint-auth-none' },
  { name: 'auth/pre-registration' },
  { name: 'auth/2025-03-26-oauth-metadata-backcompat' },
  { name: 'auth/2025-03-26-oauth-endpoint-fallback' },
  { name: 'auth/resource-mismatch' },
  { name: 'auth/offline-access-scope' },
  { name: 'auth/offline-access-not-supported' },
  { name: 'auth/client-credentials-jwt', expectedFailure: MACHINE_GRANTS },
  { name: 'auth/client-credentials-basic', expectedFailure: MACHINE_GRANTS },
  { name: 'auth/cross-app-access-complete-flow', expectedFailure: MACHINE_GRANTS },
];
