// The body of an XML-style call whose parameters carry their key in an attribute and whose values are raw
// text typed by the tool's schema (MiniCPM5's <param name="k">v</param>, Kimi K3's
// <|open|>argument key="k" type="number"<|sep|>v<|close|>argument<|sep|>). String values stream as they arrive;
// typed ones wait for their closing tag (util/xmlargs.ts).
import type { ScanContext, Segment } from '../types.js';
import { findFirst, markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, reportOpenParam, type XmlParam } from '../util/xmlargs.js';

export interface AttrCallSpec {
  /** Opens a parameter, up to the key's opening quote: '<param name="'. */
  paramOpen: string;
  /** Ends the parameter's opening tag: '>' or '<|sep|>'. */
  paramHeadEnd: string;
  paramClose: string;
  callClose: string;
  /** A value may be wrapped in <![CDATA[…]]> (it may then hold the closing tag). */
  cdata?: boolean;
  /** The opening tag's type="…" attribute types the value when the tool's schema does not. */
  typeAttr?: boolean;
  /** Used in warning messages. */
  label: string;
}

export type Step = { next: number } | { stop: true };

const CDATA = '<![CDATA[';
const CDATA_END = ']]>';
const TYPE_ATTR = /\btype="([a-z]+)"/;

/**
 * Scans parameters from `i` up to `spec.callClose` and emits the call segment (name first, then arguments as
 * they grow). `callStart` is where the call's markup began.
 */
export function scanAttrCallBody(text: string, callStart: number, name: string, i: number, spec: AttrCallSpec, ctx: ScanContext, out: Segment[]): Step {
  const params: XmlParam[] = [];
  const valueEnds = [spec.paramClose, spec.callClose];
  // Stray text in the body, reported after the call (a warning before it would change what streamed).
  const strays: string[] = [];
  const emit = (complete: boolean, end: number): void => {
    out.push({ kind: 'call', name, arguments: buildXmlArguments(params, name, ctx.tools, complete), complete, raw: text.slice(callStart, end) });
    if (complete || ctx.final) {
      for (const raw of strays) out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `${spec.label} call "${name}": unexpected text in its body`, raw } });
    }
  };
  const pending = (): Step => {
    emit(false, text.length);
    return { stop: true };
  };
  /** The text ends inside the last parameter's value, which starts at `vStart`: a checkpoint may fall there. */
  const openValue = (vStart: number): Step => {
    const step = pending();
    const last = params[params.length - 1];
    reportOpenParam(ctx, name, last, text.slice(callStart, vStart), vStart + last.value.length);
    return step;
  };
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) return pending();
    if (text.startsWith(spec.paramOpen, i)) {
      const keyStart = i + spec.paramOpen.length;
      const quote = text.indexOf('"', keyStart);
      const headEnd = quote < 0 ? -1 : text.indexOf(spec.paramHeadEnd, quote + 1);
      if (headEnd < 0) return pending();
      const key = text.slice(keyStart, quote);
      const type = spec.typeAttr ? TYPE_ATTR.exec(text.slice(quote + 1, headEnd))?.[1] : undefined;
      const param: XmlParam = { key, value: '', closed: false };
      if (type) param.fallbackSchema = { type };
      params.push(param);
      let vStart = headEnd + spec.paramHeadEnd.length;
      if (spec.cdata) {
        const rest = text.slice(vStart, vStart + CDATA.length);
        if (!ctx.final && rest.length < CDATA.length && CDATA.startsWith(rest)) return pending();
        if (rest === CDATA) {
          vStart += CDATA.length;
          const end = text.indexOf(CDATA_END, vStart);
          if (end < 0) {
            const v = text.slice(vStart);
            param.value = ctx.final ? v : v.slice(0, v.length - markerPrefixLength(v, [CDATA_END]));
            return openValue(vStart);
          }
          param.value = text.slice(vStart, end);
          let k = end + CDATA_END.length;
          while (k < text.length && /\s/.test(text[k])) k++;
          if (text.startsWith(spec.paramClose, k)) {
            param.closed = true;
            i = k + spec.paramClose.length;
            continue;
          }
          if (!ctx.final && (k >= text.length || spec.paramClose.startsWith(text.slice(k)))) return pending();
          param.closed = true;
          i = k;
          continue;
        }
      }
      const hit = findFirst(text, valueEnds, vStart);
      if (!hit) {
        const v = text.slice(vStart);
        param.value = ctx.final ? v : v.slice(0, v.length - markerPrefixLength(v, valueEnds));
        return openValue(vStart);
      }
      param.value = text.slice(vStart, hit.index);
      param.closed = true;
      // A value ends at its closing tag, or at the call's when the model left the parameter's out.
      i = hit.marker === spec.paramClose ? hit.index + spec.paramClose.length : hit.index;
      continue;
    }
    if (text.startsWith(spec.callClose, i)) {
      emit(true, i + spec.callClose.length);
      return { next: i + spec.callClose.length };
    }
    const rest = text.slice(i);
    if (!ctx.final && [spec.paramOpen, spec.callClose].some((m) => m.startsWith(rest))) return pending();
    // Stray text inside the call: report it and go on at the next tag of ours.
    const next = findFirst(text, [spec.paramOpen, spec.callClose], i);
    if (!next) {
      if (ctx.final) strays.push(rest);
      return pending();
    }
    strays.push(text.slice(i, next.index));
    i = next.index;
  }
}
