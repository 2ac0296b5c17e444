// Public engine API used by the agent loop, the TUI and the server. No UI, no HTTP here.
import type { GrammarSpec } from './grammar/protocol.js';
import type { GrammarThread } from './grammar/grammar-thread.js';
import type { ActivationMode } from './plan.js';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; reasoning_content?: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string; name?: string };

/** OpenAI-shaped tool definition. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface GenerateParams {
  maxTokens?: number; // default from the model / 512
  temperature?: number; // default from generation_config, else 0.7; 0 = greedy
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  stop?: string[];
  ignoreEos?: boolean;
  /** Number of top alternatives per token; undefined = no logprobs. */
  topLogprobs?: number;
  logprobs?: boolean;
  /** Constrained decoding: only tokens the grammar allows are sampled (src/engine/grammar/). */
  constraint?: GenerationConstraint;
  /**
   * Where other prompts are likely to share this one up to (the end of the system prompt and tools that agents
   * repeat), as character offsets into the prompt's text: a hybrid model checkpoints its recurrent state there, so
   * that a different conversation with the same system prompt resumes from it. Ignored by models without recurrent
   * layers, and for an offset whose text does not tokenize to a prefix of the prompt's ids.
   */
  sharedPrefixes?: { text: string; ends: number[] };
}

/** A grammar every generated token must follow. */
export interface GenerationConstraint {
  spec: GrammarSpec;
  /**
   * Reasoning comes first and is free: with `opened` (the prompt opened the block) the grammar starts after `close`;
   * otherwise the first token may also be `open` (when it is one token), which defers the grammar the same way.
   */
  reasoning?: { open: string; close: string; opened: boolean };
}

/** What the constraint cost and did during one generation. */
export interface ConstraintStats {
  /** Masks computed (one per constrained step) and their total time in the grammar thread. */
  masks: number;
  maskMs: number;
  /** The budget rule took over to close the structure before max_tokens. */
  steered: boolean;
  /** The grammar started (false when a reasoning block never ended). */
  started: boolean;
}

export interface ChatPromptOptions {
  tools?: ToolDefinition[];
  addGenerationPrompt?: boolean; // default true
  enableThinking?: boolean;
  /** Extra template variables. */
  templateVars?: Record<string, unknown>;
}

export interface TokenLogprob {
  token: number;
  text: string;
  logprob: number;
  top: Array<{ token: number; text: string; logprob: number }>;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface GenerationUsage {
  promptTokens: number;
  reusedPromptTokens: number;
  completionTokens: number;
  prefillMs: number;
  decodeMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export type GenerationEvent =
  /** Text that is final (never splits a UTF-8 character; stop strings already removed). */
  | { type: 'text'; text: string; tokens: number[]; logprobs?: TokenLogprob[] }
  /** Reasoning a backend already separated from the answer (remote engines with their own reasoning parser). */
  | { type: 'reasoning'; text: string }
  /** A tool call a backend already parsed, streamed like OpenAI deltas: the first carries id and name. */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'done'; finishReason: FinishReason; usage: GenerationUsage; text: string; constraint?: ConstraintStats };

export interface ModelInfo {
  dir: string;
  arch: string;
  modelType: string;
  contextLength: number;
  vocabSize: number;
  numLayers: number;
  quantization: { bits: number; groupSize: number } | null;
  /** How the quantized matmuls read activations: as asked, or the family's default (plan.ts defaultActivations). */
  activations?: ActivationMode;
  weightBytes: number;
  eosTokenIds: number[];
  /** What the engine leaves out of this checkpoint (e.g. an ignored vision tower), one line each. */
  notes?: string[];
}

export type { NativeCacheFigures as CacheFigures } from './native-types.js';
import type { NativeCacheFigures as CacheFigures } from './native-types.js';

export interface LoadModelOptions {
  threads?: number;
  maxContext?: number;
  /** 'float' is the precise path (float activations in the quantized matmuls); default: the family's (defaultActivations). */
  activations?: ActivationMode;
  /** Generations that run at once, sharing each forward pass (continuous batching); 1 = one at a time. Default 8. */
  maxNumSeqs?: number;
  /** Tokens one batched step feeds, all sequences together (long prompts are prefilled in chunks). Default 256. */
  maxNumBatchedTokens?: number;
  /**
   * Bytes of the paged KV pool shared by every request (and its prefix cache across conversations); default: from
   * the machine's RAM and the model's size (see kv-budget.ts). 'off': one private full-context cache instead.
   */
  kvCacheMemory?: number | 'off';
  onProgress?: (p: { phase: 'tokenizer' | 'weights'; fraction: number }) => void;
}

export interface SchedulerFigures {
  running: number;
  waiting: number;
  preemptions: number;
  steps: number;
}

/** What a loaded model offers; the agent loop depends on this interface, so tests can swap in a scripted model. */
export interface LanguageModel {
  readonly info: ModelInfo;
  /** How many generate() calls run at once (batched); a server admits that many. Absent: one at a time. */
  readonly concurrency?: number;
  /** Renders the chat template (tools, tool-call history, tool results) to the prompt text. */
  renderChat(messages: ChatMessage[], opts?: ChatPromptOptions): string;
  /** Raw chat template source (for tool-parser auto-detection). */
  readonly chatTemplate: string | null;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(tokens: number[]): string;
  countTokens(text: string): number;
  /** Streams generation for a prompt string (already templated) or token ids. */
  generate(prompt: string | number[], params?: GenerateParams, signal?: AbortSignal): AsyncIterable<GenerationEvent>;
  /** The grammar thread behind params.constraint; absent on engines that cannot constrain (remote ones). */
  grammar?(): GrammarThread;
  /** The engine scheduler's sequences: running, waiting (queued or preempted), preemptions and steps so far. */
  schedulerFigures?(): SchedulerFigures | undefined;
  /** The paged KV pool and prefix cache figures (absent or null when the model has no shared pool). */
  cacheFigures?(): CacheFigures | null;
  /**
   * True when params.sharedPrefixes helps: the model's recurrent layers resume only from checkpoints, which it takes
   * where the prompt says other prompts share up to. Absent or false: the step does not work out those offsets.
   */
  readonly checkpointsSharedPrefixes?: boolean;
  dispose(): Promise<void> | void;
}
