// mistral: [TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...] (old tokenizers), [TOOL_CALLS]name{json} (v11),
// [TOOL_CALLS]name[ARGS]{json} and [TOOL_CALLS]name[CALL_ID]id[ARGS]{json} (newer). JSON is scanned
// structurally, so a "[TOOL_CALLS]" inside an argument string never starts a second call. Ids: 9 alphanumerics.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { scanEnvelope } from '../util/envelope.js';
import { readName, reportOpenString, scanArgs, skipWs } from './scan-kit.js';
import { resumable } from '../value-checkpoints.js';
import { scanEnvelopeArray } from './json-array.js';

const TC = '[TOOL_CALLS]';
const ARGS = '[ARGS]';
const CALL_ID = '[CALL_ID]';

function scanMistralText(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (;;) {
    // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = findFirst(text, [TC], pos);
    if (!hit) {
      const rest = text.slice(pos);
      const hold = ctx.final ? 0 : markerPrefixLength(rest, [TC]);
      if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
      ctx.checkpoint?.(text.length - hold, out);
      return out;
    }
    if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
    const i = skipWs(text, hit.index + TC.length);
    if (i >= text.length) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    }
    if (text[i] === '[') {
      const r = scanEnvelopeArray(text, i, ctx, out, true, undefined, { from: hit.index });
      if (r.kind !== 'next') return out;
      pos = r.next;
      continue;
    }
    if (text[i] === '{') {
      // A single envelope object.
      const env = scanEnvelope(text, i, ctx.final);
      if (env.name === null) {
        if (!ctx.final && !env.invalid && !env.complete) return out;
        // The malformed markup ends where the object closed or broke (fixed once seen, so streaming agrees).
        const stop = env.complete || env.invalid ? env.end : text.length;
        out.push({ kind: 'warning', warning: { code: 'malformed_call', message: '[TOOL_CALLS] object without a "name"', raw: text.slice(hit.index, stop) } });
        pos = stop;
        continue;
      }
      out.push({ kind: 'call', name: env.name, arguments: env.arguments, complete: env.complete, raw: text.slice(hit.index, env.complete ? env.end : text.length) });
      if (!env.complete) {
        if (env.invalid && ctx.final) out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in the call to "${env.name}"`, raw: text.slice(env.end) } });
        if (!env.invalid) reportOpenString(ctx, text, hit.index, env.openString);
        return out;
      }
      pos = env.end;
      continue;
    }
    const { name, end } = readName(text, i);
    if (!name) {
      // [TOOL_CALLS] followed by prose: drop the marker, keep the text.
      pos = i;
      continue;
    }
    if (end >= text.length) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    }
    let q = end;
    if (text.startsWith(CALL_ID, q)) {
      const a = text.indexOf(ARGS, q);
      if (a < 0) {
        if (!ctx.final) {
          out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
          return out;
        }
        q = text.length;
      } else q = a;
    }
    if (text.startsWith(ARGS, q)) q += ARGS.length;
    else if (!ctx.final && (ARGS.startsWith(text.slice(q)) || CALL_ID.startsWith(text.slice(q)))) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    }
    q = skipWs(text, q);
    if (q >= text.length) {
      out.push({ kind: 'call', name: ctx.final ? name : null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    }
    if (text[q] !== '{') {
      // Not a call after all ([TOOL_CALLS] then prose): drop the marker, keep the text.
      pos = i;
      continue;
    }
    const a = scanArgs(text, q, ctx.final);
    if (a.status === 'complete') {
      out.push({ kind: 'call', name, arguments: a.args, complete: true, raw: text.slice(hit.index, a.end) });
      pos = a.end;
      continue;
    }
    out.push({ kind: 'call', name, arguments: a.args, complete: false, raw: text.slice(hit.index) });
    if (a.status === 'invalid' && ctx.final) {
      out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `invalid JSON in the call to "${name}"`, raw: text.slice(a.at) } });
    }
    if (a.status === 'partial') reportOpenString(ctx, text, hit.index, a.openString);
    return out;
  }
}

export const scanMistral = resumable(scanMistralText);

export const mistralFormat: ToolCallFormat = {
  name: 'mistral',
  aliases: ['devstral', 'magistral', 'ministral', 'mistral_nemo'],
  family: 'mistral',
  markers: ['[TOOL_CALLS]'],
  defaultReasoning: 'mistral',
  idStyle: 'mistral9',
  scan: scanMistral,
};
