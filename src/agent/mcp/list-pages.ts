// Paged MCP lists (tools, prompts, resources): every page, stopping on a missing or repeated cursor, keeping the
// first item of a key, and never more than MAX_LIST_PAGES pages (a server whose cursor never ends).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Prompt, Resource, Tool } from '@modelcontextprotocol/sdk/types.js';

export const MAX_TOOL_PAGES = 100;
export const LIST_TIMEOUT_MS = 15_000;

type Page<T> = { items: T[]; nextCursor?: string | undefined };

async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, keyOf: (item: T) => string): Promise<T[]> {
  const byKey = new Map<string, T>();
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await fetchPage(cursor);
    for (const item of result.items) if (!byKey.has(keyOf(item))) byKey.set(keyOf(item), item);
    const next = result.nextCursor;
    if (next === undefined || next === '' || seenCursors.has(next)) break;
    seenCursors.add(next);
    cursor = next;
  }
  return [...byKey.values()];
}

const params = (cursor: string | undefined) => (cursor !== undefined ? { cursor } : undefined);

/** All pages of tools/list (none when the server does not offer tools). */
export async function listAllTools(client: Pick<Client, 'listTools' | 'getServerCapabilities'>): Promise<Tool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  return allPages(async (c) => {
    const r = await client.listTools(params(c), { timeout: LIST_TIMEOUT_MS });
    return { items: r.tools, nextCursor: r.nextCursor };
  }, (t) => t.name);
}

/** All pages of prompts/list (none when the server does not offer prompts). */
export async function listAllPrompts(client: Pick<Client, 'listPrompts' | 'getServerCapabilities'>): Promise<Prompt[]> {
  if (!client.getServerCapabilities()?.prompts) return [];
  return allPages(async (c) => {
    const r = await client.listPrompts(params(c), { timeout: LIST_TIMEOUT_MS });
    return { items: r.prompts, nextCursor: r.nextCursor };
  }, (p) => p.name);
}

/** All pages of resources/list (none when the server does not offer resources). */
export async function listAllResources(client: Pick<Client, 'listResources' | 'getServerCapabilities'>): Promise<Resource[]> {
  if (!client.getServerCapabilities()?.resources) return [];
  return allPages(async (c) => {
    const r = await client.listResources(params(c), { timeout: LIST_TIMEOUT_MS });
    return { items: r.resources, nextCursor: r.nextCursor };
  }, (r) => r.uri);
}
