// A LanguageModel driven by a script file instead of weights: each generation returns the script's next output,
// streamed in small chunks, and every request the model receives (messages, tools, rendered prompt) is recorded.
// It renders prompts with a real chat template (ChatML with Hermes-style tools by default), so the agent loop,
// the tool-call parsers and the conversation history run exactly as with a real model.
// Used by tests and by `vmlx chat --scripted-model FILE` (a documented testing option).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ChatTemplate } from '../engine/chat-template.js';
import type {
  ChatMessage,
  ChatPromptOptions,
  GenerateParams,
  GenerationEvent,
  LanguageModel,
  ModelInfo,
} from '../engine/types.js';

/** ChatML with tools listed in <tools> and calls/results in Hermes tags (the Qwen family's format). */
export const SCRIPTED_CHAT_TEMPLATE = `{%- if tools %}<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}

{% endif %}# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{% elif messages[0].role == 'system' %}<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for message in messages %}
{%- if message.role == 'user' %}<|im_start|>user
{{ message.content }}<|im_end|>
{% elif message.role == 'assistant' %}<|im_start|>assistant
{% if message.content %}{{ message.content }}{% endif %}
{%- if message.tool_calls %}{% for call in message.tool_calls %}
<tool_call>
{"name": "{{ call.function.name }}", "arguments": {{ call.function.arguments | tojson }}}
</tool_call>{% endfor %}{% endif %}<|im_end|>
{% elif message.role == 'tool' %}<|im_start|>user
<tool_response>
{{ message.content }}
</tool_response><|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}`;

const roundSchema = z.union([
  z.string(),
  z
    .object({
      text: z.string(),
      /** Characters per streamed chunk for this output. */
      chunkSize: z.number().int().positive().optional(),
      /** Stop streaming after this many characters and wait until the generation is cancelled. */
      stallAfter: z.number().int().nonnegative().optional(),
      /** Fail the generation with this message after streaming the text. */
      error: z.string().optional(),
      /** Stream nothing until this file exists (relative to the script): holds a turn open until a test says so. */
      waitForFile: z.string().optional(),
    })
    .strict(),
]);

export const scriptSchema = z
  .object({
    name: z.string().default('scripted'),
    contextLength: z.number().int().positive().default(32768),
    /** A Jinja chat template file (relative to the script) replacing the built-in ChatML template. */
    chatTemplateFile: z.string().optional(),
    chunkSize: z.number().int().positive().default(4),
    /** Append every request (messages, tool names, prompt) as one JSON line to this file (relative to the script). */
    recordTo: z.string().optional(),
    rounds: z.array(roundSchema).min(1),
  })
  .strict();

export type ModelScript = z.input<typeof scriptSchema>;
type ScriptRound = z.output<typeof roundSchema>;

export class ScriptError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** One request the model received. */
export interface ScriptedRequest {
  messages: ChatMessage[];
  toolNames: string[];
  prompt: string;
}

export class ScriptedModel implements LanguageModel {
  readonly info: ModelInfo;
  readonly chatTemplate: string;
  /** Every request so far, in order. */
  readonly requests: ScriptedRequest[] = [];
  private readonly template: ChatTemplate;
  private readonly script: z.output<typeof scriptSchema>;
  private readonly recordPath: string | null;
  private readonly baseDir: string;
  private next = 0;
  private readonly vocab = new Map<string, number>();
  private readonly pieces: string[] = [];
  private lastRender: { prompt: string; messages: ChatMessage[]; toolNames: string[] } | null = null;

  constructor(script: ModelScript, baseDir: string = process.cwd(), source = '<script>') {
    const parsed = scriptSchema.safeParse(script);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ScriptError(`${source}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid script'}`);
    }
    this.script = parsed.data;
    let templateText = SCRIPTED_CHAT_TEMPLATE;
    let templateFile = 'scripted-model built-in template';
    if (this.script.chatTemplateFile) {
      templateFile = resolve(baseDir, this.script.chatTemplateFile);
      try {
        templateText = readFileSync(templateFile, 'utf8');
      } catch (err) {
        throw new ScriptError(`${source}: chatTemplateFile: cannot read ${templateFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    this.chatTemplate = templateText;
    this.template = new ChatTemplate(new Map([['default', templateText]]), templateFile);
    this.recordPath = this.script.recordTo ? resolve(baseDir, this.script.recordTo) : null;
    this.baseDir = baseDir;
    this.info = {
      dir: source,
      arch: 'scripted',
      modelType: 'scripted',
      contextLength: this.script.contextLength,
      vocabSize: 0,
      numLayers: 0,
      quantization: null,
      weightBytes: 0,
      eosTokenIds: [],
    };
  }

  /** Loads a script file (JSON); paths inside it are relative to the file. */
  static fromFile(path: string): ScriptedModel {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ScriptError(`cannot read the model script ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ScriptError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    return new ScriptedModel(json as ModelScript, dirname(resolve(path)), path);
  }

  /** Outputs not yet used. */
  get remaining(): number {
    return this.script.rounds.length - this.next;
  }

  renderChat(messages: ChatMessage[], opts: ChatPromptOptions = {}): string {
    const prompt = this.template.render(messages, opts, { eos_token: '<|im_end|>' });
    this.lastRender = {
      prompt,
      messages: structuredClone(messages),
      toolNames: (opts.tools ?? []).map((t) => t.function.name),
    };
    return prompt;
  }

  // Tokens are pieces of up to four characters (about what a BPE vocabulary averages), numbered as first seen:
  // reversible and cheap, which is all the loop and the status line need from a scripted model.
  encode(text: string): number[] {
    return pieces(text).map((piece) => {
      let id = this.vocab.get(piece);
      if (id === undefined) {
        id = this.pieces.length;
        this.vocab.set(piece, id);
        this.pieces.push(piece);
      }
      return id;
    });
  }

  decode(tokens: number[]): string {
    return tokens.map((t) => this.pieces[t] ?? '').join('');
  }

  countTokens(text: string): number {
    return pieces(text).length;
  }

  async *generate(prompt: string | number[], params?: GenerateParams, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    const text = typeof prompt === 'string' ? prompt : this.decode(prompt);
    const rendered = this.lastRender && this.lastRender.prompt === text ? this.lastRender : null;
    const request: ScriptedRequest = { messages: rendered?.messages ?? [], toolNames: rendered?.toolNames ?? [], prompt: text };
    this.requests.push(request);
    if (this.recordPath) appendFileSync(this.recordPath, JSON.stringify(request) + '\n');
    if (this.next >= this.script.rounds.length) {
      throw new ScriptError(`the model script has no output left (all ${this.script.rounds.length} used)`);
    }
    const round = normalize(this.script.rounds[this.next++], this.script.chunkSize);
    const started = performance.now();
    const promptTokens = this.countTokens(text);
    let emitted = '';
    let tokens = 0;
    const done = (finishReason: 'stop' | 'cancelled' | 'length'): GenerationEvent => {
      const decodeMs = performance.now() - started;
      return {
        type: 'done',
        finishReason,
        text: emitted,
        usage: {
          promptTokens,
          reusedPromptTokens: 0,
          completionTokens: tokens,
          prefillMs: 0,
          decodeMs,
          prefillTokensPerSecond: 0,
          decodeTokensPerSecond: decodeMs > 0 ? (tokens * 1000) / decodeMs : 0,
        },
      };
    };
    if (round.waitForFile !== undefined && !(await fileAppears(resolve(this.baseDir, round.waitForFile), signal))) return yield done('cancelled');
    const chars = Array.from(round.text);
    const limit = round.stallAfter ?? chars.length;
    for (let i = 0; i < Math.min(limit, chars.length); i += round.chunkSize) {
      if (signal?.aborted) return yield done('cancelled');
      // The token budget (max_tokens) cuts the output off like a real decoder's would: finish "length".
      const budget = params?.maxTokens;
      if (budget !== undefined && tokens >= budget) return yield done('length');
      let chunk = chars.slice(i, Math.min(i + round.chunkSize, limit)).join('');
      if (budget !== undefined) chunk = pieces(chunk).slice(0, budget - tokens).join('');
      emitted += chunk;
      const ids = this.encode(chunk);
      tokens += ids.length;
      yield { type: 'text', text: chunk, tokens: ids };
      // let other work (UI renders, cancellation) interleave as it would with a real decoder
      await new Promise<void>((r) => setImmediate(r));
    }
    if (round.stallAfter !== undefined) {
      await new Promise<void>((r) => {
        if (!signal || signal.aborted) return r();
        signal.addEventListener('abort', () => r(), { once: true });
      });
      return yield done('cancelled');
    }
    if (round.error) throw new ScriptError(round.error);
    yield done('stop');
  }

  dispose(): void {
    this.lastRender = null;
  }
}

function pieces(text: string): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += 4) out.push(chars.slice(i, i + 4).join(''));
  return out;
}

/** Resolves true once `file` exists, false if the generation is cancelled first (checked every 10 ms). */
async function fileAppears(file: string, signal?: AbortSignal): Promise<boolean> {
  while (!existsSync(file)) {
    if (signal?.aborted) return false;
    await new Promise<void>((r) => setTimeout(r, 10));
  }
  return true;
}

function normalize(round: ScriptRound, chunkSize: number): { text: string; chunkSize: number; stallAfter?: number; error?: string; waitForFile?: string } {
  if (typeof round === 'string') return { text: round, chunkSize };
  return { ...round, chunkSize: round.chunkSize ?? chunkSize };
}
