// The generic detector `auto` falls back to when no template marker identifies the model. It accepts the common
// forms: hermes <tool_call> tags (JSON, or the Qwen3 XML <function=…> form), Gemma 4 <|tool_call>, llama3
// <|python_tag|>, mistral [TOOL_CALLS], and a bare JSON object of exactly
// name + arguments/parameters whose name is one of the request's tools. Prose, Markdown links, JSON data and
// bracketed text stay text.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { couldBeMarker, delegateContext, skipWs } from './scan-kit.js';
import { scanQwen3Coder } from './qwen3-coder.js';
import { scanGemma4 } from './gemma.js';
import { scanHermes } from './hermes.js';
import { scanLlama3, scanEnvelopeList } from './llama3.js';
import { scanMistral } from './mistral.js';

const FN = '<function=';
const SCANNERS: Record<string, (text: string, ctx: ScanContext) => Segment[]> = {
  hermes: scanHermes,
  qwen3: scanQwen3Coder,
  gemma4: scanGemma4,
  llama3: (t, c) => scanLlama3(t, c, true),
  mistral: scanMistral,
};
const MARKERS = ['<tool_call>', '<|tool_call>', '<|python_tag|>', '[TOOL_CALLS]'];

/** The scanner for the markup at the start of `text`; 'hold' while <tool_call> may still turn out to be XML. */
function pick(marker: string, text: string, final: boolean): string | 'hold' {
  if (marker === '<|tool_call>') return 'gemma4';
  if (marker === '<|python_tag|>') return 'llama3';
  if (marker === '[TOOL_CALLS]') return 'mistral';
  // <tool_call> opens Hermes JSON or, when <function= follows, the Qwen3 XML form.
  const j = skipWs(text, marker.length);
  if (text.startsWith(FN, j)) return 'qwen3';
  if (!final && (j >= text.length || couldBeMarker(text, j, [FN]))) return 'hold';
  return 'hermes';
}

export function scanGeneric(text: string, ctx: ScanContext): Segment[] {
  const resumed = ctx.resume?.state;
  const bar = resumed ? resumed.indexOf('|') : -1;
  if (resumed && bar > 0) {
    // Resumed inside a delegate: it goes on where it left off.
    const name = resumed.slice(0, bar);
    const inner = resumed.slice(bar + 1);
    return SCANNERS[name](text, delegateContext(ctx, name, 0, [], inner ? { state: inner } : {}));
  }
  const out: Segment[] = [];
  let pos = 0;
  const lead = skipWs(text, 0);
  if (ctx.resume) {
    // Resumed in plain text: not the start of the output.
  } else if (text[lead] === '{' && ctx.tools.length > 0) {
    const r = scanEnvelopeList(text, lead, ctx, out, { keys: new Set(['name', 'arguments', 'parameters']), requireKnownName: true });
    if (r && 'stop' in r) return out;
    if (r) pos = r.next;
  } else if (lead >= text.length && !ctx.final) return out;
  const hit = findFirst(text, MARKERS, pos);
  if (!hit) {
    const rest = text.slice(pos);
    const hold = ctx.final ? 0 : markerPrefixLength(rest, MARKERS);
    if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
    ctx.checkpoint?.(text.length - hold, out, 'generic');
    return out;
  }
  if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
  const rest = text.slice(hit.index);
  const name = pick(hit.marker, rest, ctx.final);
  if (name === 'hold') {
    out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: rest });
    return out;
  }
  out.push(...SCANNERS[name](rest, delegateContext(ctx, name, hit.index, [...out])));
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
