// `auto`: choose formats from the chat template text and the special tokens by the registry's markers.
import type { ReasoningFormat, ToolCallFormat } from './types.js';
import { reasoningFormats, toolFormats } from './registry.js';

function markerScore(sets: string[][], haystack: string): number {
  let best = 0;
  for (const set of sets) {
    if (set.length === 0 || !set.every((m) => haystack.includes(m))) continue;
    // More markers, then longer markers, mean a more specific match.
    const score = set.length * 1000 + set.reduce((n, m) => n + m.length, 0);
    if (score > best) best = score;
  }
  return best;
}

/** The tool format whose markers best match the template and special tokens, or null when none does. */
export function detectToolFormat(chatTemplate: string | null | undefined, specialTokens: string[] = []): ToolCallFormat | null {
  const haystack = `${chatTemplate ?? ''}\n${specialTokens.join('\n')}`;
  if (haystack.trim() === '') return null;
  let best: ToolCallFormat | null = null;
  let bestScore = 0;
  for (const f of toolFormats) {
    const score = markerScore([f.markers, ...(f.altMarkers ?? [])], haystack);
    if (score > bestScore) {
      best = f;
      bestScore = score;
    }
  }
  return best;
}

/** The reasoning format a template's markers point to, or null. */
export function detectReasoningFormat(chatTemplate: string | null | undefined, specialTokens: string[] = []): ReasoningFormat | null {
  const haystack = `${chatTemplate ?? ''}\n${specialTokens.join('\n')}`;
  let best: ReasoningFormat | null = null;
  let bestScore = 0;
  for (const f of reasoningFormats) {
    const score = markerScore([f.markers ?? []], haystack);
    if (score > bestScore) {
      best = f;
      bestScore = score;
    }
  }
  return best;
}

/** True when a rendered prompt ends inside an opened reasoning block (the model's output starts in reasoning). */
export function promptOpensReasoning(renderedPrompt: string): boolean {
  const tail = renderedPrompt.trimEnd();
  for (const f of reasoningFormats) {
    const [open, close] = f.markers ?? [];
    if (!open || !close) continue;
    if (tail.endsWith(open)) return true;
  }
  return false;
}
