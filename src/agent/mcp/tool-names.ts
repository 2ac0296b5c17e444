// Names under which MCP tools are shown to models: `server__tool`, restricted to the characters
// and length that OpenAI-style function calling accepts, unique across all servers, and mapped back.

export const MAX_TOOL_NAME_LENGTH = 64;
const SEPARATOR = '__';

/** Replaces every character outside [a-zA-Z0-9_-] with '_'. */
export function sanitizeNamePart(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned.length > 0 ? cleaned : '_';
}

export interface ToolRef {
  server: string;
  name: string;
}

/**
 * Assigns a unique qualified name to every (server, tool) pair, in order. Earlier pairs keep the plain
 * `server__tool` form; a later pair that collides (after sanitising or truncation) gets `_2`, `_3`, ...
 */
export function assignQualifiedNames(refs: readonly ToolRef[]): string[] {
  const taken = new Set<string>();
  const out: string[] = [];
  for (const ref of refs) {
    const base = truncate(`${sanitizeNamePart(ref.server)}${SEPARATOR}${sanitizeNamePart(ref.name)}`, MAX_TOOL_NAME_LENGTH);
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = `_${n}`;
      candidate = truncate(base, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
    }
    taken.add(candidate);
    out.push(candidate);
  }
  return out;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}

/** Splits `server__tool` at the first separator (what a model would write for an unsanitised pair). */
export function splitQualifiedName(qualified: string): ToolRef | undefined {
  const i = qualified.indexOf(SEPARATOR);
  if (i <= 0 || i + SEPARATOR.length >= qualified.length) return undefined;
  return { server: qualified.slice(0, i), name: qualified.slice(i + SEPARATOR.length) };
}

/**
 * Whether `spelling` names this tool: its own name as the server lists it, the qualified name shown by
 * `vmlx mcp tools`, /tools and /v1/mcp/tools (`server__tool`), or that form with the unsanitised server name.
 * Every command that takes a tool name accepts all three.
 */
export function namesTool(tool: ToolRef & { qualifiedName: string }, spelling: string): boolean {
  return spelling === tool.name || spelling === tool.qualifiedName || spelling === `${tool.server}${SEPARATOR}${tool.name}`;
}

/** The tool of `server` that `spelling` names (its own name first: a server may list a tool called `a__b`). */
export function findServerTool<T extends ToolRef & { qualifiedName: string }>(tools: readonly T[], server: string, spelling: string): T | undefined {
  const own = tools.filter((t) => t.server === server);
  return own.find((t) => t.name === spelling) ?? own.find((t) => namesTool(t, spelling));
}
