// Kimi K3: every part of a message is a section built from three special tokens,
//   <|open|>NAME attr="…"<|sep|> … <|close|>NAME<|sep|>
// An answer is [think] response [tools] then <|close|>message<|sep|><|end_of_msg|>:
//   <|open|>response<|sep|>On it.<|close|>response<|sep|>
//   <|open|>tools<|sep|><|open|>call tool="get_weather" index="1"<|sep|>
//   <|open|>argument key="city" type="string"<|sep|>Paris<|close|>argument<|sep|><|close|>call<|sep|>
//   <|close|>tools<|sep|><|close|>message<|sep|><|end_of_msg|>
// The section markup is the format's framing and never reaches the content; argument values are raw text typed
// by the tool's schema, else by their type attribute. Thoughts (<|open|>think<|sep|>…) go to the reasoning parser.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { scanAttrCallBody, type AttrCallSpec } from './attr-call.js';
import { resumable } from '../value-checkpoints.js';
import { pushText, textUntilMarker } from './scan-kit.js';

const SEP = '<|sep|>';
const CALL = '<|open|>call tool="';
const MESSAGE = '<|open|>message';
const FRAMING = [
  '<|open|>response<|sep|>',
  '<|close|>response<|sep|>',
  '<|open|>tools<|sep|>',
  '<|close|>tools<|sep|>',
  '<|close|>message<|sep|>',
  '<|end_of_msg|>',
  // Stray think markers (the reasoning parser takes a well-placed block).
  '<|open|>think<|sep|>',
  '<|close|>think<|sep|>',
];
const MARKERS = [CALL, MESSAGE, ...FRAMING];
const SPEC: AttrCallSpec = {
  paramOpen: '<|open|>argument key="',
  paramHeadEnd: SEP,
  paramClose: '<|close|>argument<|sep|>',
  callClose: '<|close|>call<|sep|>',
  typeAttr: true,
  label: 'Kimi K3',
};

export function scanKimiK3(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (;;) {
    // Between sections the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = textUntilMarker(text, pos, MARKERS, ctx.final, (s) => pushText(out, s), (at) => ctx.checkpoint?.(at, out));
    if (!hit) return out;
    if (hit.marker !== CALL && hit.marker !== MESSAGE) {
      pos = hit.index + hit.marker.length;
      continue;
    }
    // <|open|>message role="assistant"<|sep|> and <|open|>call tool="NAME" index="1"<|sep|>: up to the separator.
    const sep = text.indexOf(SEP, hit.index + hit.marker.length);
    if (sep < 0) {
      if (ctx.final) {
        pushText(out, text.slice(hit.index));
        return out;
      }
      if (hit.marker === CALL) out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
      return out;
    }
    if (hit.marker === MESSAGE) {
      pos = sep + SEP.length;
      continue;
    }
    const nameStart = hit.index + CALL.length;
    const quote = text.indexOf('"', nameStart);
    const name = quote >= 0 && quote < sep ? text.slice(nameStart, quote) : '';
    if (!name) {
      out.push({ kind: 'warning', warning: { code: 'malformed_call', message: 'Kimi K3 call without a tool name', raw: text.slice(hit.index, sep + SEP.length) } });
      pos = sep + SEP.length;
      continue;
    }
    const r = scanAttrCallBody(text, hit.index, name, sep + SEP.length, SPEC, ctx, out);
    if ('stop' in r) return out;
    pos = r.next;
  }
}

export const kimiK3Format: ToolCallFormat = {
  name: 'kimi_k3',
  aliases: ['kimi-k3', 'kimi3'],
  family: 'kimi_k3',
  markers: ['<|open|>', '<|close|>', '<|end_of_msg|>'],
  defaultReasoning: 'kimi_k3',
  framing: true,
  idStyle: 'openai',
  scan: resumable(scanKimiK3),
};
