// Typing raw string values (XML-style tool formats carry every value as text) by the tool's JSON schema.
import type { ToolDefinition } from '../../../engine/types.js';
import { isPlainObject, tryParseJson } from './json.js';

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

const ALL_TYPES: JsonType[] = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];

/** The JSON schema of one tool's parameter, or undefined when the tool or the parameter is unknown. */
export function paramSchema(tools: ToolDefinition[], toolName: string | null, param: string): Record<string, unknown> | undefined {
  if (!toolName) return undefined;
  const tool = tools.find((t) => t.function?.name === toolName);
  const props = tool?.function?.parameters?.['properties'];
  if (!isPlainObject(props)) return undefined;
  const s = props[param];
  return isPlainObject(s) ? s : undefined;
}

/** The JSON types a schema allows (empty when the schema says nothing usable). */
export function schemaTypes(schema: Record<string, unknown> | undefined): JsonType[] {
  if (!schema) return [];
  const out = new Set<JsonType>();
  const t = schema['type'];
  for (const x of Array.isArray(t) ? t : [t]) if (typeof x === 'string' && (ALL_TYPES as string[]).includes(x)) out.add(x as JsonType);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const alts = schema[key];
    if (Array.isArray(alts)) for (const a of alts) if (isPlainObject(a)) for (const x of schemaTypes(a)) out.add(x);
  }
  if (out.size === 0 && Array.isArray(schema['enum'])) {
    for (const v of schema['enum']) out.add(jsonTypeOf(v));
  }
  if (out.size === 0 && isPlainObject(schema['properties'])) out.add('object');
  if (out.size === 0 && schema['items'] !== undefined) out.add('array');
  return [...out];
}

function jsonTypeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'object';
  return 'string';
}

/** True when a value of this schema is a plain string (so its text can be streamed as it arrives). */
export function isStringOnly(schema: Record<string, unknown> | undefined): boolean {
  const types = schemaTypes(schema);
  return types.length === 1 && types[0] === 'string';
}

/**
 * Convert a raw text value to JSON text according to the schema. Strings stay raw; numbers, booleans, null,
 * objects and arrays are decoded when the text is one; anything that does not fit is kept as a string.
 * With no schema, a value that reads as a JSON number/boolean/null/object/array is decoded, else a string.
 */
export function typeValue(raw: string, schema: Record<string, unknown> | undefined): string {
  const types = schemaTypes(schema);
  const trimmed = raw.trim();
  // A typed value reading "null" is JSON null whatever the type (as Qwen's reference parser has it).
  if (types.length && trimmed.toLowerCase() === 'null') return 'null';
  const candidates: JsonType[] = types.length ? types : ['integer', 'number', 'boolean', 'null', 'object', 'array'];
  if (types.length === 1 && types[0] === 'string') return JSON.stringify(raw);
  for (const t of candidates) {
    const v = convert(trimmed, t);
    if (v !== undefined) return v;
  }
  return JSON.stringify(raw);
}

function convert(text: string, t: JsonType): string | undefined {
  switch (t) {
    case 'integer':
      // Leading zeros are dropped (JSON forbids them); "3.0" is still the integer 3.
      if (/^-?\d+(\.0+)?$/.test(text)) return text.replace(/\.0+$/, '').replace(/^(-?)0+(?=\d)/, '$1').replace(/^-0$/, '0');
      return undefined;
    case 'number': {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
      const n = Number(text);
      return Number.isFinite(n) ? JSON.stringify(n) : undefined;
    }
    case 'boolean': {
      const l = text.toLowerCase();
      return l === 'true' || l === 'false' ? l : undefined;
    }
    case 'null':
      return text === 'null' || text === 'None' ? 'null' : undefined;
    case 'object':
    case 'array': {
      if (!text.startsWith(t === 'object' ? '{' : '[')) return undefined;
      const p = tryParseJson(text);
      if (!p.ok) return undefined;
      return (t === 'object' ? isPlainObject(p.value) : Array.isArray(p.value)) ? JSON.stringify(p.value) : undefined;
    }
    case 'string':
      return undefined;
  }
}
