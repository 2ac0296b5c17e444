// mcp.json: the zod schema (the single source of truth), loading with precise errors, ${VAR} expansion and
// where the file comes from. A stray ./mcp.json is never picked up: only --mcp-config or ~/.vmlx/mcp.json.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { defaultMcpConfigPath } from '../paths.js';
import { findJsonSyntaxError, lineAndColumn } from './json-position.js';

type Env = Record<string, string | undefined>;

/** A config mistake: the message names the file, the JSON path and what is wrong, on one line. */
export class McpConfigError extends Error {
  readonly userFacing = true;
  constructor(
    readonly file: string,
    readonly jsonPath: string | undefined,
    readonly detail: string,
  ) {
    super(jsonPath ? `${file}: ${jsonPath}: ${detail}` : `${file}: ${detail}`);
    this.name = 'McpConfigError';
  }
}

export const ToolPolicySchema = z.enum(['allow', 'ask', 'deny']);
export type ToolPolicy = z.infer<typeof ToolPolicySchema>;

export const OAuthSettingsSchema = z.strictObject({
  /** A client id registered with the authorization server by hand (else vmlx registers itself when allowed). */
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  /** Scopes to request (space-separated), when the server names none. */
  scope: z.string().min(1).optional(),
  /** An https URL of a client metadata document, used as the client id where the server supports that. */
  clientMetadataUrl: z.url({ protocol: /^https$/ }).optional(),
  /** Fixed port of the loopback redirect listener (when the client id was registered with one). */
  redirectPort: z.number().int().min(1).max(65535).optional(),
});
export type OAuthSettings = z.infer<typeof OAuthSettingsSchema>;

// Server names become part of `server__tool` names and of per-server log file names.
const SERVER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const RawServerSchema = z
  .strictObject({
    // stdio
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    // remote
    url: z.string().min(1).optional(),
    type: z.enum(['stdio', 'http', 'sse', 'streamable-http']).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** OAuth for a remote server: a pre-registered client, scopes, the loopback port; false turns it off. */
    oauth: z.union([z.literal(false), OAuthSettingsSchema]).optional(),
    // per server
    /**
     * Directories this server sees as roots, besides the shared ones (the working directory, --root); false: no
     * roots for it at all (server-filesystem replaces its command-line directories with the roots it is given).
     */
    roots: z.union([z.literal(false), z.array(z.string().min(1))]).optional(),
    /** May this server use the loaded model (sampling/createMessage)? Default 'ask'. */
    sampling: ToolPolicySchema.optional(),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    timeout: z.number().int().positive().optional(),
    allowedTools: z.array(z.string().min(1)).optional(),
    blockedTools: z.array(z.string().min(1)).default([]),
    allowedHighRiskTools: z.array(z.string().min(1)).default([]),
    skip_security_validation: z.boolean().default(false),
    policy: ToolPolicySchema.optional(),
    toolPolicies: z.record(z.string(), ToolPolicySchema).default({}),
  })
  .superRefine((s, ctx) => {
    if (s.command !== undefined && s.url !== undefined) {
      ctx.addIssue({ code: 'custom', message: "has both 'command' (stdio) and 'url' (remote); use one" });
    } else if (s.command === undefined && s.url === undefined) {
      ctx.addIssue({ code: 'custom', message: "needs 'command' (a stdio server) or 'url' (an http/sse server)" });
    } else if (s.command !== undefined) {
      if (s.type !== undefined && s.type !== 'stdio') {
        ctx.addIssue({ code: 'custom', path: ['type'], message: `'${s.type}' needs 'url', not 'command'` });
      }
      if (s.headers !== undefined) ctx.addIssue({ code: 'custom', path: ['headers'], message: "only remote (url) servers take 'headers'" });
      if (s.oauth !== undefined) ctx.addIssue({ code: 'custom', path: ['oauth'], message: "only remote (url) servers take 'oauth'" });
    } else {
      if (s.type === 'stdio') ctx.addIssue({ code: 'custom', path: ['type'], message: "'stdio' needs 'command', not 'url'" });
      for (const k of ['args', 'env', 'cwd'] as const) {
        if (s[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `only stdio (command) servers take '${k}'` });
      }
    }
  });

interface CommonEntry {
  description?: string;
  enabled: boolean;
  /** Per-call and connect timeout in milliseconds. */
  timeout?: number;
  allowedTools?: string[];
  blockedTools: string[];
  allowedHighRiskTools: string[];
  skip_security_validation: boolean;
  /** Default policy for this server's tools. */
  policy?: ToolPolicy;
  toolPolicies: Record<string, ToolPolicy>;
  /** Extra roots of this server, or false: the roots capability is not declared to it. */
  roots: string[] | false;
  sampling?: ToolPolicy;
}
export interface StdioServerEntry extends CommonEntry {
  kind: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}
export interface RemoteServerEntry extends CommonEntry {
  kind: 'remote';
  url: string;
  /** 'http' = Streamable HTTP, 'sse' = the older transport; absent = try HTTP, fall back to SSE on a 4xx. */
  type?: 'http' | 'sse';
  headers: Record<string, string>;
  /** undefined: OAuth with defaults when the server asks for it; false: never. */
  oauth?: OAuthSettings | false;
}
export type ServerEntry = StdioServerEntry | RemoteServerEntry;

export const ServerEntrySchema = RawServerSchema.transform((s): ServerEntry => {
  const common: CommonEntry = {
    ...(s.description !== undefined ? { description: s.description } : {}),
    enabled: s.enabled,
    ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
    ...(s.allowedTools !== undefined ? { allowedTools: s.allowedTools } : {}),
    blockedTools: s.blockedTools,
    allowedHighRiskTools: s.allowedHighRiskTools,
    skip_security_validation: s.skip_security_validation,
    ...(s.policy !== undefined ? { policy: s.policy } : {}),
    toolPolicies: s.toolPolicies,
    roots: s.roots ?? [],
    ...(s.sampling !== undefined ? { sampling: s.sampling } : {}),
  };
  if (s.command !== undefined) {
    return { kind: 'stdio', ...common, command: s.command, args: s.args ?? [], env: s.env ?? {}, ...(s.cwd !== undefined ? { cwd: s.cwd } : {}) };
  }
  const type = s.type === 'streamable-http' ? 'http' : s.type === 'sse' || s.type === 'http' ? s.type : undefined;
  return { kind: 'remote', ...common, url: s.url as string, ...(type ? { type } : {}), headers: s.headers ?? {}, ...(s.oauth !== undefined ? { oauth: s.oauth } : {}) };
});

export const SecuritySchema = z.strictObject({
  /** Extra commands trusted besides the built-in whitelist (names, `prefix-*` patterns or absolute paths). */
  allowedCommands: z.array(z.string().min(1)).default([]),
  /** Extra regular expressions (case-insensitive) refused in tool arguments. */
  blockedArgumentPatterns: z
    .array(
      z.string().min(1).refine(
        (p) => {
          try {
            new RegExp(p, 'iu');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      ),
    )
    .default([]),
  maxCallsPerMinute: z.number().int().positive().default(60),
  maxArgumentBytes: z.number().int().positive().default(1024 * 1024),
});
export type SecurityConfig = z.infer<typeof SecuritySchema>;

const ServersSchema = z.record(
  z.string().regex(SERVER_NAME_RE, { message: 'server names use letters, digits, _ . - (max 64, starting with a letter or digit)' }),
  ServerEntrySchema,
);

export const McpConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    mcpServers: ServersSchema.optional(),
    /** Alias of mcpServers (the VS Code spelling). */
    servers: ServersSchema.optional(),
    security: SecuritySchema.default(SecuritySchema.parse({})),
  })
  .superRefine((c, ctx) => {
    if (c.mcpServers !== undefined && c.servers !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: "use either 'mcpServers' or its alias 'servers', not both" });
    }
  })
  .transform((c) => ({ mcpServers: c.mcpServers ?? c.servers ?? {}, security: c.security }));

export type McpConfig = z.output<typeof McpConfigSchema>;

/** An empty config (no servers, default security settings). */
export function emptyMcpConfig(): McpConfig {
  return McpConfigSchema.parse({});
}

// ---------- loading ----------

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += /^[A-Za-z0-9_$-]+$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '(top level)' : out;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isInteger(v)) return 'number (not an integer)';
  return typeof v;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function issueDetail(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = valueAt(raw, issue.path);
      return got === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(got)}`;
    }
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${JSON.stringify(k).slice(1, -1)}'`).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(raw, issue.path))}`;
    case 'invalid_key':
      return `invalid name: ${issue.issues[0]?.message ?? issue.message}`;
    default:
      return issue.message;
  }
}

/** Parses config text; `file` is only used in error messages. */
export function parseMcpConfig(text: string, file: string, env: Env = process.env): McpConfig {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    const problem = findJsonSyntaxError(body) ?? { offset: body.length, message: (err as Error).message.split('\n')[0] ?? 'invalid JSON' };
    const { line, column } = lineAndColumn(body, problem.offset);
    throw new McpConfigError(file, undefined, `invalid JSON at line ${line}, column ${column}: ${problem.message}`);
  }
  const parsed = McpConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new McpConfigError(file, formatPath(first.path), issueDetail(first, raw) + more);
  }
  const rawServersKey = raw !== null && typeof raw === 'object' && 'servers' in raw && !('mcpServers' in raw) ? 'servers' : 'mcpServers';
  return expandConfigVariables(parsed.data, file, env, rawServersKey);
}

/** Reads and validates an mcp.json. Throws McpConfigError (userFacing) for every user mistake. */
export function loadMcpConfig(path: string, env: Env = process.env): McpConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new McpConfigError(path, undefined, `cannot read the MCP config: ${why}`);
  }
  return parseMcpConfig(text, path, env);
}

// ---------- ${VAR} expansion ----------

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${NAME}` from env; a missing variable is an error naming it and where it was used. */
export function expandVariables(value: string, env: Env, file: string, jsonPath: string): string {
  return value.replace(VAR_RE, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new McpConfigError(file, jsonPath, `environment variable '${name}' is not set`);
    return v;
  });
}

function expandConfigVariables(config: McpConfig, file: string, env: Env, serversKey: string): McpConfig {
  const servers: Record<string, ServerEntry> = {};
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    const at = (...rest: string[]) => formatPath([serversKey, name, ...rest]);
    if (entry.kind === 'stdio') {
      const envOut: Record<string, string> = {};
      for (const [k, v] of Object.entries(entry.env)) envOut[k] = expandVariables(v, env, file, at('env', k));
      servers[name] = { ...entry, env: envOut, roots: expandRoots(entry.roots, env, file, at) };
    } else {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(entry.headers)) headers[k] = expandVariables(v, env, file, at('headers', k));
      const oauth = entry.oauth ? expandOAuth(entry.oauth, env, file, (k) => at('oauth', k)) : entry.oauth;
      servers[name] = {
        ...entry,
        url: expandVariables(entry.url, env, file, at('url')),
        headers,
        roots: expandRoots(entry.roots, env, file, at),
        ...(oauth !== undefined ? { oauth } : {}),
      };
    }
  }
  return { ...config, mcpServers: servers };
}

function expandRoots(roots: string[] | false, env: Env, file: string, at: (...rest: string[]) => string): string[] | false {
  return roots === false ? false : roots.map((r, i) => expandVariables(r, env, file, at('roots', String(i))));
}

function expandOAuth(o: OAuthSettings, env: Env, file: string, at: (k: string) => string): OAuthSettings {
  return {
    ...o,
    ...(o.clientId !== undefined ? { clientId: expandVariables(o.clientId, env, file, at('clientId')) } : {}),
    ...(o.clientSecret !== undefined ? { clientSecret: expandVariables(o.clientSecret, env, file, at('clientSecret')) } : {}),
  };
}

/**
 * Which config file to use: the --mcp-config path, else ~/.vmlx/mcp.json (VMLX_HOME) when it exists,
 * else none. The current directory is deliberately never searched.
 */
export function resolveMcpConfigPath(opts: { cliPath?: string | undefined; env?: Env } = {}): string | undefined {
  if (opts.cliPath !== undefined && opts.cliPath !== '') return resolve(opts.cliPath);
  const fallback = defaultMcpConfigPath(opts.env ?? process.env);
  return existsSync(fallback) ? fallback : undefined;
}
