// MCP prompts and resources of the connected servers: listed at each (re)connection, refreshed when a server sends
// prompts/list_changed or resources/list_changed, and fetched on demand (prompts/get, resources/read).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { LIST_TIMEOUT_MS, listAllPrompts, listAllResources } from './list-pages.js';

export interface ServerPrompt extends Prompt {
  server: string;
}
export interface ServerResource extends Resource {
  server: string;
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

interface Entry {
  client: Client;
  prompts: Prompt[];
  resources: Resource[];
  /** Loads started per list: only the latest one's answer is kept (notifications can overlap). */
  loads: { prompts: number; resources: number };
}

export class McpCatalog {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly clientOf: (server: string) => Client | undefined,
    private readonly order: () => string[],
  ) {}

  /** Called on every server change: loads the lists of a newly connected client, drops those of a gone one. */
  sync(server: string): void {
    const client = this.clientOf(server);
    const known = this.entries.get(server);
    if (!client) {
      if (known && this.entries.delete(server)) this.changed();
      return;
    }
    if (known?.client === client) return;
    const entry: Entry = { client, prompts: [], resources: [], loads: { prompts: 0, resources: 0 } };
    this.entries.set(server, entry);
    client.setNotificationHandler(PromptListChangedNotificationSchema, async () => this.load(server, entry, 'prompts'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => this.load(server, entry, 'resources'));
    void this.load(server, entry, 'prompts');
    void this.load(server, entry, 'resources');
  }

  /** Called when the lists change (a server connected, went away or announced new prompts or resources). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every list being read has been read (--print uses the lists right after the servers connect). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  prompts(): ServerPrompt[] {
    return this.inOrder().flatMap(([server, e]) => e.prompts.map((p) => ({ ...p, server })));
  }

  resources(): ServerResource[] {
    return this.inOrder().flatMap(([server, e]) => e.resources.map((r) => ({ ...r, server })));
  }

  async getPrompt(server: string, name: string, args: Record<string, string>): Promise<GetPromptResult> {
    return this.clientFor(server).getPrompt({ name, arguments: args }, { timeout: LIST_TIMEOUT_MS });
  }

  async readResource(server: string, uri: string): Promise<ReadResourceResult> {
    return this.clientFor(server).readResource({ uri }, { timeout: LIST_TIMEOUT_MS });
  }

  private readonly inFlight = new Set<Promise<void>>();

  private load(server: string, entry: Entry, what: 'prompts' | 'resources'): Promise<void> {
    const work = this.read(server, entry, what);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async read(server: string, entry: Entry, what: 'prompts' | 'resources'): Promise<void> {
    const load = ++entry.loads[what];
    try {
      if (what === 'prompts') {
        const prompts = await listAllPrompts(entry.client);
        if (load === entry.loads.prompts) entry.prompts = prompts;
      } else {
        const resources = await listAllResources(entry.client);
        if (load === entry.loads.resources) entry.resources = resources;
      }
    } catch {
      // A server that fails to list keeps its previous list; its tools still work.
      return;
    }
    if (this.entries.get(server) === entry) this.changed();
  }

  private clientFor(server: string): Client {
    const entry = this.entries.get(server);
    if (!entry) throw new CatalogError(`MCP server '${server}' is not connected`);
    return entry.client;
  }

  private inOrder(): Array<[string, Entry]> {
    return this.order().flatMap((s) => (this.entries.has(s) ? [[s, this.entries.get(s)!] as [string, Entry]] : []));
  }

  private changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // A listener's bug must not stop the others.
      }
    }
  }
}
