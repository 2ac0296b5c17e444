// Gemma 4's argument syntax, converted to JSON incrementally: {key:<|"|>text<|"|>,n:42,flag:true,list:[...],obj:{...}}
// Keys are bare (or delimited like strings), strings sit between a delimiter token (<|"|> for Gemma 4, <escape> for
// FunctionGemma) and carry no escapes, everything else is a bare literal. The JSON grows only at its end as text
// arrives and every partial result is a healable prefix: a key is written together with the start of its value,
// a bare value once the character after it shows it is finished, a string's text as it comes.

import type { ToolDefinition } from '../../../engine/types.js';
import { cutLoneSurrogate, markerPrefixLength } from '../util/holdback.js';
import { isStringOnly, paramSchema } from '../util/schema.js';

export interface Converted {
  status: 'complete' | 'partial' | 'invalid';
  /** The JSON so far (complete: the whole value). */
  out: string;
  /** Index after the value (complete) or where it broke (invalid); text.length when partial. */
  end: number;
  /** Partial inside a string: where its text starts and where the text `out` holds ends. */
  openString?: { from: number; end: number };
}

export interface GemmaArgsOptions {
  /** The string delimiter token. */
  delim: string;
  tools: ToolDefinition[];
  /** The tool whose schema types bare top-level values ("n:42" for a string parameter stays "42"). */
  toolName: string | null;
}

const WS = /\s/;

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.test(text[i])) i++;
  return i;
}

/** JSON for a finished bare literal; `asString` forces a string. */
function bareToJson(raw: string, asString: boolean): string {
  const t = raw.trim();
  if (asString) return JSON.stringify(t);
  if (t === 'true' || t === 'false' || t === 'null') return t;
  if (t === 'True' || t === 'False') return t.toLowerCase();
  if (t === 'None' || t === 'nil') return 'null';
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(t)) return t;
  if (/^-?\d*\.?\d+(?:[eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t))) return JSON.stringify(Number(t));
  return JSON.stringify(t);
}

class GemmaArgsParser {
  constructor(
    private readonly text: string,
    private readonly opts: GemmaArgsOptions,
  ) {}

  /** A string whose opening delimiter is at i. */
  private str(i: number): Converted {
    const { text } = this;
    const { delim } = this.opts;
    const from = i + delim.length;
    const close = text.indexOf(delim, from);
    if (close < 0) {
      let body = text.slice(from);
      body = cutLoneSurrogate(body.slice(0, body.length - markerPrefixLength(body, [delim])));
      return { status: 'partial', out: JSON.stringify(body).slice(0, -1), end: text.length, openString: { from, end: from + body.length } };
    }
    return { status: 'complete', out: JSON.stringify(text.slice(from, close)), end: close + delim.length };
  }

  /** A bare literal at i, finished by one of `stops` (or, when it is not finished yet, partial). */
  private bare(i: number, asString: boolean): Converted {
    const { text } = this;
    let j = i;
    while (j < text.length && !',}]'.includes(text[j]) && !text.startsWith(this.opts.delim, j)) j++;
    if (j >= text.length) return { status: 'partial', out: '', end: text.length };
    if (j === i) return { status: 'invalid', out: '', end: i };
    return { status: 'complete', out: bareToJson(text.slice(i, j), asString), end: j };
  }

  value(i: number, asString = false): Converted {
    const { text } = this;
    i = skipWs(text, i);
    if (i >= text.length) return { status: 'partial', out: '', end: text.length };
    if (text.startsWith(this.opts.delim, i)) return this.str(i);
    if (this.opts.delim.startsWith(text.slice(i)) && text[i] === this.opts.delim[0]) return { status: 'partial', out: '', end: text.length };
    if (text[i] === '{') return this.object(i + 1, false);
    if (text[i] === '[') return this.array(i + 1);
    return this.bare(i, asString);
  }

  /** The members after an opening brace at i - 1. `top` types bare values by the tool's schema. */
  object(i: number, top: boolean): Converted {
    const { text } = this;
    const { delim } = this.opts;
    let out = '{';
    let n = 0;
    for (;;) {
      i = skipWs(text, i);
      if (i >= text.length) return { status: 'partial', out, end: text.length };
      if (text[i] === '}') return { status: 'complete', out: out + '}', end: i + 1 };
      if (n > 0) {
        if (text[i] !== ',') return { status: 'invalid', out, end: i };
        i = skipWs(text, i + 1);
        if (i >= text.length) return { status: 'partial', out, end: text.length };
        // A trailing comma before the closing brace is tolerated.
        if (text[i] === '}') return { status: 'complete', out: out + '}', end: i + 1 };
      }
      let key: string;
      let k = i;
      if (text.startsWith(delim, i)) {
        const close = text.indexOf(delim, i + delim.length);
        if (close < 0) return { status: 'partial', out, end: text.length };
        key = text.slice(i + delim.length, close);
        k = close + delim.length;
      } else {
        while (k < text.length && !':,{}[]'.includes(text[k]) && !text.startsWith(delim, k)) k++;
        if (k >= text.length) return { status: 'partial', out, end: text.length };
        key = text.slice(i, k).trim().replace(/^["']|["']$/g, '');
        if (!key) return { status: 'invalid', out, end: i };
      }
      k = skipWs(text, k);
      if (k >= text.length) return { status: 'partial', out, end: text.length };
      if (text[k] !== ':') return { status: 'invalid', out, end: k };
      const asString = top && isStringOnly(paramSchema(this.opts.tools, this.opts.toolName, key));
      const v = this.value(k + 1, asString);
      const member = (n > 0 ? ', ' : '') + JSON.stringify(key) + ': ';
      if (v.status !== 'complete') {
        // The key shows only together with the start of its value, so the prefix stays healable.
        return { status: v.status, out: v.out ? out + member + v.out : out, end: v.end, ...(v.openString ? { openString: v.openString } : {}) };
      }
      out += member + v.out;
      n++;
      i = v.end;
    }
  }

  /** The elements after an opening bracket at i - 1. */
  array(i: number): Converted {
    const { text } = this;
    let out = '[';
    let n = 0;
    for (;;) {
      i = skipWs(text, i);
      if (i >= text.length) return { status: 'partial', out, end: text.length };
      if (text[i] === ']') return { status: 'complete', out: out + ']', end: i + 1 };
      if (n > 0) {
        if (text[i] !== ',') return { status: 'invalid', out, end: i };
        i = skipWs(text, i + 1);
        if (i >= text.length) return { status: 'partial', out, end: text.length };
        if (text[i] === ']') return { status: 'complete', out: out + ']', end: i + 1 };
      }
      const v = this.value(i);
      const sep = n > 0 ? ', ' : '';
      if (v.status !== 'complete') return { status: v.status, out: v.out ? out + sep + v.out : out, end: v.end, ...(v.openString ? { openString: v.openString } : {}) };
      out += sep + v.out;
      n++;
      i = v.end;
    }
  }
}

/** Converts the argument object whose opening brace is at `open`. */
export function convertGemmaArgs(text: string, open: number, opts: GemmaArgsOptions): Converted {
  return new GemmaArgsParser(text, opts).object(open + 1, true);
}
