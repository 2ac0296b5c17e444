// `vmlx serve MODEL [...]`: the agent runtime behind an OpenAI-compatible HTTP API.
import type { Command } from 'commander';
import { kvCacheMemoryOption } from '../kv-cache-option.js';
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { auditRetentionOption } from '../audit-options.js';
import { UserError } from '../errors.js';
import { toolSchemaShareOption } from '../tool-schema-option.js';
import { isLoopbackHost } from '../../server/hosts.js';
import { parseHostList, parseOriginList } from '../../server/request-guard.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import { DEFAULT_MAX_NUM_SEQS, loadModel } from '../../engine/model.js';
import type { LanguageModel } from '../../engine/types.js';
import { apiBase, RemoteModel, upstreamApiKey } from '../../engine/remote/index.js';
import { serve } from '../../server/serve.js';
import { startMcpFromConfig } from '../../agent/mcp/index.js';
import { declineElicitations } from '../../agent/mcp/elicitation.js';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function listArg(name: string, parse: (v: string) => string[]) {
  return (v: string): string[] => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError(`${name}: ${(err as Error).message}`);
    }
  };
}

/** The API key from --api-key-file, --api-key or VMLX_API_KEY (the first two are exclusive). */
function resolveApiKey(o: { apiKey?: string; apiKeyFile?: string }): string | undefined {
  if (o.apiKey !== undefined && o.apiKeyFile !== undefined) throw new UserError('--api-key and --api-key-file: give only one');
  if (o.apiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.apiKeyFile, 'utf8');
    } catch (err) {
      throw new UserError(`--api-key-file ${o.apiKeyFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const key = text.split(/\r?\n/)[0]!.trim();
    if (!key) throw new UserError(`--api-key-file ${o.apiKeyFile}: the first line is empty`);
    return key;
  }
  const key = o.apiKey ?? process.env.VMLX_API_KEY;
  if (key !== undefined && !key.trim()) throw new UserError(o.apiKey !== undefined ? '--api-key: the key is empty' : 'VMLX_API_KEY: the key is empty');
  return key?.trim() || undefined;
}

interface BatchingFlags {
  continuousBatching?: boolean;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
}

/**
 * --continuous-batching is the default; --no-continuous-batching means one request at a time (--max-num-seqs 1).
 * With --upstream the engine upstream batches, so these flags are refused rather than ignored.
 */
export function batchingOptions(o: BatchingFlags & { upstream?: string }): { maxNumSeqs: number; maxNumBatchedTokens?: number } {
  if (o.upstream) {
    for (const [flag, value] of [['--max-num-seqs', o.maxNumSeqs], ['--max-num-batched-tokens', o.maxNumBatchedTokens], ['--[no-]continuous-batching', o.continuousBatching]] as const) {
      if (value !== undefined) throw new UserError(`${flag} has no effect with --upstream (the upstream engine batches; see --upstream-concurrency)`);
    }
  }
  if (o.continuousBatching === false && o.maxNumSeqs !== undefined && o.maxNumSeqs > 1) {
    throw new UserError(`--no-continuous-batching runs one request at a time; it contradicts --max-num-seqs ${o.maxNumSeqs}`);
  }
  const maxNumSeqs = o.continuousBatching === false ? 1 : (o.maxNumSeqs ?? DEFAULT_MAX_NUM_SEQS);
  return { maxNumSeqs, ...(o.maxNumBatchedTokens !== undefined ? { maxNumBatchedTokens: o.maxNumBatchedTokens } : {}) };
}

async function loadLocal(
  modelDir: string,
  o: { threads?: number; maxContext?: number; precise?: boolean; kvCacheMemory?: number },
  batching: ReturnType<typeof batchingOptions>,
  log: (line: string) => void,
): Promise<LanguageModel> {
  log(`vmlx serve: loading ${modelDir}`);
  let lastPct = -1;
  return loadModel(modelDir, {
    threads: o.threads,
    maxContext: o.maxContext,
    ...(o.precise ? { activations: 'float' as const } : {}),
    ...batching,
    ...(o.kvCacheMemory !== undefined ? { kvCacheMemory: o.kvCacheMemory } : {}),
    onProgress: (p) => {
      const pct = Math.floor(p.fraction * 10) * 10;
      if (p.phase === 'weights' && pct !== lastPct) {
        lastPct = pct;
        process.stderr.write(`\r  weights ${pct}%`);
        if (pct === 100) process.stderr.write('\n');
      }
    },
  });
}

async function connectUpstream(
  url: string,
  name: string,
  o: { threads?: number; maxContext?: number; precise?: boolean; kvCacheMemory?: number },
  log: (line: string) => void,
): Promise<LanguageModel> {
  if (o.threads !== undefined) throw new UserError('--threads has no effect with --upstream (the upstream engine runs the model)');
  if (o.precise) throw new UserError('--precise has no effect with --upstream (the upstream engine runs the model)');
  if (o.kvCacheMemory !== undefined) throw new UserError('--kv-cache-memory has no effect with --upstream (the upstream engine keeps the cache)');
  try {
    apiBase(url);
  } catch (err) {
    throw new UserError(`--upstream: ${(err as Error).message}`);
  }
  const apiKey = upstreamApiKey();
  const model = await RemoteModel.connect({ endpoint: url, model: name, ...(apiKey ? { apiKey } : {}), ...(o.maxContext ? { contextLength: o.maxContext } : {}) });
  for (const w of model.warnings) log(`vmlx serve: warning: ${w}`);
  log(`vmlx serve: upstream ${model.endpoint}, model ${name}`);
  return model;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API, with the MCP endpoints')
    .argument('<model>', `${MODEL_ARG_HELP}; with --upstream, the model name the engine serves`)
    .option(...OFFLINE_OPTION)
    .option('--upstream <url>', 'serve a remote OpenAI-compatible engine (vLLM, SGLang, llama-server, Ollama, vmlx) through the vmlx agent APIs and MCP host; API key from VMLX_UPSTREAM_API_KEY')
    .option('--mcp-config <file>', 'MCP servers config (default: ~/.vmlx/mcp.json when present)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535), 8000)
    .option('--api-key <key>', 'require this key (Bearer or x-api-key) on every route but /health; visible to other users in ps, so prefer VMLX_API_KEY or --api-key-file')
    .option('--api-key-file <file>', 'read the API key from the first line of this file (or set VMLX_API_KEY)')
    .option('--allowed-origins <list>', 'comma-separated origins (scheme://host[:port]) whose web pages may call the API; requests from any other Origin are refused (default: none)', listArg('--allowed-origins', parseOriginList), [])
    .option('--allowed-hosts <list>', "comma-separated Host names accepted besides loopback names and the bound address ('*' = any)", listArg('--allowed-hosts', parseHostList), [])
    .option('--max-connections <n>', 'open connections served before new requests get 503 (/health still answers)', intArg('--max-connections', 1, 65536), 256)
    .option('--upstream-concurrency <n>', 'with --upstream: requests sent to the engine at once (default 8)', intArg('--upstream-concurrency', 1, 4096))
    .option('--tool-call-parser <name>', "tool-call parser name or 'auto'", 'auto')
    .option('--reasoning-parser <name>', "reasoning parser name, 'auto' or 'none'", 'auto')
    .option('--max-tokens-default <n>', 'completion budget when a request sets none', intArg('--max-tokens-default', 1, 1 << 20), 2048)
    .option('--max-queue <n>', 'requests that may wait before answering 429', intArg('--max-queue', 1, 100000), 64)
    .option('--continuous-batching', 'run concurrent requests together, sharing each forward pass (the default)')
    .option('--no-continuous-batching', 'serve one request at a time (the same as --max-num-seqs 1)')
    .option('--max-num-seqs <n>', `requests generating at once (default ${DEFAULT_MAX_NUM_SEQS}); more wait in the queue`, intArg('--max-num-seqs', 1, 256))
    .option('--max-num-batched-tokens <n>', 'tokens one step feeds, all requests together: a long prompt is prefilled in chunks of what is left after the running requests\' next tokens (default 256)', intArg('--max-num-batched-tokens', 1, 256))
    .option('--threads <n>', 'compute threads', intArg('--threads', 1, 256))
    .option('--precise', 'float activations in the quantized matmuls (slower, closest to the float weights; default: int8 or int16 activations, per family)')
    .option('--max-context <n>', 'context length to allocate (default: the model maximum, capped)', intArg('--max-context', 16, 1 << 22))
    .addOption(kvCacheMemoryOption())
    .option('--served-model-name <name>', 'model id reported to clients (default: the Hugging Face id, or the directory name)')
    .option('--allow-unsafe-mcp', 'honour skip_security_validation in the MCP config')
    .addOption(toolSchemaShareOption())
    .option('--audit-db <file>', 'audit log database (default: ~/.vmlx/audit.db)')
    .addOption(auditRetentionOption())
    .action(async (modelArg: string, o) => {
      const apiKey = resolveApiKey(o);
      if (o.apiKey !== undefined) {
        process.stderr.write('vmlx serve: warning: --api-key is visible to other users (ps, /proc); prefer VMLX_API_KEY or --api-key-file\n');
      }
      if (!isLoopbackHost(o.host) && !apiKey) {
        process.stderr.write(
          `vmlx serve: warning: listening on ${o.host} without an API key; anyone who can reach it can use the model, and the MCP routes are refused (set VMLX_API_KEY or --api-key-file)\n`,
        );
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      if (o.upstreamConcurrency !== undefined && !o.upstream) throw new UserError('--upstream-concurrency needs --upstream');
      const batching = batchingOptions(o);
      let repoId: string | undefined;
      let model: LanguageModel;
      if (o.upstream) {
        model = await connectUpstream(o.upstream, modelArg, o, log);
      } else {
        const resolved = await resolveModelArg(modelArg, { offline: o.offline });
        repoId = resolved.repoId;
        model = await loadLocal(resolved.dir, o, batching, log);
      }
      const executor = await startMcpFromConfig({
        configPath: o.mcpConfig,
        allowUnsafe: Boolean(o.allowUnsafeMcp),
        auditDbPath: o.auditDb,
        auditRetentionDays: o.auditRetentionDays,
        origin: 'serve',
        onWarning: (msg) => log(`vmlx serve: warning: ${msg}`),
        // Nobody sits at a server: elicitations are declined and sampling refused at once, with the reason.
        host: {
          elicitation: declineElicitations('vmlx serve has no user to ask', (msg) => log(`vmlx serve: ${msg}`)),
          samplingUnavailable: 'vmlx serve does not lend its model to MCP servers (no user to approve it)',
        },
      }).then((m) => m ?? null).catch(async (err) => {
        await model.dispose();
        throw err;
      });
      let handle;
      try {
        handle = await serve(
          { model, executor, modelId: o.servedModelName ?? (o.upstream ? modelArg : repoId), log },
          {
            host: o.host,
            port: o.port,
            apiKey,
            allowedOrigins: o.allowedOrigins,
            allowedHosts: o.allowedHosts,
            maxConnections: o.maxConnections,
            toolCallParser: o.toolCallParser,
            reasoningParser: o.reasoningParser,
            maxTokensDefault: o.maxTokensDefault,
            queueBound: o.maxQueue,
            ...(o.upstream ? { concurrency: o.upstreamConcurrency ?? 8 } : {}),
            ...(o.toolSchemaShare !== undefined ? { toolSchemaShare: o.toolSchemaShare } : {}),
          },
        );
      } catch (err) {
        await executor?.close();
        await model.dispose();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UserError(`--port ${o.port}: address ${o.host}:${o.port} is already in use`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${o.host}: cannot listen on that address`);
        throw err;
      }
      for (const st of executor?.statuses() ?? []) {
        if (st.state !== 'connected') log(`vmlx serve: MCP server '${st.name}' ${st.state}${st.error ? `: ${st.error}` : ''}`);
      }
      log(`vmlx serve: ${handle.ctx.modelId} on ${handle.url} (context ${model.info.contextLength}${executor ? `, ${executor.listTools().length} MCP tools` : ''})`);
      await new Promise<void>((resolveDone) => {
        const stop = (sig: string) => {
          log(`vmlx serve: ${sig}: shutting down`);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          void handle.shutdown().then(resolveDone);
        };
        const onInt = () => stop('SIGINT');
        const onTerm = () => stop('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
      process.exitCode = 0;
    });
}
