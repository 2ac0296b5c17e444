// Starts the real HTTP server on a loopback port around a given model and (optionally) a real MCP manager.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageModel } from '../../src/engine/types.js';
import type { ServeOptions } from '../../src/server/context.js';
import { serve, type ServeHandle } from '../../src/server/serve.js';
import { ScriptedModel, type ModelScript } from '../../src/agent/scripted-model.js';
import { AuditLog, McpManager, loadMcpConfig } from '../../src/agent/mcp/index.js';
import type { RestartPolicy } from '../../src/agent/mcp/restart.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FILESYSTEM_SERVER = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');

export interface TestServer {
  handle: ServeHandle;
  url: string;
  baseURL: string;
  close(): Promise<void>;
}

export async function startServer(
  model: LanguageModel,
  opts: Partial<ServeOptions> = {},
  executor: McpManager | null = null,
  log?: (line: string) => void,
): Promise<TestServer> {
  const handle = await serve({ model, executor, modelId: 'test-model', ...(log ? { log } : {}) }, { port: 0, ...opts });
  return {
    handle,
    url: handle.url,
    baseURL: `${handle.url}/v1`,
    close: () => handle.shutdown(1000),
  };
}

export function scripted(rounds: ModelScript['rounds'], extra: Partial<ModelScript> = {}): ScriptedModel {
  return new ScriptedModel({ rounds, ...extra });
}

export interface FilesystemMcp {
  manager: McpManager;
  audit: AuditLog;
  root: string;
  cleanup(): Promise<void>;
}

export interface FilesystemMcpOptions {
  /** Top-level config fields (security, more mcpServers entries). */
  config?: { security?: Record<string, unknown>; mcpServers?: Record<string, unknown> };
  restartPolicy?: RestartPolicy;
}

/** server-filesystem on a fresh temporary directory, with a temp audit database. */
export async function startFilesystemMcp(serverExtra: Record<string, unknown> = {}, more: FilesystemMcpOptions = {}): Promise<FilesystemMcp> {
  const work = mkdtempSync(join(tmpdir(), 'vmlx-server-test-'));
  const root = join(work, 'files');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(root);
  writeFileSync(join(root, 'notes.txt'), 'hello from the filesystem server\n');
  writeFileSync(join(root, 'todo.md'), '- write tests\n');
  const configPath = join(work, 'mcp.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      mcpServers: { filesystem: { command: 'node', args: [FILESYSTEM_SERVER, root], ...serverExtra }, ...more.config?.mcpServers },
      ...(more.config?.security ? { security: more.config.security } : {}),
    }),
  );
  const audit = AuditLog.open(join(work, 'audit.db'));
  const manager = await McpManager.start({
    config: loadMcpConfig(configPath),
    configPath,
    audit,
    origin: 'serve',
    logDir: join(work, 'logs'),
    ...(more.restartPolicy ? { restartPolicy: more.restartPolicy } : {}),
  });
  return {
    manager,
    audit,
    root,
    cleanup: async () => {
      await manager.close();
      audit.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
