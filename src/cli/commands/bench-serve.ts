// `vmlx bench serve`: many concurrent streaming clients against the real `vmlx serve`, and llama.cpp's own
// llama-server and llama-batched-bench on the GGUF twin (--gguf) in the same run. Progress on stderr, the table (or
// JSON) on stdout.
import { existsSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../errors.js';
import { resolveModelArg } from '../model-arg.js';
import { runServeBench } from '../../engine/bench/serve/run.js';
import { formatServeTable } from '../../engine/bench/serve/table.js';
import { parseMemorySize } from '../../engine/kv-budget.js';

function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function sizeArg(name: string) {
  return (v: string): number => {
    try {
      return parseMemorySize(v, name);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** "1,2,4,8": distinct positive integers, in the order given. */
export function parseConcurrencyList(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 1024) throw new InvalidArgumentError(`'${p}' is not a stream count from 1 to 1024 (e.g. 1,2,4,8,16)`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

interface ServeFlags {
  concurrency: number[];
  requestsPerStream: number;
  sharedPrefix: number;
  prefixTokens: number;
  steadyTokens: number;
  rounds: number;
  admissionTokens: number;
  admissionStreams: number;
  memoryConversations: number;
  memoryPromptTokens: number;
  memoryBudget: number;
  seed: number;
}

/** `vmlx bench`'s options that mean the same here; the others are refused rather than ignored. */
interface SharedFlags {
  model?: string;
  offline?: boolean;
  gguf?: string;
  promptTokens: number;
  genTokens: number;
  threads: number;
  json?: boolean;
}
const NOT_FOR_SERVE = ['peer', 'reps', 'context', 'targetDecodeRatio', 'targetPrefillRatio', 'targetRoofline', 'targetLoadMs'];
const SERVE_DEFAULTS = { promptTokens: 128, genTokens: 64 };

// commander checks a parent's options before its subcommand's (and a parent's mandatory options on the subcommand),
// so `bench serve` takes --model, --gguf, --threads, --prompt-tokens, --gen-tokens, --json and --offline from
// `vmlx bench`, with its own defaults for the lengths.
function sharedFlags(bench: Command): SharedFlags {
  const o = bench.opts<SharedFlags & Record<string, unknown>>();
  for (const name of NOT_FOR_SERVE) {
    if (bench.getOptionValueSource(name) === 'cli') {
      const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UserError(`vmlx bench serve: ${flag} does not apply to the serving bench`);
    }
  }
  const fromCli = (name: keyof typeof SERVE_DEFAULTS) => bench.getOptionValueSource(name) === 'cli';
  return {
    ...o,
    promptTokens: fromCli('promptTokens') ? o.promptTokens : SERVE_DEFAULTS.promptTokens,
    genTokens: fromCli('genTokens') ? o.genTokens : SERVE_DEFAULTS.genTokens,
  };
}

export function registerBenchServeCommand(bench: Command): void {
  bench
    .command('serve')
    .description('serving speed under concurrent streaming clients: aggregate tok/s, TTFT and inter-token latency per concurrency, against llama-server on --gguf')
    .addOption(new Option('--concurrency <list>', 'concurrent streams per level, comma-separated').argParser(parseConcurrencyList).default([1, 2, 4, 8, 16], '1,2,4,8,16'))
    .option('--requests-per-stream <n>', 'requests each stream sends per level', intArg('--requests-per-stream', 1), 2)
    .option('--shared-prefix <n>', 'tokens of a system prompt that half of the requests open with, as agents share one (0 = none)', intArg('--shared-prefix', 0), 256)
    .option('--prefix-tokens <n>', 'system prompt length of the prefix-cache probe: cold, then after another conversation (0 = no probe)', intArg('--prefix-tokens', 0), 2048)
    .option('--steady-tokens <n>', 'tokens each stream decodes in the steady-decode probe at every level: streams started together, aggregate decode while all decode (0 = no probe)', intArg('--steady-tokens', 0), 64)
    .option('--rounds <n>', 'rounds of the steady-decode probe and of both batched benches, interleaved; each figure is their median', intArg('--rounds', 1), 3)
    .option('--admission-tokens <n>', 'prompt length admitted while --admission-streams streams decode: their inter-token p99 during its prefill against their median (0 = no probe)', intArg('--admission-tokens', 0), 2048)
    .option('--admission-streams <n>', 'streams decoding during the admission probe', intArg('--admission-streams', 1), 4)
    .option('--memory-conversations <n>', 'long conversations sent at once to a vmlx serve with a --memory-budget KV cache; all must complete (0 = no probe)', intArg('--memory-conversations', 0), 32)
    .option('--memory-prompt-tokens <n>', 'prompt length of each conversation of the memory probe', intArg('--memory-prompt-tokens', 16), 1024)
    .addOption(new Option('--memory-budget <size>', 'KV-cache memory of the memory probe, e.g. 512M').argParser(sizeArg('--memory-budget')).default(512 * 2 ** 20, '512M'))
    .option('--seed <n>', 'seed of the generated prompts', intArg('--seed', 0), 1)
    .addHelpText('after', [
      '',
      'Also takes these options of vmlx bench: --model (required), --gguf (llama-server with one slot per stream and',
      'llama-batched-bench measure the same weights in the same run), --threads (default 2), --prompt-tokens (mean',
      'prompt length, each request draws 0.5-1.5x; default 128 here), --gen-tokens (default 64 here), --json, --offline.',
      '',
      'Example:',
      '  vmlx bench serve --model ./Qwen3-0.6B-4bit --gguf ./qwen3-0.6b.q4_0.gguf --concurrency 1,4,8',
      '',
    ].join('\n'))
    .action(async (flags: ServeFlags) => {
      const shared = sharedFlags(bench);
      if (shared.model === undefined) throw new UserError("vmlx bench serve: required option '--model <model>' not specified");
      const modelDir = (await resolveModelArg(shared.model, { offline: shared.offline })).dir;
      if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) throw new UserError(`--model ${shared.model}: not a directory`);
      if (shared.gguf && !existsSync(shared.gguf)) throw new UserError(`--gguf ${shared.gguf}: no such file`);
      const report = await runServeBench({
        modelDir, gguf: shared.gguf, concurrency: flags.concurrency, promptTokens: shared.promptTokens, genTokens: shared.genTokens,
        requestsPerStream: flags.requestsPerStream, sharedPrefixTokens: flags.sharedPrefix, prefixTokens: flags.prefixTokens, steadyTokens: flags.steadyTokens, rounds: flags.rounds,
        admissionTokens: flags.admissionTokens, admissionStreams: flags.admissionStreams, memoryConversations: flags.memoryConversations,
        memoryPromptTokens: flags.memoryPromptTokens, memoryBudgetBytes: flags.memoryBudget,
        threads: shared.threads, seed: flags.seed, log: (m) => process.stderr.write(`bench serve: ${m}\n`),
      });
      process.stdout.write(shared.json ? `${JSON.stringify(report)}\n` : `${formatServeTable(report)}\n`);
    });
}
