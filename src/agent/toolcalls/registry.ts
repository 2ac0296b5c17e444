// The registry of tool-call and reasoning formats: names, aliases, families and the markers `auto` looks for.
import type { ReasoningFormat, ToolCallFormat } from './types.js';
import { hermesFormat } from './formats/hermes.js';
import { qwen3CoderFormat } from './formats/qwen3-coder.js';
import { llama3Format } from './formats/llama3.js';
import { pythonicFormat } from './formats/pythonic.js';
import { mistralFormat } from './formats/mistral.js';
import { granite4Format, graniteFormat, phi4MiniFormat, xlamFormat } from './formats/json-lists.js';
import { deepseekR1Format, deepseekV31Format, deepseekV32Format, deepseekV3Format } from './formats/deepseek.js';
import { kimiK2Format } from './formats/kimi.js';
import { nemotronFormat } from './formats/nemotron.js';
import { functionaryFormat } from './formats/functionary.js';
import { glm45Format, glm47Format } from './formats/glm.js';
import { minimaxM2Format } from './formats/minimax.js';
import { harmonyFormat } from './formats/harmony.js';
import { functionGemmaFormat, gemma3Format, gemma4Format } from './formats/gemma.js';
import { lfm2Format } from './formats/lfm2.js';
import { seedOssFormat } from './formats/seed-oss.js';
import { apertusFormat, aprielFormat, commandR7bFormat, gigachat3Format } from './formats/marked-json-families.js';
import { miniCpm5Format } from './formats/minicpm5.js';
import { kimiK3Format } from './formats/kimi-k3.js';
import { minimaxM3Format } from './formats/minimax-m3.js';
import {
  apertusReasoning,
  aprielReasoning,
  cohereReasoning,
  kimiK3Reasoning,
  minimaxM3Reasoning,
  mistralReasoning,
  seedReasoning,
  thinkReasoning,
} from './reasoning/tags.js';

/** Every named tool-call format, in detection priority order (earlier wins a tie). */
export const toolFormats: ToolCallFormat[] = [
  hermesFormat,
  qwen3CoderFormat,
  llama3Format,
  pythonicFormat,
  mistralFormat,
  xlamFormat,
  phi4MiniFormat,
  graniteFormat,
  granite4Format,
  deepseekV3Format,
  deepseekR1Format,
  deepseekV31Format,
  deepseekV32Format,
  kimiK2Format,
  nemotronFormat,
  functionaryFormat,
  glm45Format,
  glm47Format,
  minimaxM2Format,
  harmonyFormat,
  gemma4Format,
  functionGemmaFormat,
  gemma3Format,
  lfm2Format,
  seedOssFormat,
  commandR7bFormat,
  apertusFormat,
  aprielFormat,
  miniCpm5Format,
  kimiK3Format,
  minimaxM3Format,
  gigachat3Format,
];

export const reasoningFormats: ReasoningFormat[] = [
  thinkReasoning,
  mistralReasoning,
  seedReasoning,
  cohereReasoning,
  apertusReasoning,
  aprielReasoning,
  kimiK3Reasoning,
  minimaxM3Reasoning,
];

const norm = (s: string): string => s.trim().toLowerCase().replace(/_/g, '-');

export function findToolFormat(name: string): ToolCallFormat | undefined {
  const n = norm(name);
  return toolFormats.find((f) => norm(f.name) === n || f.aliases.some((a) => norm(a) === n));
}

export function findReasoningFormat(name: string): ReasoningFormat | undefined {
  const n = norm(name);
  return reasoningFormats.find((f) => norm(f.name) === n || f.aliases.some((a) => norm(a) === n));
}
