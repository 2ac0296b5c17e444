// LFM2 / LFM2.5 (Liquid): a pythonic call list between special tokens,
//   <|tool_call_start|>[get_weather(city="Paris"), get_time(tz="UTC")]<|tool_call_end|>
// with Python literals (True, None, dicts, lists) as values. LFM2.5-8B-A1B thinks in <think>…</think>.
import type { ToolCallFormat } from '../types.js';
import { wrappedCallListScanner } from './pythonic.js';

export const lfm2Format: ToolCallFormat = {
  name: 'lfm2',
  aliases: ['lfm2.5', 'lfm25', 'liquid', 'lfm'],
  family: 'lfm2',
  markers: ['<|tool_call_start|>', '<|tool_call_end|>'],
  // LFM2.5 templates list the tools in plain text, without the tool-list tokens of LFM2.
  altMarkers: [['List of tools: [', '<|im_start|>']],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: wrappedCallListScanner('<|tool_call_start|>', '<|tool_call_end|>', false),
};
