// How each tool-call format frames one call, as XGrammar structural-tag pieces: the text before the arguments (the
// name is fixed in it), the arguments' own format (JSON, Qwen3-Coder's typed XML parameters, or Gemma 4's own
// syntax), the text after, the separator between calls and the marker that opens a call (the lazy trigger under
// tool_choice "auto").
export interface CallFrame {
  begin: (name: string) => string;
  args: 'json' | 'qwen_xml' | 'gemma4';
  end: string;
  /** Whether the format writes several calls in one turn (joined by `separator`, or back to back when it is ''). */
  multiple: boolean;
  separator: string;
  /** What the format's call starts with: under "auto" the arguments are constrained once this appears. */
  trigger: string;
}

const hermes: CallFrame = {
  begin: (name) => `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": `,
  args: 'json',
  end: '}\n</tool_call>',
  multiple: true,
  separator: '\n',
  trigger: '<tool_call>',
};

/** The formats whose calls are enforced; others run unconstrained with a warning. */
export const CALL_FRAMES: Record<string, CallFrame> = {
  hermes,
  qwen3_coder: {
    begin: (name) => `<tool_call>\n<function=${name}>\n`,
    args: 'qwen_xml',
    end: '</function>\n</tool_call>',
    multiple: true,
    separator: '\n',
    trigger: '<tool_call>',
  },
  llama3: {
    begin: (name) => `<|python_tag|>{"name": ${JSON.stringify(name)}, "parameters": `,
    args: 'json',
    end: '}',
    multiple: true,
    separator: '; ',
    trigger: '<|python_tag|>',
  },
  mistral: {
    begin: (name) => `[TOOL_CALLS]${name}[ARGS]`,
    args: 'json',
    end: '',
    multiple: false,
    separator: '',
    trigger: '[TOOL_CALLS]',
  },
  harmony: {
    // The prompt ends with "<|start|>assistant": the first header starts at the channel. The call's own end
    // (<|call|>) is a stop token, sampled once the arguments are complete.
    begin: (name) => `<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>`,
    args: 'json',
    end: '',
    multiple: false,
    separator: '',
    trigger: '<|channel|>commentary to=',
  },
  gemma4: {
    // <|tool_call>call:NAME{key:<|"|>text<|"|>,n:42}<tool_call|>, calls back to back (gemma-grammar.ts).
    begin: (name) => `<|tool_call>call:${name}`,
    args: 'gemma4',
    end: '<tool_call|>',
    multiple: true,
    separator: '',
    trigger: '<|tool_call>',
  },
};
