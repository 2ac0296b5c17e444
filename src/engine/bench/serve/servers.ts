// The two servers the serving bench drives, each a separate process so that the clients' own work does not share
// their event loop: `vmlx serve` (this package's bin) and llama.cpp's own llama-server (built by npm run peer:build).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import { peerTool } from '../llama-bench.js';

export class BenchServerError extends Error {
  readonly userFacing = true;
}

export interface RunningServer {
  name: string;
  baseUrl: string;
  /** The model id to send in requests. */
  model: string;
  pid: number;
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 300_000;

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Rejects with the process's last output when it exits before it is ready. */
function exitBeforeReady(child: ChildProcess, name: string, output: () => string): Promise<never> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(new BenchServerError(`${name} exited before it was ready (${code ?? signal}): ${output().trim().split('\n').slice(-3).join(' | ')}`));
    });
    child.once('error', (err) => reject(new BenchServerError(`${name} could not start: ${err.message}`)));
  });
  // The race is over once the server is ready; its later, normal exit must not become an unhandled rejection.
  exited.catch(() => undefined);
  return exited;
}

function deadline(name: string, child: ChildProcess): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchServerError(`${name} was not ready after ${START_DEADLINE_MS / 1000} s`));
    }, START_DEADLINE_MS);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/** `vmlx serve DIR` on a free loopback port, with no MCP servers (an empty config), ready when it prints its URL. */
export async function startVmlxServer(o: { modelDir: string; threads: number; maxContext?: number; maxNumSeqs?: number; kvCacheBytes?: number }): Promise<RunningServer> {
  const scratch = mkdtempSync(join(tmpdir(), 'vmlx-bench-serve-'));
  const config = join(scratch, 'mcp.json');
  writeFileSync(config, '{"mcpServers":{}}\n');
  const args = [join(packageRoot(), 'bin', 'vmlx.js'), 'serve', o.modelDir, '--port', '0', '--threads', String(o.threads),
    '--mcp-config', config, '--audit-db', join(scratch, 'audit.db'), '--max-queue', '100000', '--served-model-name', 'bench'];
  if (o.maxContext) args.push('--max-context', String(o.maxContext));
  if (o.maxNumSeqs) args.push('--max-num-seqs', String(o.maxNumSeqs));
  if (o.kvCacheBytes) args.push('--kv-cache-memory', `${Math.ceil(o.kvCacheBytes / 2 ** 20)}M`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const ready = new Promise<string>((resolve) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = / on (http:\/\/[^\s]+) \(context /.exec(stderr);
      if (m) resolve(m[1]!);
    });
  });
  const limit = deadline('vmlx serve', child);
  try {
    const url = await Promise.race([ready, exitBeforeReady(child, 'vmlx serve', () => stderr), limit.promise]);
    return {
      name: 'vmlx', baseUrl: url.replace(/\/$/, ''), model: 'bench', pid: child.pid!,
      stop: async () => {
        await stopChild(child);
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopChild(child);
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  } finally {
    limit.clear();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when GET /health answers 200 (llama-server answers 503 while it loads the model). */
async function healthy(baseUrl: string, child: ChildProcess): Promise<void> {
  while (child.exitCode === null) {
    const r = await fetch(`${baseUrl}/health`).catch(() => null);
    if (r?.ok) return;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * llama.cpp's own server on the GGUF twin: `parallel` slots over one unified KV cache of `context` tokens, flash
 * attention, CPU only, the same threads as vmlx.
 */
export async function startLlamaServer(o: { gguf: string; threads: number; parallel: number; context: number }): Promise<RunningServer> {
  const bin = peerTool('llama-server');
  const port = await freePort();
  const args = ['-m', o.gguf, '-t', String(o.threads), '-tb', String(o.threads), '-np', String(o.parallel), '-kvu',
    '-c', String(o.context), '-fa', 'on', '-ngl', '0', '--host', '127.0.0.1', '--port', String(port), '--no-webui'];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const limit = deadline('llama-server', child);
  try {
    await Promise.race([healthy(baseUrl, child), exitBeforeReady(child, 'llama-server', () => stderr), limit.promise]);
    return { name: 'llama-server', baseUrl, model: 'bench', pid: child.pid!, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  } finally {
    limit.clear();
  }
}
