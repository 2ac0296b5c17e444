// Starting the MCP layer from a config file the way the commands do: resolve the file (--mcp-config or
// ~/.vmlx/mcp.json), load it, open the audit log, start the manager. The manager then owns the audit log.
import { loadMcpConfig, resolveMcpConfigPath, type McpConfig } from './config.js';
import { allowUnsafeFromEnv } from './validator.js';
import { McpManager, type McpManagerOptions } from './manager.js';
import { AuditLog } from '../audit/index.js';
import { defaultAuditDbPath } from '../paths.js';
import type { CallOrigin } from './types.js';

export interface StartMcpOptions {
  /** --mcp-config; without it ~/.vmlx/mcp.json (VMLX_HOME) is used when it exists. */
  configPath?: string | undefined;
  /** --allow-unsafe-mcp; VMLX_ALLOW_UNSAFE_MCP=1 also counts. */
  allowUnsafe?: boolean;
  /** --audit-db; default ~/.vmlx/audit.db. */
  auditDbPath?: string | undefined;
  /** --audit-retention-days: older rows are pruned in the background (0 or absent keeps them). */
  auditRetentionDays?: number | undefined;
  origin: CallOrigin;
  sessionId?: string;
  onWarning?: (msg: string) => void;
  connectTimeoutMs?: number;
  logDir?: string;
  /** Keep only these servers of the config (for one-off calls). */
  onlyServers?: string[];
  /** Roots, elicitation and sampling handlers (default: declined, no model). */
  host?: McpManagerOptions['host'];
  /** Return the manager at once instead of after every server settled (for progress UIs). */
  noWait?: boolean;
}

export interface LoadedMcp {
  configPath: string;
  config: McpConfig;
}

/** Finds and loads the config; undefined when neither --mcp-config nor the default file exists. */
export function loadConfiguredMcp(configPath: string | undefined): LoadedMcp | undefined {
  const path = resolveMcpConfigPath({ cliPath: configPath });
  if (!path) return undefined;
  return { configPath: path, config: loadMcpConfig(path) };
}

/**
 * Starts the MCP layer, or returns undefined when there is no config. Config mistakes throw
 * McpConfigError (userFacing); server failures are statuses, never exceptions.
 */
export async function startMcpFromConfig(opts: StartMcpOptions): Promise<McpManager | undefined> {
  const loaded = loadConfiguredMcp(opts.configPath);
  if (!loaded) return undefined;
  let config = loaded.config;
  if (opts.onlyServers) {
    const keep = new Set(opts.onlyServers);
    config = { ...config, mcpServers: Object.fromEntries(Object.entries(config.mcpServers).filter(([n]) => keep.has(n))) };
  }
  const audit = AuditLog.open(opts.auditDbPath ?? defaultAuditDbPath(), { retentionDays: opts.auditRetentionDays });
  const managerOpts: McpManagerOptions = {
    config,
    configPath: loaded.configPath,
    allowUnsafe: opts.allowUnsafe === true || allowUnsafeFromEnv(),
    audit,
    ownsAudit: true,
    origin: opts.origin,
    ...(opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {}),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
    ...(opts.host ? { host: opts.host } : {}),
  };
  return opts.noWait ? McpManager.create(managerOpts) : McpManager.start(managerOpts);
}
