// qwen3_coder / qwen3_xml / qwen3.5:
//   <tool_call>\n<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n</function>\n</tool_call>
// Values are raw text typed by the tool's schema (strings stay raw, one newline around a value stripped).
// String values stream as they arrive; typed values wait for their closing tag. Qwen3.5 sometimes drops the
// <tool_call> wrapper, so a bare <function=NAME> also opens a call.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, type XmlParam } from '../util/xmlargs.js';
import { couldBeMarker } from './scan-kit.js';
import { isStringOnly, paramSchema } from '../util/schema.js';

const WRAP = '<tool_call>';
const WRAP_END = '</tool_call>';
const FN = '<function=';
const FN_END = '</function>';
const PARAM = '<parameter=';
const PARAM_END = '</parameter>';
// A value ends at its closing tag, or at </function> when the model left </parameter> out; raw values may
// contain anything else (code with <tags>, even </tool_call>).
const VALUE_ENDS = [PARAM_END, FN_END];

/** The wrapper around <function=…> calls: <tool_call> for Qwen, <seed:tool_call> for Seed-OSS. */
export interface XmlCallWrapper {
  open: string;
  close: string;
  /** A bare <function=NAME> (no wrapper) opens a call too. */
  bare: boolean;
}

type Step = { next: number } | { stop: true };

/** Parse <function=NAME>…</function> at `fnAt`; `callStart` is where the call's markup began. */
function scanFunction(text: string, callStart: number, fnAt: number, ctx: ScanContext, out: Segment[], wrapEnd: string): Step | null {
  const BODY_STARTS = [PARAM, FN_END, wrapEnd];
  const nameStart = fnAt + FN.length;
  const gt = text.indexOf('>', nameStart);
  const nl = text.indexOf('\n', nameStart);
  if (gt < 0 || (nl >= 0 && nl < gt) || gt - nameStart > 200) {
    if (gt < 0 && nl < 0 && text.length - nameStart <= 200) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(callStart) });
      return { stop: true };
    }
    return null;
  }
  const name = text.slice(nameStart, gt).trim().replace(/^["']|["']$/g, '');
  if (!name) return null;
  // A real function body starts with a parameter or a closing tag; anything else is prose explaining the
  // format ("a call starts with <function=NAME>; …"), so the tag stays text. Undecided: hold the name back.
  let k = gt + 1;
  while (k < text.length && /\s/.test(text[k])) k++;
  if (!BODY_STARTS.some((m) => text.startsWith(m, k))) {
    if (k < text.length && !(!ctx.final && couldBeMarker(text, k, BODY_STARTS))) return null;
    if (!ctx.final) {
      out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(callStart) });
      return { stop: true };
    }
  }
  return scanBody(text, callStart, name, gt + 1, ctx, out, wrapEnd);
}

// Resuming inside a string value (see checkpoints.ts): the value's text before the checkpoint is replaced by
// this one character, so the arguments built for the rest start with a known prefix that is then cut off
// (JSON escaping is per character, and a checkpoint never splits a surrogate pair).
const RESUME_LEAD = 'x';

/** State of a checkpoint inside the string value of `key` in the call to `fn`. */
interface InValue {
  fn: string;
  key: string;
}

function readInValue(state: string | undefined): InValue | null {
  if (!state?.startsWith('{')) return null;
  try {
    const v = JSON.parse(state) as Partial<InValue>;
    return typeof v.fn === 'string' && typeof v.key === 'string' ? { fn: v.fn, key: v.key } : null;
  } catch {
    return null;
  }
}

/**
 * Where a long string value may checkpoint: its text so far is final in the arguments (no newline that may be
 * the one before the closing tag, no lone high surrogate, not a possible "null").
 */
function settles(value: string, resumed: boolean): boolean {
  const last = value.charCodeAt(value.length - 1);
  if (value === '' || value.endsWith('\n') || value.endsWith('\r') || (last >= 0xd800 && last <= 0xdbff)) return false;
  if (resumed) return true;
  const s = value.startsWith('\r\n') ? value.slice(2) : value.startsWith('\n') ? value.slice(1) : value;
  return !'null'.startsWith(s.trim().toLowerCase());
}

/**
 * The parameters from `i` to </function> of the call to `name`. `resumeKey`: the scan resumed inside that
 * parameter's string value, which runs from `i`; the call segment then carries only the continuation.
 */
function scanBody(text: string, callStart: number, name: string, i: number, ctx: ScanContext, out: Segment[], wrapEnd: string, resumeKey?: string): Step {
  const params: XmlParam[] = [];
  const resumed = resumeKey !== undefined;
  const cut = resumed ? `{${JSON.stringify(resumeKey)}: "${RESUME_LEAD}`.length : 0;
  const segment = (complete: boolean, end: number): Extract<Segment, { kind: 'call' }> => {
    const seg: Extract<Segment, { kind: 'call' }> = { kind: 'call', name, arguments: buildXmlArguments(params, name, ctx.tools, complete).slice(cut), complete, raw: text.slice(callStart, end) };
    if (resumed) seg.continues = true;
    return seg;
  };
  const emit = (complete: boolean, end: number): void => {
    out.push(segment(complete, end));
  };
  /** A value without its closing tag yet: streamed, and a checkpoint where a long string value settles. */
  const openValue = (key: string, vStart: number, lead: string): Step => {
    let value = text.slice(vStart);
    if (!ctx.final) value = value.slice(0, value.length - markerPrefixLength(value, VALUE_ENDS));
    params.push({ key, value: lead + value, closed: false });
    if (!ctx.final && ctx.checkpoint && isStringOnly(paramSchema(ctx.tools, name, key)) && settles(value, lead !== '')) {
      ctx.checkpoint(vStart + value.length, [...out, { ...segment(false, vStart + value.length), open: true }], JSON.stringify({ fn: name, key }));
    }
    emit(false, text.length);
    return { stop: true };
  };
  if (resumed) {
    const hit = findFirst(text, VALUE_ENDS, i);
    if (!hit) return openValue(resumeKey, i, RESUME_LEAD);
    params.push({ key: resumeKey, value: RESUME_LEAD + text.slice(i, hit.index), closed: true });
    i = hit.marker === PARAM_END ? hit.index + PARAM_END.length : hit.index;
  }
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) {
      emit(false, text.length);
      return { stop: true };
    }
    if (text.startsWith(PARAM, i)) {
      const keyStart = i + PARAM.length;
      const kgt = text.indexOf('>', keyStart);
      if (kgt < 0) {
        emit(false, text.length);
        return { stop: true };
      }
      const key = text.slice(keyStart, kgt).trim().replace(/^["']|["']$/g, '');
      const vStart = kgt + 1;
      const hit = findFirst(text, VALUE_ENDS, vStart);
      if (!hit) return openValue(key, vStart, '');
      params.push({ key, value: text.slice(vStart, hit.index), closed: true });
      i = hit.marker === PARAM_END ? hit.index + PARAM_END.length : hit.index;
      continue;
    }
    if (text.startsWith(FN_END, i)) {
      let end = i + FN_END.length;
      let j = end;
      while (j < text.length && /\s/.test(text[j])) j++;
      // </tool_call> is consumed even after a call without the opening wrapper (never left as a stray tag).
      if (text.startsWith(wrapEnd, j)) end = j + wrapEnd.length;
      else if (!ctx.final && (j >= text.length || wrapEnd.startsWith(text.slice(j)))) {
        emit(true, text.length);
        return { stop: true };
      }
      emit(true, end);
      return { next: end };
    }
    if (text.startsWith(wrapEnd, i)) {
      // </tool_call> without </function>: close the call there.
      emit(true, i + wrapEnd.length);
      return { next: i + wrapEnd.length };
    }
    const rest = text.slice(i);
    if (!ctx.final && [PARAM, FN_END, wrapEnd].some((m) => m.startsWith(rest))) {
      emit(false, text.length);
      return { stop: true };
    }
    // Stray text inside the function body: skip to the next tag.
    const next = text.indexOf('<', i + 1);
    if (next < 0) {
      if (ctx.final) {
        emit(false, text.length);
        out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `unexpected text in the call to "${name}"`, raw: rest } });
      } else emit(false, text.length);
      return { stop: true };
    }
    i = next;
  }
}

export function xmlFunctionScanner(w: XmlCallWrapper): (text: string, ctx: ScanContext) => Segment[] {
  const wrap = w.open;
  const openers = w.bare ? [wrap, FN] : [wrap];
  return (text, ctx) => {
    const out: Segment[] = [];
    let pos = 0;
    const inValue = readInValue(ctx.resume?.state);
    if (inValue) {
      // Resumed inside a long string value: finish that call first.
      const r = scanBody(text, 0, inValue.fn, 0, ctx, out, w.close, inValue.key);
      if ('stop' in r) return out;
      pos = r.next;
    }
    for (;;) {
      // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
      ctx.checkpoint?.(pos, out);
      const hit = findFirst(text, openers, pos);
      if (!hit) {
        const rest = text.slice(pos);
        const hold = ctx.final ? 0 : markerPrefixLength(rest, openers);
        if (rest.length > hold) out.push({ kind: 'text', text: rest.slice(0, rest.length - hold) });
        ctx.checkpoint?.(text.length - hold, out);
        return out;
      }
      if (hit.index > pos) out.push({ kind: 'text', text: text.slice(pos, hit.index) });
      let fnAt = hit.index;
      const wrapped = hit.marker === wrap;
      if (wrapped) {
        let j = hit.index + wrap.length;
        while (j < text.length && /\s/.test(text[j])) j++;
        const rest = text.slice(j);
        if (!text.startsWith(FN, j)) {
          if (!ctx.final && FN.startsWith(rest)) {
            out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
            return out;
          }
          if (ctx.final && rest === '') {
            out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(hit.index) });
            return out;
          }
          // A <tool_call> not followed by <function=…>: prose that mentions the tag.
          out.push({ kind: 'text', text: wrap });
          pos = hit.index + wrap.length;
          continue;
        }
        fnAt = j;
      }
      const r = scanFunction(text, hit.index, fnAt, ctx, out, w.close);
      if (r === null) {
        out.push({ kind: 'text', text: text.slice(hit.index, fnAt + FN.length) });
        pos = fnAt + FN.length;
        continue;
      }
      if ('stop' in r) return out;
      pos = r.next;
    }
  };
}

export const scanQwen3Coder = xmlFunctionScanner({ open: WRAP, close: WRAP_END, bare: true });

export const qwen3CoderFormat: ToolCallFormat = {
  name: 'qwen3_coder',
  aliases: ['qwen3_xml', 'qwen3.5', 'qwen35', 'qwen3-coder', 'qwen3_5', 'qwen3.6'],
  family: 'qwen3_coder',
  markers: ['<tool_call>', '<function='],
  defaultReasoning: 'think',
  idStyle: 'openai',
  scan: scanQwen3Coder,
};
