// The JSON call envelope most formats share: {"name": "f", "arguments": {...}} (or "parameters"), optionally
// nested as {"type": "function", "function": {"name": ..., "arguments": ...}}. Scanned incrementally: the name
// is known once its string closes; the arguments stream as a healable prefix of the raw JSON text.
import { decodeStringPrefix, isPlainObject, scanObjectMembers, tryParseJson } from './json.js';

export interface Envelope {
  /** The text at start is not an object (or not JSON at all). */
  invalid: boolean;
  name: string | null;
  /** Raw JSON text of the arguments so far (a healable prefix); '{}' when the closed envelope had none. */
  arguments: string;
  /** The envelope object closed. */
  complete: boolean;
  /** Index after the closing brace (complete), else text.length or the error position. */
  end: number;
  /** Top-level keys seen so far. */
  keys: string[];
  /** Cut inside a string value of the (object or array) arguments: its opening quote and where `arguments` ends. */
  openString?: { quote: number; end: number };
}

/**
 * Which keys carry the name and the arguments. `nameAsKey`: the object's only key is the tool's name and its
 * value the arguments ({"get_weather": {"city": "Paris"}}, as Apertus writes calls).
 */
export interface EnvelopeShape {
  nameKeys: ReadonlySet<string>;
  argKeys: ReadonlySet<string>;
  nameAsKey?: boolean;
}

export const DEFAULT_SHAPE: EnvelopeShape = { nameKeys: new Set(['name']), argKeys: new Set(['arguments', 'parameters']) };

export function scanEnvelope(text: string, start: number, final = false, shape: EnvelopeShape = DEFAULT_SHAPE): Envelope {
  const o = scanObjectMembers(text, start, final);
  const env: Envelope = { invalid: o.invalid, name: null, arguments: '', complete: o.complete, end: o.end, keys: o.members.map((m) => m.key) };
  if (shape.nameAsKey) {
    const m = o.members[0];
    if (m) {
      env.name = m.key;
      env.arguments = argumentsText(text, m.valueStart, m.value.complete ? m.value.end : m.value.safeEnd, m.value.complete);
      if (m.value.openString !== undefined && text[m.valueStart] !== '"') env.openString = { quote: m.value.openString, end: m.value.safeEnd };
    }
    if (o.complete && env.arguments === '') env.arguments = '{}';
    return env;
  }
  const { nameKeys: NAME_KEYS, argKeys: ARG_KEYS } = shape;
  const fn = o.members.find((m) => m.key === 'function' && text[m.valueStart] === '{');
  if (fn && !o.members.some((m) => NAME_KEYS.has(m.key))) {
    // OpenAI-style nesting: the call lives in "function".
    const inner = scanEnvelope(text, fn.valueStart, final, shape);
    return { ...inner, invalid: o.invalid || inner.invalid, complete: o.complete && inner.complete, end: o.end, keys: env.keys };
  }
  for (const m of o.members) {
    if (NAME_KEYS.has(m.key) && env.name === null && text[m.valueStart] === '"' && m.value.complete) {
      const d = decodeStringPrefix(text, m.valueStart);
      if (d.complete && !d.invalid) env.name = d.value;
    }
    if (ARG_KEYS.has(m.key) && env.arguments === '') {
      env.arguments = argumentsText(text, m.valueStart, m.value.complete ? m.value.end : m.value.safeEnd, m.value.complete);
      if (m === o.members[o.members.length - 1] && m.value.openString !== undefined && text[m.valueStart] !== '"') env.openString = { quote: m.value.openString, end: m.value.safeEnd };
    }
  }
  if (env.name === null) delete env.openString;
  if (o.complete && env.arguments === '') env.arguments = '{}';
  return env;
}

function argumentsText(text: string, start: number, end: number, complete: boolean): string {
  const raw = text.slice(start, end);
  if (raw.startsWith('"')) {
    // Arguments encoded as a JSON string: wait for the whole string, then use its content when it is JSON.
    if (!complete) return '';
    const d = tryParseJson(raw);
    if (d.ok && typeof d.value === 'string') {
      const inner = tryParseJson(d.value);
      if (inner.ok && isPlainObject(inner.value)) return d.value.trim();
    }
    return raw;
  }
  if (raw.startsWith('null') && complete) return '{}';
  return complete ? raw.trimEnd() : raw;
}
