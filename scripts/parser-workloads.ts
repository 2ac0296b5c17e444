// One write_file call carrying a long "content" string, in every tool-call format's own markup: the "call"
// workload of npm run bench:parsers and the one-long-call checks of test/toolcalls/checkpoints.test.ts.
import type { ToolDefinition } from '../src/engine/types.js';

export const WRITE_FILE_TOOLS: ToolDefinition[] = [
  { type: 'function', function: { name: 'write_file', parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } } } },
];

const json = (content: string): string => JSON.stringify({ path: 'out.txt', content });
const jsonArgs = (content: string): string => JSON.stringify({ path: 'out.txt', content });
const envelope = (content: string): string => JSON.stringify({ name: 'write_file', arguments: { path: 'out.txt', content } });
const xmlParams = (content: string, open: (k: string) => string, close: string): string =>
  `${open('path')}out.txt${close}${open('content')}\n${content}\n${close}`;

/** Formats that read a bare call list only at the start of the output. */
export const START_ONLY = new Set(['pythonic', 'xlam']);

/** One write_file call carrying `content`, in each format's own markup. */
export const CALLS: Record<string, (content: string) => string> = {
  hermes: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  granite4: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  auto: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  qwen3_coder: (c) => `<tool_call>\n<function=write_file>\n${xmlParams(c, (k) => `<parameter=${k}>\n`, '\n</parameter>\n')}</function>\n</tool_call>`,
  llama3: (c) => `<|python_tag|>${JSON.stringify({ name: 'write_file', parameters: { path: 'out.txt', content: c } })}`,
  pythonic: (c) => `[write_file(path="out.txt", content=${JSON.stringify(c)})]`,
  mistral: (c) => `[TOOL_CALLS]write_file[ARGS]${jsonArgs(c)}`,
  xlam: (c) => `[${envelope(c)}]`,
  phi4_mini: (c) => `functools[${envelope(c)}]`,
  granite: (c) => `<|tool_call|>[${envelope(c)}]`,
  deepseek_v3: (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n\`\`\`json\n${json(c)}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  deepseek_r1: (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n\`\`\`json\n${json(c)}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  'deepseek_v3.1': (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>write_file<｜tool▁sep｜>${json(c)}<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  'deepseek_v3.2': (c) =>
    `<｜DSML｜function_calls>\n<｜DSML｜invoke name="write_file">\n<｜DSML｜parameter name="path" string="true">out.txt</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${c}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>`,
  kimi_k2: (c) => `<|tool_calls_section_begin|><|tool_call_begin|>functions.write_file:0<|tool_call_argument_begin|>${json(c)}<|tool_call_end|><|tool_calls_section_end|>`,
  nemotron: (c) => `<TOOLCALL>[${envelope(c)}]</TOOLCALL>`,
  functionary: (c) => `>>>write_file\n${json(c)}`,
  'glm4.5': (c) => `<tool_call>write_file\n<arg_key>path</arg_key>\n<arg_value>out.txt</arg_value>\n<arg_key>content</arg_key>\n<arg_value>${c}</arg_value>\n</tool_call>`,
  'glm4.7': (c) => `<tool_call>write_file<arg_key>path</arg_key><arg_value>out.txt</arg_value><arg_key>content</arg_key><arg_value>${c}</arg_value></tool_call>`,
  minimax_m2: (c) => `<minimax:tool_call>\n<invoke name="write_file">\n<parameter name="path">out.txt</parameter>\n<parameter name="content">${c}</parameter>\n</invoke>\n</minimax:tool_call>`,
  harmony: (c) => `<|channel|>commentary to=functions.write_file <|constrain|>json<|message|>${json(c)}<|call|>`,
  gemma4: (c) => `<|tool_call>call:write_file{path:<|"|>out.txt<|"|>,content:<|"|>${c}<|"|>}<tool_call|>`,
  functiongemma: (c) => `<start_function_call>call:write_file{path:<escape>out.txt<escape>,content:<escape>${c}<escape>}<end_function_call>`,
  gemma3: (c) => `\`\`\`tool_code\nwrite_file(path="out.txt", content=${JSON.stringify(c)})\n\`\`\``,
  lfm2: (c) => `<|tool_call_start|>[write_file(path="out.txt", content=${JSON.stringify(c)})]<|tool_call_end|>`,
  seed_oss: (c) => `<seed:tool_call>\n<function=write_file>\n${xmlParams(c, (k) => `<parameter=${k}>`, '</parameter>\n')}</function>\n</seed:tool_call>`,
  command_r7b: (c) => `<|START_ACTION|>[\n    ${JSON.stringify({ tool_call_id: '0', tool_name: 'write_file', parameters: { path: 'out.txt', content: c } })}\n]<|END_ACTION|>`,
  apertus: (c) => `<|tools_prefix|>[${JSON.stringify({ write_file: { path: 'out.txt', content: c } })}]<|tools_suffix|>`,
  apriel: (c) => `<tool_calls>[${envelope(c)}]</tool_calls>`,
  minicpm5: (c) => `<function name="write_file">${xmlParams(c, (k) => `<param name="${k}">`, '</param>')}</function>`,
  kimi_k3: (c) =>
    `<|open|>tools<|sep|><|open|>call tool="write_file" index="1"<|sep|>${xmlParams(c, (k) => `<|open|>argument key="${k}" type="string"<|sep|>`, '<|close|>argument<|sep|>')}<|close|>call<|sep|><|close|>tools<|sep|>`,
  minimax_m3: (c) => `]<]minimax[>[<tool_call>\n]<]minimax[>[<invoke name="write_file">]<]minimax[>[<path>out.txt]<]minimax[>[</path>]<]minimax[>[<content>${c}]<]minimax[>[</content>]<]minimax[>[</invoke>\n]<]minimax[>[</tool_call>`,
  gigachat3: (c) => `<|function_call|>${envelope(c)}`,
};


/** The output of a model that writes `content` in one call (after a short preamble where the format allows). */
export function callOutput(parser: string, content: string): string | null {
  const render = CALLS[parser];
  if (!render) return null;
  return START_ONLY.has(parser) ? render(content) : `I will write the file.\n${render(content)}`;
}
