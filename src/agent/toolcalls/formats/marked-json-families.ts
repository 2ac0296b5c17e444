// The families whose calls are JSON behind a marker (see marked-json.ts): Cohere Command R7B / Command A,
// Apertus, Apriel 1.5 / 1.6 and GigaChat 3 / 3.1.
import type { ToolCallFormat } from '../types.js';
import { markedJsonScanner } from './marked-json.js';

/**
 * Command R7B answers in <|START_RESPONSE|>…<|END_RESPONSE|> and Command A / Cohere2 in <|START_TEXT|>…<|END_TEXT|>;
 * calls are <|START_ACTION|>[{"tool_call_id": "0", "tool_name": ..., "parameters": {...}}]<|END_ACTION|>.
 */
export const commandR7bFormat: ToolCallFormat = {
  name: 'command_r7b',
  aliases: ['cohere', 'command-r7b', 'command_a', 'command-a', 'cohere2'],
  family: 'cohere',
  markers: ['<|START_ACTION|>', '<|END_ACTION|>'],
  defaultReasoning: 'cohere',
  framing: true,
  idStyle: 'openai',
  scan: markedJsonScanner({
    opens: ['<|START_ACTION|>'],
    close: '<|END_ACTION|>',
    body: 'array',
    shape: { nameKeys: new Set(['tool_name', 'name']), argKeys: new Set(['parameters', 'arguments']) },
    strip: ['<|START_RESPONSE|>', '<|END_RESPONSE|>', '<|START_TEXT|>', '<|END_TEXT|>'],
    label: 'Command R',
  }),
};

/** Apertus: <|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>, the tool's name as the key. */
export const apertusFormat: ToolCallFormat = {
  name: 'apertus',
  aliases: ['swiss-ai'],
  family: 'apertus',
  markers: ['<|tools_prefix|>', '<|tools_suffix|>'],
  defaultReasoning: 'apertus',
  idStyle: 'openai',
  scan: markedJsonScanner({
    opens: ['<|tools_prefix|>'],
    close: '<|tools_suffix|>',
    body: 'array',
    shape: { nameKeys: new Set(), argKeys: new Set(), nameAsKey: true },
    label: 'Apertus',
  }),
};

/** Apriel 1.5 / 1.6: <tool_calls>[{"name": ..., "arguments": {...}}]</tool_calls>; the answer is framed in brackets. */
export const aprielFormat: ToolCallFormat = {
  name: 'apriel',
  aliases: ['apriel1.5', 'apriel1.6', 'apriel-1.5', 'apriel-1.6'],
  family: 'apriel',
  markers: ['<tool_calls>', '</tool_calls>'],
  altMarkers: [['[BEGIN FINAL RESPONSE]']],
  defaultReasoning: 'apriel',
  framing: true,
  idStyle: 'openai',
  scan: markedJsonScanner({
    opens: ['<tool_calls>'],
    close: '</tool_calls>',
    body: 'array',
    strip: ['[BEGIN FINAL RESPONSE]', '[END FINAL RESPONSE]'],
    label: 'Apriel',
  }),
};

/** GigaChat 3 writes one call as a "function call" message; 3.1 behind its <|function_call|> token. */
export const gigachat3Format: ToolCallFormat = {
  name: 'gigachat3',
  aliases: ['gigachat', 'gigachat3.1', 'gigachat-3', 'gigachat_v3'],
  family: 'gigachat',
  markers: ['<|role_sep|>', '<|message_sep|>'],
  altMarkers: [['<|function_call|>', '<|role_sep|>']],
  idStyle: 'openai',
  scan: markedJsonScanner({
    opens: ['<|message_sep|>\n\nfunction call<|role_sep|>', '<|function_call|>'],
    close: null,
    body: 'object',
    label: 'GigaChat',
  }),
};
