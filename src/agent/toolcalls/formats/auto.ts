// The generic detector `auto` falls back to when no template marker identifies the model. It accepts the common
// forms: hermes <tool_call> tags, llama3 <|python_tag|>, mistral [TOOL_CALLS], and a bare JSON object of exactly
// name + arguments/parameters whose name is one of the request's tools. Prose, Markdown links, JSON data and
// bracketed text stay text.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { skipWs } from './scan-kit.js';
import { scanHermes } from './hermes.js';
import { scanLlama3, scanEnvelopeList } from './llama3.js';
import { scanMistral } from './mistral.js';

const DELEGATES: Record<string, (text: string, ctx: ScanContext) => Segment[]> = {
  '<tool_call>': scanHermes,
  '<|python_tag|>': (t, c) => scanLlama3(t, c, true),
  '[TOOL_CALLS]': scanMistral,
};
const MARKERS = Object.keys(DELEGATES);

export function scanGeneric(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  const lead = skipWs(text, 0);
  if (text[lead] === '{' && ctx.tools.length > 0) {
    const r = scanEnvelopeList(text, lead, ctx, out, { keys: new Set(['name', 'arguments', 'parameters']), requireKnownName: true });
    if (r && 'stop' in r) return out;
    if (r) pos = r.next;
  } else if (lead >= text.length && !ctx.final) return out;
  const hit = findFirst(text, MARKERS, pos);
  if (!hit) {
    const rest = text.slice(pos);
    const hold = ctx.final ? 0 : markerPrefixLength(rest, MARKERS);
    if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
    return out;
  }
  if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
  out.push(...DELEGATES[hit.marker](text.slice(hit.index), ctx));
  return out;
}

export const autoFormat: ToolCallFormat = {
  name: 'auto',
  aliases: ['generic'],
  family: 'generic',
  markers: [],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: scanGeneric,
};
