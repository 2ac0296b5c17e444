// Formats whose calls are a JSON array of envelopes behind a marker or on their own:
//   xlam:      [{"name": ..., "arguments": {...}}] bare, in a ```json fence, after </think> (the reasoning parser
//              has split that off), after [TOOL_CALLS] or inside <tool_call>…</tool_call>
//   phi4_mini: functools[{...}, ...]
//   granite:   <|tool_call|>[{...}] (3.0) or <tool_call>[{...}] (3.1)
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { delegateContext, skipWs, pushText } from './scan-kit.js';
import { scanEnvelopeArray } from './json-array.js';
import { scanMistral } from './mistral.js';
import { scanHermes } from './hermes.js';
import { resumable } from '../value-checkpoints.js';

function tail(text: string, pos: number, markers: string[], ctx: ScanContext, out: Segment[]): void {
  const rest = text.slice(pos);
  const hold = ctx.final ? 0 : markerPrefixLength(rest, markers);
  pushText(out, rest.slice(0, rest.length - hold));
  ctx.checkpoint?.(text.length - hold, out);
}

/** Marker then a JSON array of calls; a marker without an array after it is dropped (its text kept). */
function markedArrayScanner(markers: string[]): (text: string, ctx: ScanContext) => Segment[] {
  return resumable((text, ctx) => {
    const out: Segment[] = [];
    let pos = 0;
    for (;;) {
      // Between call lists the scan depends on nothing before: a checkpoint (see checkpoints.ts).
      ctx.checkpoint?.(pos, out);
      const hit = findFirst(text, markers, pos);
      if (!hit) {
        tail(text, pos, markers, ctx, out);
        return out;
      }
      pushText(out, text.slice(pos, hit.index));
      const i = skipWs(text, hit.index + hit.marker.length);
      if (i >= text.length) {
        out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
        return out;
      }
      if (text[i] !== '[') {
        pushText(out, hit.marker);
        pos = hit.index + hit.marker.length;
        continue;
      }
      const r = scanEnvelopeArray(text, i, ctx, out, true, undefined, { from: hit.index });
      if (r.kind !== 'next') return out;
      pos = r.next;
      // The 3.1 granite form may close its tag.
      const j = skipWs(text, pos);
      if (text.startsWith('</tool_call>', j)) pos = j + '</tool_call>'.length;
      else if (!ctx.final && j >= text.length) return out;
      else if (!ctx.final && '</tool_call>'.startsWith(text.slice(j))) return out;
    }
  });
}

/** The scanners xlam hands its [TOOL_CALLS] and <tool_call> forms to (state "name|inner" resumes inside them). */
const DELEGATES: Record<string, (text: string, ctx: ScanContext) => Segment[]> = { mistral: scanMistral, hermes: scanHermes };

/** xlam: the bare array at the start, fenced arrays anywhere, or the [TOOL_CALLS] / <tool_call> forms. */
function scanXlamText(text: string, ctx: ScanContext): Segment[] {
  const resumed = ctx.resume?.state;
  const bar = resumed ? resumed.indexOf('|') : -1;
  if (resumed && bar > 0 && DELEGATES[resumed.slice(0, bar)]) {
    const name = resumed.slice(0, bar);
    const inner = resumed.slice(bar + 1);
    return DELEGATES[name](text, delegateContext(ctx, name, 0, [], inner ? { state: inner } : {}));
  }
  const out: Segment[] = [];
  let pos = 0;
  const lead = skipWs(text, 0);
  if (!ctx.resume && lead >= text.length && !ctx.final) return out;
  if (!ctx.resume && text[lead] === '[') {
    const r = scanEnvelopeArray(text, lead, ctx, out, false, undefined, { from: 0, asStart: true });
    if (r.kind === 'stop') return out;
    if (r.kind === 'next') pos = r.next;
  }
  const markers = ['```', '[TOOL_CALLS]', '<tool_call>'];
  for (;;) {
    const hit = findFirst(text, markers, pos);
    if (!hit) {
      tail(text, pos, markers, ctx, out);
      return out;
    }
    pushText(out, text.slice(pos, hit.index));
    if (hit.marker !== '```') {
      // The delegate scans the rest; its checkpoints are shifted to our text and resume inside it.
      const name = hit.marker === '[TOOL_CALLS]' ? 'mistral' : 'hermes';
      out.push(...DELEGATES[name](text.slice(hit.index), delegateContext(ctx, name, hit.index, [...out])));
      return out;
    }
    // ``` then an optional "json" info string, then the array.
    let k = hit.index + 3;
    const info = text.slice(k, k + 4);
    if (info === 'json') k += 4;
    else if (!ctx.final && k + info.length >= text.length && 'json'.startsWith(info)) return out;
    const body = skipWs(text, k);
    if (body >= text.length && !ctx.final) return out;
    if (body < 0 || text[body] !== '[') {
      pushText(out, '```');
      pos = hit.index + 3;
      continue;
    }
    const inner: Segment[] = [];
    const r = scanEnvelopeArray(text, body, ctx, inner, false, undefined, { from: hit.index });
    if (r.kind === 'stop') {
      out.push(...inner);
      return out;
    }
    if (r.kind === 'notcall') {
      pushText(out, '```');
      pos = hit.index + 3;
      continue;
    }
    out.push(...inner);
    const j = skipWs(text, r.next);
    if (text.startsWith('```', j)) pos = j + 3;
    else if (!ctx.final && (j >= text.length || '```'.startsWith(text.slice(j)))) return out;
    else pos = r.next;
  }
}

export const scanXlam = resumable(scanXlamText);

export const xlamFormat: ToolCallFormat = {
  name: 'xlam',
  aliases: ['xlam2', 'salesforce_xlam'],
  family: 'xlam',
  markers: [],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: scanXlam,
};

export const phi4MiniFormat: ToolCallFormat = {
  name: 'phi4_mini',
  aliases: ['phi4_mini_json', 'phi4', 'phi-4-mini'],
  family: 'phi4_mini',
  markers: ['functools'],
  idStyle: 'openai',
  scan: markedArrayScanner(['functools']),
};

export const graniteFormat: ToolCallFormat = {
  name: 'granite',
  aliases: ['granite3', 'granite-3.0', 'granite-3.1'],
  family: 'granite',
  markers: ['<|tool_call|>'],
  altMarkers: [['<|start_of_role|>', '<tool_call>']],
  idStyle: 'openai',
  scan: markedArrayScanner(['<|tool_call|>', '<tool_call>']),
};

/**
 * Granite 4.0 / 4.1 write Hermes-style <tool_call>{"name": ..., "arguments": {...}}</tool_call>. Their templates
 * close the tag (</tool_call>) where 3.x templates use <|tool_call|> or an unclosed <tool_call>[...]: that is
 * how `auto` tells the versions apart.
 */
export const granite4Format: ToolCallFormat = {
  name: 'granite4',
  aliases: ['granite-4', 'granite-4.0', 'granite-4.1', 'granite4.0', 'granite4.1'],
  family: 'granite',
  markers: ['<|start_of_role|>', '<tool_call>', '</tool_call>'],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: scanHermes,
};
