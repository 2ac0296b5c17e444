// Building a JSON arguments string incrementally from XML-style parameters (<parameter=k>v</parameter>,
// <arg_key>k</arg_key><arg_value>v</arg_value>, <parameter name="k">v</parameter>): every intermediate string
// is a healable JSON prefix and extends the previous one, so arguments stream as they arrive.
import type { ToolDefinition } from '../../../engine/types.js';
import { cutLoneSurrogate } from './holdback.js';
import { isStringOnly, paramSchema, typeValue } from './schema.js';
import type { ScanContext } from '../types.js';
import { VALUE_LEAD } from '../value-checkpoints.js';

export interface XmlParam {
  key: string;
  /** The raw value text seen so far (without the closing tag or any held-back marker prefix). */
  value: string;
  /** The closing tag was seen. */
  closed: boolean;
  /** The value's schema when the tool's own says nothing (a type the markup declares, e.g. type="number"). */
  fallbackSchema?: Record<string, unknown>;
  /** The value as finished JSON text (a structure the format nests in markup); used as is once closed. */
  json?: string;
}

/** Strip the single newline the templates put after the opening and before the closing tag. */
export function trimValueNewlines(raw: string, closed: boolean): string {
  let v = raw.startsWith('\r\n') ? raw.slice(2) : raw.startsWith('\n') ? raw.slice(1) : raw;
  // An unclosed value keeps its last newline back: it may turn out to be the one before the closing tag.
  if (v.endsWith('\r\n')) v = v.slice(0, -2);
  else if (v.endsWith('\n')) v = v.slice(0, -1);
  else if (!closed && v.endsWith('\r')) v = v.slice(0, -1);
  return v;
}

/**
 * The JSON arguments text for the parameters seen so far. An unclosed last parameter is streamed only when its
 * schema says it is a string; typed values wait for their closing tag. `callClosed` adds the final brace.
 */
export function buildXmlArguments(params: XmlParam[], toolName: string | null, tools: ToolDefinition[], callClosed: boolean): string {
  let out = '{';
  let first = true;
  for (const p of params) {
    const schema = paramSchema(tools, toolName, p.key) ?? p.fallbackSchema;
    const value = trimValueNewlines(p.value, p.closed);
    const sep = first ? '' : ', ';
    if (p.closed && p.json !== undefined) {
      out += `${sep}${JSON.stringify(p.key)}: ${p.json}`;
    } else if (p.closed) {
      out += `${sep}${JSON.stringify(p.key)}: ${typeValue(value, schema)}`;
    } else if (isStringOnly(schema) && !callClosed) {
      // A string value may still turn out to be the text "null" (JSON null): hold it back until it cannot.
      if ('null'.startsWith(value.trim().toLowerCase())) return out;
      out += `${sep}${JSON.stringify(p.key)}: ${JSON.stringify(cutLoneSurrogate(value)).slice(0, -1)}`;
      return out;
    } else if (callClosed) {
      // The call closed around an unclosed parameter: keep what was written.
      out += `${sep}${JSON.stringify(p.key)}: ${typeValue(value, schema)}`;
    } else {
      return out;
    }
    first = false;
  }
  return callClosed ? out + '}' : out;
}

/**
 * An unclosed string value whose text so far is final in the arguments: not a newline that may be the one
 * before the closing tag, not a lone high surrogate, not a possible "null", and past the newline after the
 * opening tag. A checkpoint may fall at its end (value-checkpoints.ts).
 */
export function valueSettles(p: XmlParam, schema: Record<string, unknown> | undefined): boolean {
  if (p.closed || p.json !== undefined || !isStringOnly(schema ?? p.fallbackSchema)) return false;
  const last = p.value.charCodeAt(p.value.length - 1);
  if (p.value.endsWith('\n') || p.value.endsWith('\r') || (last >= 0xd800 && last <= 0xdbff)) return false;
  const v = trimValueNewlines(p.value, false);
  return v !== '' && !'null'.startsWith(v.trim().toLowerCase());
}

/**
 * Reports a checkpoint inside the unclosed last parameter `p` of a call to `tool` whose value text ends at `at`:
 * `markup` opens the call up to that value (value-checkpoints.ts).
 */
export function reportOpenParam(ctx: ScanContext, tool: string, p: XmlParam | undefined, markup: string, at: number, tools: ToolDefinition[] = ctx.tools): void {
  if (!ctx.openValue || !p || !valueSettles(p, paramSchema(tools, tool, p.key))) return;
  ctx.openValue(markup + VALUE_LEAD, at);
}
