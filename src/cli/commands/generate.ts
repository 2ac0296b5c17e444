// `vmlx generate`: one prompt through a local model, streamed to stdout, with a speed summary on stderr
// (or a single JSON object with --json).
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MAX_CONTEXT, loadModel } from '../../engine/model.js';
import { DEFAULT_MAX_TOKENS } from '../../engine/sampling.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import type { GenerateParams, GenerationUsage, FinishReason } from '../../engine/types.js';

const CHAT_TEMPLATE_SLACK = 512;

interface GenerateOptions {
  model: string;
  chat?: boolean;
  maxTokens?: number;
  temp?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  ignoreEos?: boolean;
  threads?: number;
  precise?: boolean;
  json?: boolean;
  offline?: boolean;
}

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return n;
  };
}

function number(min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number in [${min}, ${max === Infinity ? '∞' : max}]`);
    }
    return n;
  };
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: GenerationUsage;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function summaryLine(r: GenerateResult): string {
  const u = r.usage;
  const reused = u.reusedPromptTokens > 0 ? ` (${u.reusedPromptTokens} reused)` : '';
  return (
    `prompt: ${u.promptTokens} tokens${reused}, ${round(u.prefillTokensPerSecond)} tok/s prefill | ` +
    `generated: ${u.completionTokens} tokens, ${round(u.decodeTokensPerSecond)} tok/s decode | finish: ${r.finishReason}`
  );
}

export function jsonResult(r: GenerateResult, loadMs: number): Record<string, unknown> {
  const u = r.usage;
  return {
    text: r.text,
    prompt_tokens: u.promptTokens,
    reused_prompt_tokens: u.reusedPromptTokens,
    completion_tokens: u.completionTokens,
    prefill_tokens_per_s: round(u.prefillTokensPerSecond, 2),
    decode_tokens_per_s: round(u.decodeTokensPerSecond, 2),
    prefill_ms: round(u.prefillMs, 2),
    decode_ms: round(u.decodeMs, 2),
    load_ms: round(loadMs, 1),
    finish_reason: r.finishReason,
  };
}

async function runGenerate(prompt: string, o: GenerateOptions): Promise<void> {
  const { dir } = await resolveModelArg(o.model, { offline: o.offline }); // a download does not count as load time
  const started = performance.now();
  // The KV cache is allocated up front, so size it for this one prompt: a byte-level token covers at least one
  // byte, and the chat template adds well under CHAT_TEMPLATE_SLACK tokens.
  const maxContext = Math.min(
    DEFAULT_MAX_CONTEXT,
    Buffer.byteLength(prompt) + CHAT_TEMPLATE_SLACK + (o.maxTokens ?? DEFAULT_MAX_TOKENS),
  );
  const model = await loadModel(dir, {
    maxContext,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.precise ? { activations: 'float' as const } : {}),
  });
  const loadMs = performance.now() - started;
  for (const note of model.info.notes ?? []) process.stderr.write(`note: ${note}\n`);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  // A closed pipe (`vmlx generate ... | head`) ends generation quietly instead of crashing on EPIPE. The handler
  // stays for the life of the process: the error can arrive after generation has ended.
  let stdoutClosed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stdoutClosed = true;
    controller.abort();
  });
  const out = (text: string) => {
    if (!stdoutClosed) process.stdout.write(text);
  };
  process.once('SIGINT', onSigint);
  try {
    const text = o.chat ? model.renderChat([{ role: 'user', content: prompt }]) : prompt;
    const params: GenerateParams = {};
    if (o.maxTokens !== undefined) params.maxTokens = o.maxTokens;
    if (o.temp !== undefined) params.temperature = o.temp;
    if (o.topP !== undefined) params.topP = o.topP;
    if (o.topK !== undefined) params.topK = o.topK;
    if (o.seed !== undefined) params.seed = o.seed;
    if (o.ignoreEos) params.ignoreEos = true;
    let result: GenerateResult | null = null;
    for await (const ev of model.generate(text, params, controller.signal)) {
      if (ev.type === 'text') {
        if (!o.json) out(ev.text);
      } else if (ev.type === 'done') result = { text: ev.text, finishReason: ev.finishReason, usage: ev.usage };
    }
    if (!result) throw new Error('generation ended without a done event');
    if (o.json) out(`${JSON.stringify(jsonResult(result, loadMs))}\n`);
    else {
      if (!result.text.endsWith('\n')) out('\n');
      process.stderr.write(`${summaryLine(result)}\n`);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    await model.dispose();
  }
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate text from a local MLX model directory (streams to stdout, speed summary to stderr)')
    .argument('<prompt>', 'prompt text (raw, or a user message with --chat)')
    .requiredOption('--model <model>', MODEL_ARG_HELP)
    .option(...OFFLINE_OPTION)
    .option('--chat', 'wrap the prompt as a user message through the chat template')
    .option('--max-tokens <n>', 'maximum tokens to generate (default 512)', integer(0))
    .option('--temp <t>', 'temperature; 0 = greedy (default from generation_config.json, else 0.7)', number(0))
    .option('--top-p <p>', 'nucleus sampling probability mass', number(0, 1))
    .option('--top-k <k>', 'sample among the k most likely tokens; 0 = off', integer(0))
    .option('--seed <s>', 'random seed for reproducible sampling', integer(0))
    .option('--ignore-eos', 'keep generating past end-of-sequence tokens')
    .option('--threads <n>', 'compute threads (default: all cores)', integer(1))
    .option('--precise', 'float activations in the quantized matmuls (slower, closest to the float weights; default: int8 or int16 activations, per family)')
    .option('--json', 'print one JSON object with the text and the measurements instead of streaming')
    .action(async (prompt: string, o: GenerateOptions) => runGenerate(prompt, o));
}
