// What the input helpers (MCP prompt commands, @ mentions, completion) need from the MCP side: the catalog of
// prompts and resources, and the names of the configured servers.
import type { GetPromptResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerPrompt, ServerResource } from '../mcp/catalog.js';

export interface InputCatalog {
  prompts(): ServerPrompt[];
  resources(): ServerResource[];
  getPrompt(server: string, name: string, args: Record<string, string>): Promise<GetPromptResult>;
  readResource(server: string, uri: string): Promise<ReadResourceResult>;
}

export interface InputContext {
  catalog: InputCatalog;
  /** Names of the configured MCP servers (a mention `@name:...` is a resource only for one of these). */
  servers: string[];
  /** The working directory: `@path` mentions must stay inside it. */
  cwd: string;
  /** Cap on each attachment, in UTF-8 bytes; longer content is cut with a marker. */
  maxAttachmentBytes: number;
}

/** A user mistake in the input (unknown prompt, missing argument, a path outside the working directory, ...). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
