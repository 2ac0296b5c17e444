// Seed-OSS (ByteDance): Qwen3-Coder's function/parameter XML in a namespaced wrapper,
//   <seed:tool_call>\n<function=NAME>\n<parameter=KEY>VALUE</parameter>\n</function>\n</seed:tool_call>
// and thoughts in <seed:think>…</seed:think>. The wrapper is always written, so a bare <function=…> is prose.
import type { ToolCallFormat } from '../types.js';
import { xmlFunctionScanner } from './qwen3-coder.js';

export const seedOssFormat: ToolCallFormat = {
  name: 'seed_oss',
  aliases: ['seed-oss', 'seed', 'bytedance-seed'],
  family: 'seed_oss',
  markers: ['<seed:tool_call>'],
  defaultReasoning: 'seed',
  idStyle: 'openai',
  scan: xmlFunctionScanner({ open: '<seed:tool_call>', close: '</seed:tool_call>', bare: false }),
};
