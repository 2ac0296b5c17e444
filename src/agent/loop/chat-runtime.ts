// Brings up what a chat needs, the same way for the REPL and --print: the MCP layer (config, audit log, manager)
// and the model (real weights or a scripted model), and takes it all down again.
import { AuditLog } from '../audit/index.js';
import { emptyMcpConfig } from '../mcp/config.js';
import { McpManager, type McpManagerOptions } from '../mcp/manager.js';
import { loadConfiguredMcp } from '../mcp/runtime.js';
import { allowUnsafeFromEnv } from '../mcp/validator.js';
import { defaultAuditDbPath, logDir } from '../paths.js';
import { ScriptedModel } from '../scripted-model.js';
import { loadModel } from '../../engine/model.js';
import { RemoteModel, upstreamApiKey } from '../../engine/remote/index.js';
import type { LanguageModel, LoadModelOptions } from '../../engine/types.js';

export interface McpSetupOptions {
  /** --mcp-config; without it ~/.vmlx/mcp.json is used when it exists, else no servers. */
  configPath?: string;
  allowUnsafe?: boolean;
  auditDbPath?: string;
  /** --audit-retention-days: older rows are pruned in the background (0 or absent keeps them). */
  auditRetentionDays?: number;
  sessionId: string;
  onWarning: (message: string) => void;
  /** Roots, elicitation and sampling handlers for the servers. */
  host?: McpManagerOptions['host'];
}

export interface McpSetup {
  manager: McpManager;
  audit: AuditLog;
  /** The config file in use, if any. */
  configPath: string | undefined;
}

/**
 * Loads and validates the config and opens the audit log (user mistakes throw here, before any UI), then starts
 * connecting the servers without waiting: `manager.waitUntilSettled()` resolves once each one has settled.
 */
export function startMcp(opts: McpSetupOptions): McpSetup {
  const loaded = loadConfiguredMcp(opts.configPath);
  const audit = AuditLog.open(opts.auditDbPath ?? defaultAuditDbPath(), { retentionDays: opts.auditRetentionDays });
  const manager = McpManager.create({
    config: loaded?.config ?? emptyMcpConfig(),
    ...(loaded ? { configPath: loaded.configPath } : {}),
    allowUnsafe: opts.allowUnsafe === true || allowUnsafeFromEnv(),
    audit,
    ownsAudit: true,
    origin: 'chat',
    sessionId: opts.sessionId,
    logDir: logDir(),
    onWarning: opts.onWarning,
    ...(opts.host ? { host: opts.host } : {}),
  });
  return { manager, audit, configPath: loaded?.configPath };
}

export interface ModelSource {
  /** A model directory (MLX format). */
  dir?: string;
  /** Bytes of the paged KV pool for local weights (--kv-cache-memory; default from the RAM). */
  kvCacheMemory?: number;
  /** A model script file (testing). */
  scriptedModel?: string;
  /** Local weights: keep float activations in the quantized matmuls (`--precise`). */
  precise?: boolean;
  /** How to show the model (a Hugging Face id) when the directory name would not say (a cache snapshot). */
  displayName?: string;
  /** A remote OpenAI-compatible engine: its API base URL and the model name it serves. */
  remote?: { endpoint: string; model: string };
}

export async function openChatModel(
  source: ModelSource,
  onProgress?: LoadModelOptions['onProgress'],
  onWarning?: (message: string) => void,
): Promise<LanguageModel> {
  if (source.remote) {
    const apiKey = upstreamApiKey();
    const model = await RemoteModel.connect({ ...source.remote, ...(apiKey ? { apiKey } : {}) });
    for (const w of model.warnings) onWarning?.(w);
    onProgress?.({ phase: 'weights', fraction: 1 });
    return model;
  }
  if (source.scriptedModel) {
    onProgress?.({ phase: 'weights', fraction: 1 });
    return ScriptedModel.fromFile(source.scriptedModel);
  }
  if (!source.dir) throw new Error('no model given');
  return loadModel(source.dir, {
    ...(onProgress ? { onProgress } : {}),
    ...(source.precise ? { activations: 'float' as const } : {}),
    ...(source.kvCacheMemory !== undefined ? { kvCacheMemory: source.kvCacheMemory } : {}),
  });
}

/** Short display name of a model source. */
export function modelDisplayName(source: ModelSource): string {
  if (source.displayName) return source.displayName;
  if (source.remote) return `${source.remote.model} @ ${new URL(source.remote.endpoint).host}`;
  const path = source.scriptedModel ?? source.dir ?? 'model';
  const base = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? path;
  return source.scriptedModel ? `scripted:${base}` : base;
}
