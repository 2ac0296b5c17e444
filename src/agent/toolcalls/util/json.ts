// Partial-JSON scanning: find where a JSON value ends inside model output, tolerate it being cut off,
// and know how much of an unfinished value may safely be streamed (a prefix some suffix can close).

export interface JsonScan {
  /** Index just after the value when complete; the error position when invalid; text.length otherwise. */
  end: number;
  /** The value is finished (for a bare number: followed by a character that cannot continue it). */
  complete: boolean;
  /** A character that cannot be JSON was met (the value is not JSON). */
  invalid: boolean;
  /** Longest prefix end (absolute index) after which the value can still be closed by `heal`. */
  safeEnd: number;
  /** Suffix that closes text.slice(start, safeEnd) into valid JSON ('' when complete). */
  heal: string;
  /**
   * Unfinished, not invalid, and cut inside a string value of a container: the index of its opening quote
   * (safeEnd then lies inside that string; a scanner may checkpoint there, see value-checkpoints.ts).
   */
  openString?: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);
const LITERALS = ['true', 'false', 'null'];

type Frame = 'o' | 'a';
// What a container expects next.
type Expect = 'key?' | 'key' | 'colon' | 'value' | 'value?' | 'comma';

/**
 * Scan one JSON value starting at `start` (leading whitespace allowed). At end of text with `final` false a
 * bare top-level number counts as unfinished; with `final` true it is complete.
 */
export function scanJson(text: string, start = 0, final = false): JsonScan {
  let i = start;
  while (i < text.length && WS.has(text[i])) i++;
  const valueStart = i;
  const frames: Frame[] = [];
  const expects: Expect[] = [];
  // Closing brackets for the open containers, innermost first.
  let closers = '';
  let safeEnd = start;
  let heal = '';
  let topDone = false;
  const fail = (at: number): JsonScan => ({ end: at, complete: false, invalid: true, safeEnd, heal });
  const afterValue = (): void => {
    if (frames.length === 0) topDone = true;
    else expects[expects.length - 1] = 'comma';
  };
  /** The bracket at `i` closes the innermost container; everything up to it is now safe. */
  const closeContainer = (): void => {
    frames.pop();
    expects.pop();
    closers = closers.slice(1);
    i++;
    afterValue();
    safeEnd = i;
    heal = closers;
  };
  while (i < text.length) {
    const c = text[i];
    if (topDone) break;
    const exp: Expect | 'top' = expects.length ? expects[expects.length - 1] : 'top';
    if (WS.has(c)) {
      i++;
      if (exp === 'comma' || exp === 'key?' || exp === 'value?') {
        safeEnd = i;
        heal = closers;
      }
      continue;
    }
    if (exp === 'colon') {
      if (c !== ':') return fail(i);
      expects[expects.length - 1] = 'value';
      i++;
      continue;
    }
    if (exp === 'comma') {
      if (c === ',') {
        expects[expects.length - 1] = frames[frames.length - 1] === 'o' ? 'key' : 'value';
        i++;
        continue;
      }
      const want = frames[frames.length - 1] === 'o' ? '}' : ']';
      if (c !== want) return fail(i);
      closeContainer();
      continue;
    }
    if (exp === 'key?' || exp === 'key') {
      if (c === '}' && exp === 'key?') {
        closeContainer();
        continue;
      }
      if (c !== '"') return fail(i);
      const s = scanString(text, i);
      if (s.invalid) return fail(s.end);
      if (!s.complete) return { end: text.length, complete: false, invalid: false, safeEnd, heal };
      i = s.end;
      expects[expects.length - 1] = 'colon';
      continue;
    }
    // A value is expected (top level, after ':' or in an array).
    if (c === ']' && exp === 'value?') {
      closeContainer();
      continue;
    }
    if (c === '{' || c === '[') {
      frames.push(c === '{' ? 'o' : 'a');
      expects.push(c === '{' ? 'key?' : 'value?');
      closers = (c === '{' ? '}' : ']') + closers;
      i++;
      safeEnd = i;
      heal = closers;
      continue;
    }
    if (c === '"') {
      const s = scanString(text, i);
      if (s.invalid) {
        // What streamed of the string before the bad character stays a safe prefix.
        if (s.safeEnd > i) {
          safeEnd = s.safeEnd;
          heal = '"' + closers;
        }
        return fail(s.end);
      }
      if (!s.complete) {
        const cut = s.safeEnd;
        if (cut > i) {
          safeEnd = cut;
          heal = '"' + closers;
        }
        const open: JsonScan = { end: text.length, complete: false, invalid: false, safeEnd, heal };
        if (frames.length > 0) open.openString = i;
        return open;
      }
      i = s.end;
      afterValue();
      safeEnd = i;
      heal = closers;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const n = scanNumber(text, i);
      if (n.invalid || (!n.valid && n.end < text.length)) {
        // The valid number prefix streamed before the break stays a safe prefix.
        if (n.lastDigitEnd > i) {
          safeEnd = n.lastDigitEnd;
          heal = closers;
        }
        return fail(n.end);
      }
      if (n.end >= text.length && (!final || !n.valid)) {
        // Unfinished (or, at the very end, cut inside like "2."): the valid number prefix is what streams.
        if (n.lastDigitEnd > i) {
          safeEnd = n.lastDigitEnd;
          heal = closers;
        }
        return { end: text.length, complete: false, invalid: false, safeEnd, heal };
      }
      i = n.end;
      afterValue();
      safeEnd = i;
      heal = closers;
      continue;
    }
    const lit = LITERALS.find((l) => l[0] === c);
    if (!lit) return fail(i);
    const avail = text.slice(i, i + lit.length);
    if (avail.length < lit.length) {
      if (lit.startsWith(avail)) return { end: text.length, complete: false, invalid: false, safeEnd, heal };
      return fail(i);
    }
    if (avail !== lit) return fail(i);
    i += lit.length;
    afterValue();
    safeEnd = i;
    heal = closers;
  }
  if (topDone) return { end: i, complete: true, invalid: false, safeEnd: i, heal: '' };
  if (valueStart >= text.length) return { end: text.length, complete: false, invalid: false, safeEnd: start, heal: '' };
  return { end: text.length, complete: false, invalid: false, safeEnd, heal };
}

interface StringScan {
  end: number;
  complete: boolean;
  invalid: boolean;
  /** Index up to which the unfinished string content can be cut without splitting an escape or a surrogate pair. */
  safeEnd: number;
}

const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Scan a JSON string starting at the opening quote at `start`. */
export function scanString(text: string, start: number): StringScan {
  let i = start + 1;
  let safe = i;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return { end: i + 1, complete: true, invalid: false, safeEnd: i + 1 };
    if (c === '\\') {
      if (i + 1 >= text.length) break;
      const e = text[i + 1];
      if (ESCAPES.has(e)) {
        i += 2;
        safe = i;
        continue;
      }
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]*$/.test(hex)) return { end: i, complete: false, invalid: true, safeEnd: safe };
        if (hex.length < 4) break;
        i += 6;
        // A high surrogate escape waits for its low half.
        const code = parseInt(hex, 16);
        if (code < 0xd800 || code > 0xdbff) safe = i;
        continue;
      }
      return { end: i, complete: false, invalid: true, safeEnd: safe };
    }
    if (c < ' ') return { end: i, complete: false, invalid: true, safeEnd: safe };
    i++;
    const code = c.charCodeAt(0);
    if (code < 0xd800 || code > 0xdbff) safe = i;
  }
  return { end: text.length, complete: false, invalid: false, safeEnd: safe };
}

interface NumberScan {
  end: number;
  valid: boolean;
  invalid: boolean;
  lastDigitEnd: number;
}

function scanNumber(text: string, start: number): NumberScan {
  const m = /^-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?/.exec(text.slice(start, start + 400));
  const raw = m ? m[0] : '';
  const end = start + raw.length;
  const valid = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(raw);
  // The longest prefix of raw that is itself a valid number (safe to stream, later digits only extend it).
  let lastDigitEnd = start;
  for (let k = raw.length; k > 0; k--) {
    if (/^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(raw.slice(0, k))) {
      lastDigitEnd = start + k;
      break;
    }
  }
  const next = text[end];
  const invalid = raw === '' || (next !== undefined && /[0-9A-Za-z_.+-]/.test(next));
  return { end, valid, invalid, lastDigitEnd };
}

/** JSON.parse that reports failure instead of throwing. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface JsonMember {
  key: string;
  valueStart: number;
  /** Present with the value's scan (complete or not). */
  value: JsonScan;
}

export interface ObjectScan {
  members: JsonMember[];
  /** Index after the closing brace when complete. */
  end: number;
  complete: boolean;
  invalid: boolean;
}

/** Scan a JSON object at `start` (must be '{' after optional whitespace), reporting its top-level members. */
export function scanObjectMembers(text: string, start: number, final = false): ObjectScan {
  let i = start;
  while (i < text.length && WS.has(text[i])) i++;
  const members: JsonMember[] = [];
  const partial = (): ObjectScan => ({ members, end: text.length, complete: false, invalid: false });
  const bad = (at: number): ObjectScan => ({ members, end: at, complete: false, invalid: true });
  if (i >= text.length) return partial();
  if (text[i] !== '{') return bad(i);
  i++;
  let first = true;
  for (;;) {
    while (i < text.length && WS.has(text[i])) i++;
    if (i >= text.length) return partial();
    if (text[i] === '}' && first) return { members, end: i + 1, complete: true, invalid: false };
    if (text[i] !== '"') return bad(i);
    const k = scanString(text, i);
    if (k.invalid) return bad(k.end);
    if (!k.complete) return partial();
    const parsedKey = tryParseJson(text.slice(i, k.end));
    const key = parsedKey.ok ? String(parsedKey.value) : '';
    i = k.end;
    while (i < text.length && WS.has(text[i])) i++;
    if (i >= text.length) return partial();
    if (text[i] !== ':') return bad(i);
    i++;
    while (i < text.length && WS.has(text[i])) i++;
    if (i >= text.length) return partial();
    const v = scanJson(text, i, final);
    members.push({ key, valueStart: i, value: v });
    if (v.invalid) return bad(v.end);
    if (!v.complete) return partial();
    i = v.end;
    while (i < text.length && WS.has(text[i])) i++;
    if (i >= text.length) return partial();
    if (text[i] === ',') {
      i++;
      first = false;
      continue;
    }
    if (text[i] === '}') return { members, end: i + 1, complete: true, invalid: false };
    return bad(i);
  }
}

/** Decode the longest safely decodable prefix of a JSON string literal starting at its opening quote. */
export function decodeStringPrefix(text: string, start: number): { value: string; complete: boolean; invalid: boolean; end: number } {
  const s = scanString(text, start);
  if (s.invalid) return { value: '', complete: false, invalid: true, end: s.end };
  if (s.complete) {
    const p = tryParseJson(text.slice(start, s.end));
    return { value: p.ok ? String(p.value) : '', complete: true, invalid: !p.ok, end: s.end };
  }
  const p = tryParseJson(text.slice(start, s.safeEnd) + '"');
  return { value: p.ok ? String(p.value) : '', complete: false, invalid: false, end: text.length };
}
