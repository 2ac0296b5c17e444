// Deferred tool schemas: when the definitions of every connected tool would take too much of the context window,
// the model is shown two small tools instead (search_tools finds tools and returns their schemas; call_tool runs
// one by name). call_tool is unwrapped in the tool round and then takes the same decision, sandbox and audit path
// as a direct call, so there is still one agent loop.
import type { LanguageModel, ToolDefinition } from '../../engine/types.js';
import type { McpTool } from '../mcp/types.js';
import { toolDefinitions } from './tool-defs.js';

export const SEARCH_TOOLS = 'search_tools';
export const CALL_TOOL = 'call_tool';
/** Share of the context window the tool definitions may take before they are deferred. */
export const DEFAULT_TOOL_SCHEMA_SHARE = 0.25;
export const DEFAULT_SEARCH_RESULTS = 5;
const MAX_SEARCH_RESULTS = 20;

export type ToolExposure =
  | { mode: 'direct'; definitions: ToolDefinition[]; toolCount: number; schemaTokens: number }
  | { mode: 'deferred'; definitions: ToolDefinition[]; toolCount: number; schemaTokens: number; tools: McpTool[] };

export function deferredToolDefinitions(): ToolDefinition[] {
  return [
    {
      type: 'function',
      function: {
        name: SEARCH_TOOLS,
        description:
          'Search the available tools (there are too many to list here). Returns the best matches with their names, descriptions and JSON parameter schemas; then run one with call_tool.',
        parameters: {
          type: 'object',
          properties: {
            query: { type: 'string', description: 'words describing what the tool should do, or a tool name' },
            limit: { type: 'integer', description: `how many tools to return (default ${DEFAULT_SEARCH_RESULTS}, at most ${MAX_SEARCH_RESULTS})` },
          },
          required: ['query'],
        },
      },
    },
    {
      type: 'function',
      function: {
        name: CALL_TOOL,
        description: 'Run a tool found with search_tools: give its exact name and its arguments as an object matching its schema.',
        parameters: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'the tool name that search_tools returned' },
            arguments: { type: 'object', description: 'the arguments of that tool' },
          },
          required: ['name'],
        },
      },
    },
  ];
}

const schemaTokenCache = new WeakMap<McpTool[], { model: LanguageModel; tokens: number }>();
const pairTokenCache = new WeakMap<LanguageModel, number>();

/** Tokens the tool definitions take (cached per tool list: the manager replaces the array when tools change). */
function schemaTokens(tools: McpTool[], model: LanguageModel): number {
  const cached = schemaTokenCache.get(tools);
  if (cached && cached.model === model) return cached.tokens;
  const tokens = tools.length === 0 ? 0 : model.countTokens(JSON.stringify(toolDefinitions(tools)));
  schemaTokenCache.set(tools, { model, tokens });
  return tokens;
}

/**
 * Which tool definitions the model sees: all of them, or the search/call pair when they would take more than
 * `share` of the context window (and the pair is actually smaller). A share of 1 or more never defers.
 */
export function planToolExposure(tools: McpTool[], model: LanguageModel, share = DEFAULT_TOOL_SCHEMA_SHARE): ToolExposure {
  const tokens = schemaTokens(tools, model);
  if (share < 1 && tokens > share * model.info.contextLength) {
    const pair = deferredToolDefinitions();
    let pairTokens = pairTokenCache.get(model);
    if (pairTokens === undefined) {
      pairTokens = model.countTokens(JSON.stringify(pair));
      pairTokenCache.set(model, pairTokens);
    }
    if (pairTokens < tokens) {
      return { mode: 'deferred', definitions: pair, toolCount: tools.length, schemaTokens: tokens, tools };
    }
  }
  return { mode: 'direct', definitions: toolDefinitions(tools), toolCount: tools.length, schemaTokens: tokens };
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1);
}

/** Ranks tools by how many query words occur in their name (counted twice), description and parameter names. */
export function searchTools(tools: McpTool[], query: string, limit = DEFAULT_SEARCH_RESULTS): McpTool[] {
  const q = query.trim().toLowerCase();
  const exact = tools.filter((t) => t.qualifiedName.toLowerCase() === q || t.name.toLowerCase() === q);
  const terms = words(query);
  const scored = tools
    .filter((t) => !exact.includes(t))
    .map((t) => {
      const name = words(`${t.qualifiedName} ${t.name}`);
      const rest = words(`${t.description ?? ''} ${Object.keys((t.inputSchema.properties as object | undefined) ?? {}).join(' ')}`);
      let score = 0;
      for (const term of terms) {
        if (name.some((w) => w === term)) score += 3;
        else if (name.some((w) => w.startsWith(term))) score += 2;
        if (rest.some((w) => w === term || w.startsWith(term))) score += 1;
      }
      return { t, score };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const n = Math.max(1, Math.min(MAX_SEARCH_RESULTS, Math.floor(limit)));
  return [...exact, ...scored.map((s) => s.t)].slice(0, n);
}

export type MetaCallResult = { ok: true; text: string } | { ok: false; error: string };

/** Runs search_tools: the matches as one JSON document the model reads (names, descriptions, schemas). */
export function runSearchTools(tools: McpTool[], args: Record<string, unknown>): MetaCallResult {
  if (typeof args.query !== 'string' || args.query.trim() === '') return { ok: false, error: "search_tools needs a non-empty 'query' string" };
  const limit = typeof args.limit === 'number' && Number.isFinite(args.limit) ? args.limit : DEFAULT_SEARCH_RESULTS;
  const found = searchTools(tools, args.query, limit);
  if (found.length === 0) return { ok: true, text: `no tool matches '${args.query}' (${tools.length} tools available); try other words` };
  const listed = found.map((t) => ({ name: t.qualifiedName, ...(t.description ? { description: t.description } : {}), parameters: t.inputSchema }));
  return { ok: true, text: JSON.stringify({ tools: listed, total_tools: tools.length }, null, 1) };
}

/** The inner call of a call_tool call: the tool's name and its arguments as JSON text. */
export function unwrapCallTool(args: Record<string, unknown>): { ok: true; name: string; arguments: string } | { ok: false; error: string } {
  if (typeof args.name !== 'string' || args.name.trim() === '') return { ok: false, error: "call_tool needs the tool's 'name' (find it with search_tools)" };
  const inner = args.arguments ?? {};
  // Some models write the arguments as a JSON string instead of an object.
  if (typeof inner === 'string') return { ok: true, name: args.name.trim(), arguments: inner };
  if (typeof inner !== 'object' || Array.isArray(inner) || inner === null) return { ok: false, error: "call_tool: 'arguments' must be an object" };
  return { ok: true, name: args.name.trim(), arguments: JSON.stringify(inner) };
}
