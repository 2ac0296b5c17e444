// `vmlx serve MODEL [...]`: the agent runtime behind an OpenAI-compatible HTTP API.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import { UserError } from '../errors.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import { loadModel } from '../../engine/model.js';
import { serve } from '../../server/serve.js';
import { startMcpFromConfig } from '../../agent/mcp/index.js';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API, with the MCP endpoints')
    .argument('<model>', MODEL_ARG_HELP)
    .option(...OFFLINE_OPTION)
    .option('--mcp-config <file>', 'MCP servers config (default: ~/.vmlx/mcp.json when present)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535), 8000)
    .option('--api-key <key>', 'require this Bearer token on every route but /health (or VMLX_API_KEY)')
    .option('--tool-call-parser <name>', "tool-call parser name or 'auto'", 'auto')
    .option('--reasoning-parser <name>', "reasoning parser name, 'auto' or 'none'", 'auto')
    .option('--max-tokens-default <n>', 'completion budget when a request sets none', intArg('--max-tokens-default', 1, 1 << 20), 2048)
    .option('--max-queue <n>', 'requests that may wait before answering 429', intArg('--max-queue', 1, 100000), 64)
    .option('--continuous-batching', 'accepted; requests are served one at a time through the queue until batching lands')
    .option('--threads <n>', 'compute threads', intArg('--threads', 1, 256))
    .option('--max-context <n>', 'context length to allocate (default: the model maximum, capped)', intArg('--max-context', 16, 1 << 22))
    .option('--served-model-name <name>', 'model id reported to clients (default: the Hugging Face id, or the directory name)')
    .option('--allow-unsafe-mcp', 'honour skip_security_validation in the MCP config')
    .option('--audit-db <file>', 'audit log database (default: ~/.vmlx/audit.db)')
    .action(async (modelArg: string, o) => {
      const apiKey: string | undefined = o.apiKey ?? process.env.VMLX_API_KEY ?? undefined;
      if (!isLoopback(o.host) && !apiKey) {
        process.stderr.write(`vmlx serve: warning: listening on ${o.host} without an API key; anyone who can reach it can use the model and the MCP tools\n`);
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const resolved = await resolveModelArg(modelArg, { offline: o.offline });
      const modelDir = resolved.dir;
      log(`vmlx serve: loading ${modelDir}`);
      let lastPct = -1;
      const model = await loadModel(modelDir, {
        threads: o.threads,
        maxContext: o.maxContext,
        onProgress: (p) => {
          const pct = Math.floor(p.fraction * 10) * 10;
          if (p.phase === 'weights' && pct !== lastPct) {
            lastPct = pct;
            process.stderr.write(`\r  weights ${pct}%`);
            if (pct === 100) process.stderr.write('\n');
          }
        },
      });
      const executor = await startMcpFromConfig({
        configPath: o.mcpConfig,
        allowUnsafe: Boolean(o.allowUnsafeMcp),
        auditDbPath: o.auditDb,
        origin: 'serve',
        onWarning: (msg) => log(`vmlx serve: warning: ${msg}`),
      }).then((m) => m ?? null).catch(async (err) => {
        await model.dispose();
        throw err;
      });
      let handle;
      try {
        handle = await serve(
          { model, executor, modelId: o.servedModelName ?? resolved.repoId, log },
          {
            host: o.host,
            port: o.port,
            apiKey,
            toolCallParser: o.toolCallParser,
            reasoningParser: o.reasoningParser,
            maxTokensDefault: o.maxTokensDefault,
            queueBound: o.maxQueue,
            continuousBatching: Boolean(o.continuousBatching),
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
