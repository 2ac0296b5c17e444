// `vmlx bench`: prefill and decode speed of vmlx and (with --gguf) llama.cpp on the same weights in the same run,
// medians over repetitions, memory bandwidth and the decode roofline, memory against the files + KV budget, event-loop
// lag while generating, load times, and a verdict per target. Progress on stderr, result on stdout. The exit status
// does not depend on the verdicts (a missed target is a measurement, not an error).
import { existsSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../errors.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import { PEER_KINDS, type BenchOptions } from '../../engine/bench/measure.js';
import { formatBenchTable, runBench } from '../../engine/bench/run.js';
import { registerBenchServeCommand } from './bench-serve.js';
import { activationModeSchema } from '../../engine/plan.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

/** The run's options as commander parses them (BenchOptions without the logger), plus output and target flags. */
interface BenchFlags extends Omit<BenchOptions, 'log' | 'model'> {
  model?: string;
  json?: boolean;
  targetDecodeRatio?: number;
  targetPrefillRatio?: number;
  targetRoofline?: number;
  targetLoadMs?: number;
  offline?: boolean;
  precise?: boolean;
}

export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('measure prefill and decode speed (and llama.cpp on a GGUF twin with --gguf), bandwidth, roofline, memory, event-loop lag and load time')
    // Not requiredOption: commander checks a parent's mandatory options on its subcommands too (bench serve).
    .option('--model <model>', `${MODEL_ARG_HELP} (required)`)
    .option(...OFFLINE_OPTION)
    .option('--gguf <file>', 'the same weights as GGUF, measured by llama.cpp in the same run for comparison')
    .addOption(new Option('--peer <kind>', "which llama.cpp measures the GGUF: its own llama-bench (built by npm run peer:build), interleaved with vmlx's repetitions, or node-llama-cpp").choices(PEER_KINDS).default('llama-bench'))
    .option('--prompt-tokens <n>', 'prompt length for the prefill measurement', positiveInt, 512)
    .option('--gen-tokens <n>', 'tokens decoded after the prompt', positiveInt, 128)
    .option('--threads <n>', 'compute threads for both engines', positiveInt, 2)
    .option('--precise', "measure vmlx's precise path (float activations in the quantized matmuls; --activations float)")
    .addOption(new Option('--activations <mode>', "how vmlx's quantized matmuls read activations (default: the engine's default)").choices(activationModeSchema.options))
    .option('--reps <n>', 'repetitions per engine (medians are reported)', positiveInt, 3)
    .option('--context <n>', 'tokens in the KV cache before decoding (default: --prompt-tokens)', positiveInt)
    .option('--json', 'print one JSON object instead of the table')
    .option('--target-decode-ratio <x>', 'judge vmlx/llama.cpp decode speed against this minimum (needs --gguf)', positiveNumber)
    .option('--target-prefill-ratio <x>', 'judge vmlx/llama.cpp prefill speed against this minimum (needs --gguf)', positiveNumber)
    .option('--target-roofline <fraction>', 'judge decode speed against this fraction of the roofline, e.g. 0.8', positiveNumber)
    .option('--target-load-ms <ms>', 'judge the warm-cache reload time against this maximum, e.g. 2000', positiveNumber)
    .action(async (flags: BenchFlags) => {
      if (flags.model === undefined) throw new UserError("vmlx bench: required option '--model <model>' not specified (or run vmlx bench serve)");
      const model = (await resolveModelArg(flags.model, { offline: flags.offline })).dir;
      if (!existsSync(model) || !statSync(model).isDirectory()) throw new UserError(`--model ${flags.model}: not a directory`);
      if (flags.gguf && !existsSync(flags.gguf)) throw new UserError(`--gguf ${flags.gguf}: no such file`);
      if (flags.precise && flags.activations && flags.activations !== 'float') {
        throw new UserError(`--precise and --activations ${flags.activations} contradict each other (--precise is --activations float)`);
      }
      if (flags.genTokens < 2) throw new UserError('--gen-tokens must be at least 2 (decode speed counts the steps after the first token)');
      if (!flags.gguf && (flags.targetDecodeRatio !== undefined || flags.targetPrefillRatio !== undefined)) {
        throw new UserError('--target-decode-ratio and --target-prefill-ratio need --gguf (the ratios are against llama.cpp)');
      }
      if (flags.targetRoofline !== undefined && flags.targetRoofline > 1) throw new UserError('--target-roofline is a fraction of the roofline, at most 1');
      const report = await runBench({
        model, gguf: flags.gguf, peer: flags.peer, promptTokens: flags.promptTokens, genTokens: flags.genTokens,
        threads: flags.threads, reps: flags.reps, context: flags.context,
        ...(flags.precise ? { activations: 'float' as const } : flags.activations ? { activations: flags.activations } : {}),
        targets: {
          minDecodeRatio: flags.targetDecodeRatio, minPrefillRatio: flags.targetPrefillRatio,
          minRooflineFraction: flags.targetRoofline, maxWarmLoadMs: flags.targetLoadMs,
        },
        log: (m) => process.stderr.write(`bench: ${m}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatBenchTable(report)}\n`);
    });
  registerBenchServeCommand(bench);
}
