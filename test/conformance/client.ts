// The client the MCP conformance suite drives: `node dist/test/conformance/client.js <server-url>` with
// MCP_CONFORMANCE_SCENARIO set. It is vmlx's own MCP stack (connectServer, McpHost, the OAuth provider, the
// token store, the loopback redirect listener); the only stand-in is the "browser", which follows the
// authorization server's redirect back to the listener the way a user's browser does after "allow".
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connectServer, type Connected, type RemoteSpec } from '../../src/agent/mcp/transports.js';
import { listAllTools } from '../../src/agent/mcp/client.js';
import { findNeedsLogin } from '../../src/agent/mcp/errors.js';
import { McpHost } from '../../src/agent/mcp/host.js';
import { RootsRegistry } from '../../src/agent/mcp/roots.js';
import { VmlxOAuthProvider } from '../../src/agent/mcp/oauth/provider.js';
import { TokenStore } from '../../src/agent/mcp/oauth/token-store.js';
import { startRedirectListener, type RedirectListener } from '../../src/agent/mcp/oauth/loopback.js';
import type { OAuthSettings } from '../../src/agent/mcp/config.js';

/** The client id document URL the suite's CIMD scenario expects (a vmlx user would put theirs in the config). */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const MAX_AUTH_ROUNDS = 3;

const serverUrl = process.argv.at(-1)!;
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as { client_id?: string; client_secret?: string };

async function main(): Promise<void> {
  const settings: OAuthSettings = { clientMetadataUrl: CIMD_URL };
  if (context.client_id) settings.clientId = context.client_id;
  if (context.client_secret) settings.clientSecret = context.client_secret;
  let listener = await startRedirectListener();
  const port = listener.port;
  const store = new TokenStore(join(mkdtempSync(join(tmpdir(), 'vmlx-conformance-')), 'mcp-auth.json'));
  const provider = new VmlxOAuthProvider({
    server: 'conformance',
    url: serverUrl,
    settings,
    store,
    interactive: {
      redirectUrl: listener.redirectUrl,
      open: async (url, state) => {
        listener.expectState(state);
        // The "browser": the suite's authorization server approves at once and redirects to the listener.
        await fetch(url).catch(() => undefined);
      },
    },
  });
  const host = new McpHost({
    roots: new RootsRegistry([process.cwd()]),
    // A user who accepts the form as the server filled it in (defaults apply).
    elicitation: async () => ({ action: 'accept', content: {} }),
  });
  const spec: RemoteSpec = { kind: 'http', url: serverUrl, headers: {}, authProvider: provider };

  /** Runs `step`; when the server wants (more) authorization, completes the browser round trip and retries. */
  async function withAuth<T>(step: () => Promise<T>): Promise<T> {
    for (let round = 0; ; round++) {
      try {
        return await step();
      } catch (err) {
        const wantsAuth = findNeedsLogin(err) !== undefined || /unauthori[sz]ed/i.test(String(err));
        if (!wantsAuth || round >= MAX_AUTH_ROUNDS) throw err;
        const code = await listener.waitForCode({ timeoutMs: 10_000 });
        await listener.close();
        listener = await startRedirectListener({ port });
        const result = await auth(provider, { serverUrl, authorizationCode: code });
        if (result !== 'AUTHORIZED') throw new Error(`authorization ended with ${result}`);
      }
    }
  }

  let connected: Connected | undefined;
  try {
    connected = await withAuth(() =>
      connectServer(spec, {
        makeClient: () => {
          const client = new Client({ name: 'vmlx', version: '0.1.0' }, { capabilities: host.capabilities('conformance') });
          host.install(client, 'conformance');
          return client;
        },
        server: 'conformance',
        timeoutMs: 20_000,
      }),
    );
    const client = connected.client;
    const tools = await withAuth(() => listAllTools(client));
    for (const tool of tools) {
      await withAuth(() => client.callTool({ name: tool.name, arguments: argumentsFor(tool.inputSchema) }));
    }
  } finally {
    await connected?.client.close().catch(() => {});
    await listener.close();
  }
}

/** Minimal valid arguments: numbers for number properties (the suite's add tool), strings elsewhere. */
function argumentsFor(schema: { properties?: Record<string, { type?: string }>; required?: string[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(schema.properties ?? {})) {
    if (!(schema.required ?? []).includes(name)) continue;
    out[name] = p.type === 'number' || p.type === 'integer' ? 1 : p.type === 'boolean' ? true : 'x';
  }
  return out;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`conformance client (${scenario}): ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
