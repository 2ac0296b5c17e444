// MiniMax-M3: XML calls whose every tag is preceded by the namespace token ]<]minimax[>[ (NS below):
//   NS<tool_call>\nNS<invoke name="get_weather">NS<city>Paris NS</city>NS</invoke>\nNS</tool_call>
// A parameter's tag is its name; its value is raw text typed by the tool's schema, or, for objects and arrays,
// nested elements (NS<key>… for members, NS<item>… for array items). Thoughts are <mm:think>…</mm:think>; a
// turn without thoughts starts with a bare </mm:think>, which is dropped.
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { markerPrefixLength } from '../util/holdback.js';
import { isPlainObject } from '../util/json.js';
import { isStringOnly, paramSchema, typeValue } from '../util/schema.js';
import { buildXmlArguments, reportOpenParam, trimValueNewlines, type XmlParam } from '../util/xmlargs.js';
import { resumable } from '../value-checkpoints.js';
import { pushText, textUntilMarker } from './scan-kit.js';

const NS = ']<]minimax[>[';
const INVOKE = `${NS}<invoke name="`;
const INVOKE_END = `${NS}</invoke>`;
const FRAMING = [`${NS}<tool_call>`, `${NS}</tool_call>`, '</mm:think>'];
const MARKERS = [INVOKE, ...FRAMING];

type Schema = Record<string, unknown> | undefined;

/** Index of the NS</tag> closing the element whose content starts at `from` (nested same-name tags skipped). */
function findClose(text: string, tag: string, from: number): number {
  const open = `${NS}<${tag}>`;
  const close = `${NS}</${tag}>`;
  let depth = 0;
  let i = from;
  for (;;) {
    const c = text.indexOf(close, i);
    if (c < 0) return -1;
    const o = text.indexOf(open, i);
    if (o >= 0 && o < c) {
      depth++;
      i = o + open.length;
      continue;
    }
    if (depth === 0) return c;
    depth--;
    i = c + close.length;
  }
}

/** The child elements of a nested value, or null when it is not a clean sequence of elements. */
function children(inner: string): Array<{ tag: string; inner: string }> | null {
  const out: Array<{ tag: string; inner: string }> = [];
  let i = 0;
  for (;;) {
    while (i < inner.length && /\s/.test(inner[i])) i++;
    if (i >= inner.length) return out;
    if (!inner.startsWith(`${NS}<`, i) || inner.startsWith(`${NS}</`, i)) return null;
    const gt = inner.indexOf('>', i + NS.length + 1);
    if (gt < 0) return null;
    const tag = inner.slice(i + NS.length + 1, gt);
    const close = findClose(inner, tag, gt + 1);
    if (close < 0) return null;
    out.push({ tag, inner: inner.slice(gt + 1, close) });
    i = close + NS.length + tag.length + 3;
  }
}

const sub = (schema: Schema, key: 'items' | string, viaProperties: boolean): Schema => {
  const holder = viaProperties ? schema?.['properties'] : schema;
  const s = isPlainObject(holder) ? holder[key] : undefined;
  return isPlainObject(s) ? s : undefined;
};

/** JSON text of a closed value: nested elements become an object or an array, text is typed by the schema. */
function valueJson(raw: string, schema: Schema): string {
  const inner = trimValueNewlines(raw, true);
  if (!isStringOnly(schema) && inner.trimStart().startsWith(`${NS}<`)) {
    const kids = children(inner);
    if (kids && kids.length > 0) {
      if (kids.every((k) => k.tag === 'item')) return `[${kids.map((k) => valueJson(k.inner, sub(schema, 'items', false))).join(', ')}]`;
      return `{${kids.map((k) => `${JSON.stringify(k.tag)}: ${valueJson(k.inner, sub(schema, k.tag, true))}`).join(', ')}}`;
    }
  }
  return typeValue(inner, schema);
}

type Step = { next: number } | { stop: true };

/** One NS<invoke name="…">…NS</invoke> at `at`. */
function scanInvoke(text: string, at: number, ctx: ScanContext, out: Segment[]): Step {
  const nameStart = at + INVOKE.length;
  const close = text.indexOf('">', nameStart);
  if (close < 0) {
    out.push({ kind: 'call', name: null, arguments: '', complete: false, raw: text.slice(at) });
    if (!ctx.final) return { stop: true };
    return { next: text.length };
  }
  const name = text.slice(nameStart, close);
  const params: XmlParam[] = [];
  const emit = (complete: boolean, end: number): void => {
    out.push({ kind: 'call', name, arguments: buildXmlArguments(params, name, ctx.tools, complete), complete, raw: text.slice(at, end) });
  };
  let i = close + 2;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith(INVOKE_END, i)) {
      emit(true, i + INVOKE_END.length);
      return { next: i + INVOKE_END.length };
    }
    const rest = text.slice(i);
    if (i >= text.length || (!ctx.final && (INVOKE_END.startsWith(rest) || `${NS}<`.startsWith(rest)))) {
      emit(false, text.length);
      return { stop: true };
    }
    const gt = text.indexOf('>', i + NS.length + 1);
    if (!text.startsWith(`${NS}<`, i) || text.startsWith(`${NS}</`, i) || gt < 0) {
      if (!ctx.final && gt < 0 && text.startsWith(`${NS}<`, i)) {
        emit(false, text.length);
        return { stop: true };
      }
      // Not a parameter: the call broke here.
      emit(false, i);
      if (!ctx.final) return { stop: true };
      out.push({ kind: 'warning', warning: { code: 'malformed_call', message: `MiniMax-M3 call "${name}": unexpected markup in its body`, raw: text.slice(i) } });
      return { next: text.length };
    }
    const key = text.slice(i + NS.length + 1, gt);
    const schema = paramSchema(ctx.tools, name, key);
    const end = isStringOnly(schema) ? text.indexOf(`${NS}</${key}>`, gt + 1) : findClose(text, key, gt + 1);
    if (end < 0) {
      let v = text.slice(gt + 1);
      if (!ctx.final) v = v.slice(0, v.length - markerPrefixLength(v, [`${NS}</${key}>`]));
      params.push({ key, value: v, closed: false });
      emit(false, text.length);
      reportOpenParam(ctx, name, params[params.length - 1], text.slice(at, gt + 1), gt + 1 + v.length);
      return { stop: true };
    }
    const raw = text.slice(gt + 1, end);
    params.push({ key, value: raw, closed: true, json: valueJson(raw, schema) });
    i = end + NS.length + key.length + 3;
  }
}

export function scanMiniMaxM3(text: string, ctx: ScanContext): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (;;) {
    // Between calls the scan depends on nothing before: a checkpoint (see checkpoints.ts).
    ctx.checkpoint?.(pos, out);
    const hit = textUntilMarker(text, pos, MARKERS, ctx.final, (s) => pushText(out, s), (at) => ctx.checkpoint?.(at, out));
    if (!hit) return out;
    if (hit.marker !== INVOKE) {
      pos = hit.index + hit.marker.length;
      continue;
    }
    const r = scanInvoke(text, hit.index, ctx, out);
    if ('stop' in r) return out;
    pos = r.next;
  }
}

export const minimaxM3Format: ToolCallFormat = {
  name: 'minimax_m3',
  aliases: ['minimax-m3', 'minimax3'],
  family: 'minimax_m3',
  markers: [NS, '<invoke name='],
  defaultReasoning: 'minimax_m3',
  idStyle: 'openai',
  scan: resumable(scanMiniMaxM3),
};
