// `vmlx bench`: prefill and decode speed of vmlx and (with --gguf) llama.cpp on the same weights in the same run,
// medians over repetitions, memory bandwidth and the decode roofline. Progress on stderr, result on stdout.
import { existsSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { formatBenchTable, runBench } from '../../engine/bench/run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1');
  return n;
}

interface BenchFlags {
  model: string;
  gguf?: string;
  promptTokens: number;
  genTokens: number;
  threads: number;
  reps: number;
  context?: number;
  json?: boolean;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure prefill and decode speed (and llama.cpp on a GGUF twin with --gguf), bandwidth and roofline')
    .requiredOption('--model <dir>', 'MLX model directory')
    .option('--gguf <file>', 'the same weights as GGUF, run through llama.cpp (node-llama-cpp) for comparison')
    .option('--prompt-tokens <n>', 'prompt length for the prefill measurement', positiveInt, 512)
    .option('--gen-tokens <n>', 'tokens decoded after the prompt', positiveInt, 128)
    .option('--threads <n>', 'compute threads for both engines', positiveInt, 2)
    .option('--reps <n>', 'repetitions per engine (medians are reported)', positiveInt, 3)
    .option('--context <n>', 'tokens in the KV cache before decoding (default: --prompt-tokens)', positiveInt)
    .option('--json', 'print one JSON object instead of the table')
    .action(async (flags: BenchFlags) => {
      if (!existsSync(flags.model) || !statSync(flags.model).isDirectory()) throw new UserError(`--model ${flags.model}: not a directory`);
      if (flags.gguf && !existsSync(flags.gguf)) throw new UserError(`--gguf ${flags.gguf}: no such file`);
      if (flags.genTokens < 2) throw new UserError('--gen-tokens must be at least 2 (decode speed counts the steps after the first token)');
      const report = await runBench({
        model: flags.model, gguf: flags.gguf, promptTokens: flags.promptTokens, genTokens: flags.genTokens,
        threads: flags.threads, reps: flags.reps, context: flags.context,
        log: (m) => process.stderr.write(`bench: ${m}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatBenchTable(report)}\n`);
    });
}
