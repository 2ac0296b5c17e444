// Python literals as pythonic tool calls write them: strings (both quotes, escapes), numbers, True/False/None,
// lists, tuples, dicts, nested. Parsed into JSON values; running out of text is told apart from bad syntax.

export class PyEnd extends Error {}
export class PySyntax extends Error {
  /** For a string cut by a raw line break or a bad escape: the value decoded before it (already streamed by scanners). */
  constructor(message: string, readonly stringPrefix?: string) {
    super(message);
  }
}

export type PyValue = null | boolean | number | string | PyValue[] | { [k: string]: PyValue };

const SIMPLE_ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', b: '\b', f: '\f', '\n': '' };

export function skipPyWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  return i;
}

/**
 * Decode a string literal at i (opening quote). Unfinished: the value decoded so far, and `safeEnd`, where the
 * text stands for value.slice(0, safeLength), the longest part that ends neither in a cut escape nor in a high
 * surrogate (later text only appends to it).
 */
export function parsePyString(text: string, i: number): { value: string; end: number; complete: boolean; safeEnd: number; safeLength: number } {
  const q = text[i];
  let out = '';
  let j = i + 1;
  let safeEnd = j;
  let safeLength = 0;
  while (j < text.length) {
    const last = out.charCodeAt(out.length - 1);
    if (!(last >= 0xd800 && last <= 0xdbff)) {
      safeEnd = j;
      safeLength = out.length;
    }
    const c = text[j];
    if (c === q) return { value: out, end: j + 1, complete: true, safeEnd: j + 1, safeLength: out.length };
    if (c === '\\') {
      if (j + 1 >= text.length) break;
      const e = text[j + 1];
      if (e in SIMPLE_ESC) {
        out += SIMPLE_ESC[e];
        j += 2;
        continue;
      }
      const len = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (len) {
        const hex = text.slice(j + 2, j + 2 + len);
        // Like a raw line break, a bad escape breaks the string where it stands: what was decoded before it has
        // already streamed as the call's arguments, and the malformed call keeps it.
        if (!/^[0-9a-fA-F]*$/.test(hex)) throw new PySyntax('bad escape', out);
        if (hex.length < len) break;
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) throw new PySyntax('bad escape', out);
        out += String.fromCodePoint(cp);
        j += 2 + len;
        continue;
      }
      out += '\\' + e;
      j += 2;
      continue;
    }
    if (c === '\n' || c === '\r') throw new PySyntax('newline in string', out); // Python ends a line at CR too
    out += c;
    j++;
  }
  const last = out.charCodeAt(out.length - 1);
  if (j >= text.length && !(last >= 0xd800 && last <= 0xdbff)) {
    safeEnd = text.length;
    safeLength = out.length;
  }
  return { value: out, end: text.length, complete: false, safeEnd, safeLength };
}

export function parsePyValue(text: string, i: number): { value: PyValue; end: number } {
  i = skipPyWs(text, i);
  if (i >= text.length) throw new PyEnd();
  const c = text[i];
  if (c === '"' || c === "'") {
    const s = parsePyString(text, i);
    if (!s.complete) throw new PyEnd();
    return { value: s.value, end: s.end };
  }
  if (c === '[' || c === '(') {
    const close = c === '[' ? ']' : ')';
    const arr: PyValue[] = [];
    let j = skipPyWs(text, i + 1);
    for (;;) {
      if (j >= text.length) throw new PyEnd();
      if (text[j] === close) return { value: arr, end: j + 1 };
      const v = parsePyValue(text, j);
      arr.push(v.value);
      j = skipPyWs(text, v.end);
      if (j >= text.length) throw new PyEnd();
      if (text[j] === ',') j = skipPyWs(text, j + 1);
      else if (text[j] !== close) throw new PySyntax('expected , or ' + close);
    }
  }
  if (c === '{') {
    const obj: { [k: string]: PyValue } = {};
    let j = skipPyWs(text, i + 1);
    for (;;) {
      if (j >= text.length) throw new PyEnd();
      if (text[j] === '}') return { value: obj, end: j + 1 };
      const k = parsePyValue(text, j);
      j = skipPyWs(text, k.end);
      if (j >= text.length) throw new PyEnd();
      if (text[j] !== ':') throw new PySyntax('expected :');
      const v = parsePyValue(text, j + 1);
      obj[typeof k.value === 'string' ? k.value : JSON.stringify(k.value)] = v.value;
      j = skipPyWs(text, v.end);
      if (j >= text.length) throw new PyEnd();
      if (text[j] === ',') j = skipPyWs(text, j + 1);
      else if (text[j] !== '}') throw new PySyntax('expected , or }');
    }
  }
  const m = /^(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|True|False|None|true|false|null)/.exec(text.slice(i, i + 100));
  if (!m) {
    if (/^(-|T(r(ue?)?)?|F(a(l(se?)?)?)?|N(o(ne?)?)?|t(r(ue?)?)?|f(a(l(se?)?)?)?|n(u(ll?)?)?)$/.test(text.slice(i)) ) throw new PyEnd();
    throw new PySyntax('unexpected character');
  }
  const end = i + m[0].length;
  // A number or word that reaches the end of the text may still grow.
  if (end >= text.length) throw new PyEnd();
  if (/[\w.]/.test(text[end])) throw new PySyntax('bad literal');
  const w = m[0];
  const value = w === 'True' || w === 'true' ? true : w === 'False' || w === 'false' ? false : w === 'None' || w === 'null' ? null : Number(w);
  return { value, end };
}
