// Reasoning blocks delimited by an open and a close tag: <think>…</think> (qwen3, deepseek_r1, glm4.5/4.7)
// and [THINK]…[/THINK] (mistral/magistral). A block opens only where nothing but whitespace precedes it
// (the start of the output or right after another block), so prose that mentions the tag stays text; a close
// tag without an open one is text too, unless the template opened the block.
// With `startsInReasoning` the template already opened the block: output starts inside reasoning.
import type { ReasoningFormat } from '../types.js';
import { markerPrefixLength } from '../util/holdback.js';

type Piece = { kind: 'text' | 'reasoning'; text: string };

export function tagReasoning(name: string, aliases: string[], open: string, close: string): ReasoningFormat {
  return {
    name,
    aliases,
    markers: [open, close],
    scan(text, ctx) {
      const out: Piece[] = [];
      const push = (kind: Piece['kind'], t: string): void => {
        if (!t) return;
        const last = out[out.length - 1];
        if (last && last.kind === kind) last.text += t;
        else out.push({ kind, text: t });
      };
      let pos = 0;
      // Resume states: 'in' a block, 'open' (a block may open here), 'text' (everything from here is text).
      const resumed = ctx.resume?.state;
      let inside = resumed ? resumed === 'in' : ctx.startsInReasoning;
      // May a new block open here (only whitespace since the start or since the last block)?
      let canOpen = resumed !== 'text';
      if (inside && !resumed) {
        // Some models repeat the opening tag the template already wrote.
        const lead = text.length - text.trimStart().length;
        const rest = text.slice(lead);
        if (rest.startsWith(open)) pos = lead + open.length;
        else if (!ctx.final && open.startsWith(rest)) return out;
      }
      while (pos < text.length) {
        if (inside) {
          const end = text.indexOf(close, pos);
          if (end < 0) {
            const rest = text.slice(pos);
            const hold = ctx.final ? 0 : markerPrefixLength(rest, [close]);
            push('reasoning', rest.slice(0, rest.length - hold));
            ctx.checkpoint?.(text.length - hold, out, 'in');
            return out;
          }
          push('reasoning', text.slice(pos, end));
          pos = end + close.length;
          inside = false;
          canOpen = true;
          ctx.checkpoint?.(pos, out, 'open');
          continue;
        }
        if (!canOpen) {
          // After real content everything is text, a stray close tag included (it may sit inside a call's
          // arguments, and removing it would corrupt them).
          push('text', text.slice(pos));
          ctx.checkpoint?.(text.length, out, 'text');
          return out;
        }
        const lead = text.slice(pos).search(/\S/);
        if (lead < 0) {
          // Only whitespace so far: it may still precede an opening tag.
          if (ctx.final) push('text', text.slice(pos));
          return out;
        }
        const at = pos + lead;
        if (text.startsWith(open, at)) {
          push('text', text.slice(pos, at));
          pos = at + open.length;
          inside = true;
          continue;
        }
        if (!ctx.final && open.startsWith(text.slice(at))) {
          // Could still become the opening tag: hold it (and the whitespace before it) back.
          return out;
        }
        canOpen = false;
      }
      return out;
    },
  };
}

export const thinkReasoning = tagReasoning('think', ['qwen3', 'deepseek_r1', 'deepseek-r1', 'glm4', 'glm45', 'glm47', 'glm4.5', 'glm4.7', 'qwq'], '<think>', '</think>');
export const mistralReasoning = tagReasoning('mistral', ['magistral', 'mistral_think'], '[THINK]', '[/THINK]');
export const seedReasoning = tagReasoning('seed', ['seed_oss', 'seed-oss'], '<seed:think>', '</seed:think>');
export const cohereReasoning = tagReasoning('cohere', ['command_r7b', 'command-a', 'cohere2'], '<|START_THINKING|>', '<|END_THINKING|>');
export const apertusReasoning = tagReasoning('apertus', [], '<|inner_prefix|>', '<|inner_suffix|>');
// Apriel's template opens the thoughts with this sentence; the answer follows the bracketed marker.
export const aprielReasoning = tagReasoning('apriel', ['apriel1.5', 'apriel1.6'], 'Here are my reasoning steps:', '[BEGIN FINAL RESPONSE]');
export const kimiK3Reasoning = tagReasoning('kimi_k3', ['kimi-k3'], '<|open|>think<|sep|>', '<|close|>think<|sep|>');
export const minimaxM3Reasoning = tagReasoning('minimax_m3', ['mm_think'], '<mm:think>', '</mm:think>');
