// Where OAuth state for remote MCP servers lives: one JSON file under the vmlx home, mode 0600, keyed by
// server name and bound to the server's URL (a server whose URL changed starts over: its tokens are never
// sent to another host). Tokens never go to the audit log or the logs.
import { join } from 'node:path';
import { z } from 'zod';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { vmlxHome } from '../../paths.js';
import { defaultSecretStorage, FileSecretStorage, type SecretStorage } from './secret-storage.js';

export function defaultTokenStorePath(env: Record<string, string | undefined> = process.env): string {
  return join(vmlxHome(env), 'mcp-auth.json');
}

/** The token file cannot be read or parsed; the message names it. */
export class TokenStoreError extends Error {
  readonly userFacing = true;
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'TokenStoreError';
  }
}

// The SDK's own schemas validate what goes in; the file keeps them as opaque objects.
const ServerAuthSchema = z.object({
  url: z.string(),
  clientInformation: z.record(z.string(), z.unknown()).optional(),
  tokens: z.record(z.string(), z.unknown()).optional(),
  /** When the tokens were saved (ms since epoch): with expires_in, when they expire. */
  tokensSavedAt: z.number().optional(),
  discovery: z.record(z.string(), z.unknown()).optional(),
});
const FileSchema = z.object({ version: z.literal(1), servers: z.record(z.string(), ServerAuthSchema) });

export interface ServerAuth {
  url: string;
  clientInformation?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  tokensSavedAt?: number;
  discovery?: OAuthDiscoveryState;
}

export class TokenStore {
  private readonly storage: SecretStorage;

  /** A store in the file `path` (mode 0600); `storage` puts the same text elsewhere (the keyring). */
  constructor(
    readonly path: string = defaultTokenStorePath(),
    storage?: SecretStorage,
  ) {
    this.storage = storage ?? new FileSecretStorage(path);
  }

  /** The store of the vmlx home: the system keyring where one can be used, else the 0600 file. */
  static forHome(env: Record<string, string | undefined> = process.env): TokenStore {
    const path = defaultTokenStorePath(env);
    return new TokenStore(path, defaultSecretStorage(path, env));
  }

  /** Where the logins are kept, in words ("the file … (mode 0600)", "the system keyring (secret-tool)"). */
  get location(): string {
    return this.storage.description;
  }

  /** The state of `server` if it was saved for this same URL. */
  get(server: string, url: string): ServerAuth | undefined {
    const entry = this.read().servers[server] as ServerAuth | undefined;
    return entry && entry.url === url ? entry : undefined;
  }

  /** Merges `patch` into the state of `server` (starting over when its URL changed). */
  update(server: string, url: string, patch: Partial<Omit<ServerAuth, 'url'>>): void {
    const file = this.read();
    const current = file.servers[server] as ServerAuth | undefined;
    const base: ServerAuth = current && current.url === url ? current : { url };
    const next: Record<string, unknown> = { ...base, ...patch, url };
    for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
    file.servers[server] = next as z.infer<typeof ServerAuthSchema>;
    this.write(file);
  }

  /** Forgets everything about `server`; true when there was something. */
  remove(server: string): boolean {
    const file = this.read();
    if (!(server in file.servers)) return false;
    delete file.servers[server];
    this.write(file);
    return true;
  }

  /** Names of the servers with saved tokens. */
  servers(): string[] {
    return Object.entries(this.read().servers).filter(([, v]) => v.tokens !== undefined).map(([k]) => k);
  }

  private read(): z.infer<typeof FileSchema> {
    const text = this.storage.read();
    if (text === undefined) return { version: 1, servers: {} };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new TokenStoreError(this.path, `cannot read the MCP token file: ${(err as Error).message.split('\n')[0]} (delete it to log in again)`);
    }
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) throw new TokenStoreError(this.path, 'not a vmlx MCP token file (delete it to log in again)');
    return parsed.data;
  }

  private write(file: z.infer<typeof FileSchema>): void {
    this.storage.write(`${JSON.stringify(file, null, 2)}\n`);
  }
}
