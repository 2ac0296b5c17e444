// Invoke blocks: one block holding one or more invokes, parameters as raw text typed by the schema.
//   MiniMax-M2:          <minimax:tool_call><invoke name="NAME"><parameter name="k">v</parameter></invoke></minimax:tool_call>
//   DeepSeek V3.2 / V4:  <｜DSML｜function_calls><｜DSML｜invoke name="NAME"><｜DSML｜parameter name="k" string="true">v
//                        </｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>   (V4: <｜DSML｜tool_calls>)
// DSML says per parameter whether the value is a string (string="true": raw text) or JSON (string="false").

import type { ToolDefinition } from '../../../engine/types.js';
import type { ScanContext, Segment, ToolCallFormat } from '../types.js';
import { markerPrefixLength } from '../util/holdback.js';
import { buildXmlArguments, reportOpenParam, type XmlParam } from '../util/xmlargs.js';
import { resumable } from '../value-checkpoints.js';
import { SegmentBuilder, couldBeMarker, skipWs, textUntilMarker, type Step } from './scan-kit.js';

interface InvokeDialect {
  label: string;
  blockOpen: string[];
  blockClose: string[];
  /** Opening tag names without the attributes, e.g. "<invoke". */
  invoke: string;
  invokeClose: string;
  param: string;
  paramClose: string;
  invokeRe: RegExp;
  paramRe: RegExp;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// An opening tag with a name attribute (quotes optional) and maybe more attributes, e.g. <invoke name="f">.
const tagRe = (tag: string): RegExp => new RegExp(`^${escapeRe(tag)}\\s+name\\s*=\\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\\s"'<>]+))([^<>]*)>`);

function dialect(label: string, blockOpen: string[], blockClose: string[], prefix: string): InvokeDialect {
  const invoke = `<${prefix}invoke`;
  const param = `<${prefix}parameter`;
  return {
    label,
    blockOpen,
    blockClose,
    invoke,
    invokeClose: `</${prefix}invoke>`,
    param,
    paramClose: `</${prefix}parameter>`,
    invokeRe: tagRe(invoke),
    paramRe: tagRe(param),
  };
}

const MINIMAX = dialect('MiniMax', ['<minimax:tool_call>'], ['</minimax:tool_call>'], '');
const DSML = dialect('DeepSeek DSML', ['<｜DSML｜function_calls>', '<｜DSML｜tool_calls>'], ['</｜DSML｜function_calls>', '</｜DSML｜tool_calls>'], '｜DSML｜');

/** Parameter kinds a DSML call declares (string="true"/"false"), as a schema overriding the tool's own. */
function declaredTools(tools: ToolDefinition[], name: string, declared: Map<string, boolean | null>): ToolDefinition[] {
  if (![...declared.values()].some((v) => v !== null)) return tools;
  const own = tools.find((t) => t.function?.name === name)?.function.parameters?.['properties'];
  const props: Record<string, unknown> = { ...(own && typeof own === 'object' ? (own as Record<string, unknown>) : {}) };
  for (const [key, isString] of declared) if (isString !== null) props[key] = isString ? { type: 'string' } : {};
  return [{ type: 'function', function: { name, parameters: { type: 'object', properties: props } } }];
}

/** Matches an opening tag at `at`: the name and end, 'partial' while it may still complete, or null. */
function openTag(text: string, at: number, re: RegExp, tag: string): { name: string; end: number; attrs: string } | 'partial' | null {
  const m = re.exec(text.slice(at, at + 400));
  if (m) return { name: (m[1] ?? m[2] ?? m[3] ?? '').trim(), end: at + m[0].length, attrs: m[4] ?? '' };
  const rest = text.slice(at);
  if (tag.startsWith(rest) || (rest.startsWith(tag) && !rest.includes('>') && rest.length < 400)) return 'partial';
  return null;
}

/** `head`: the block's opening marker (a scan meets an invoke only inside a block). */
function scanInvoke(d: InvokeDialect, text: string, start: number, name: string, bodyStart: number, ctx: ScanContext, b: SegmentBuilder, head: string): Step {
  const params: XmlParam[] = [];
  const declared = new Map<string, boolean | null>();
  const emit = (closed: boolean, end: number): void => {
    b.call(name, buildXmlArguments(params, name, declaredTools(ctx.tools, name, declared), closed), closed, text.slice(start, end));
  };
  const INVOKE_CLOSE = d.invokeClose;
  const PARAM_CLOSE = d.paramClose;
  let pos = bodyStart;
  for (;;) {
    const r = skipWs(text, pos);
    if (text.startsWith(INVOKE_CLOSE, r)) {
      emit(true, r + INVOKE_CLOSE.length);
      return { next: r + INVOKE_CLOSE.length };
    }
    const p = openTag(text, r, d.paramRe, d.param);
    if (p && p !== 'partial') {
      const str = /\bstring\s*=\s*["']?(true|false)/.exec(p.attrs);
      // The first occurrence of a name decides (declared or not): a later one must not retype a streamed value.
      if (!declared.has(p.name)) declared.set(p.name, str ? str[1] === 'true' : null);
      const close = text.indexOf(PARAM_CLOSE, p.end);
      if (close < 0) {
        const hold = ctx.final ? 0 : Math.min(text.length - p.end, markerPrefixLength(text, [PARAM_CLOSE]));
        params.push({ key: p.name, value: text.slice(p.end, text.length - hold), closed: false });
        emit(false, text.length);
        const typed = declaredTools(ctx.tools, name, declared);
        reportOpenParam(ctx, name, params[params.length - 1], head + text.slice(start, p.end), text.length - hold, typed);
        return { stop: true };
      }
      params.push({ key: p.name, value: text.slice(p.end, close), closed: true });
      pos = close + PARAM_CLOSE.length;
      continue;
    }
    if (r >= text.length || (!ctx.final && (p === 'partial' || couldBeMarker(text, r, [INVOKE_CLOSE, ...d.blockClose])))) break;
    // Unexpected text (or the block closing without its invoke closing): close the call with what it has.
    const hit = [INVOKE_CLOSE, ...d.blockClose].map((m) => ({ m, i: text.indexOf(m, r) })).filter((h) => h.i >= 0).sort((a, c) => a.i - c.i)[0];
    if (!hit) break; // cut off (or still arriving): the call stays open
    const stop = hit.i;
    const next = hit.m === INVOKE_CLOSE ? stop + INVOKE_CLOSE.length : stop;
    emit(true, next);
    if (stop > r) b.warn('malformed_call', `${d.label} tool call "${name}": unexpected text among its parameters`, text.slice(r, stop));
    return { next };
  }
  emit(false, text.length);
  return { stop: true };
}

function scanInvokeBlocks(d: InvokeDialect, text: string, ctx: ScanContext): Segment[] {
  const INVOKE_CLOSE = d.invokeClose;
  const b = new SegmentBuilder();
  let pos = 0;
  let inBlock = false;
  let head = d.blockOpen[0];
  while (pos <= text.length) {
    if (!inBlock) {
      const hit = textUntilMarker(text, pos, d.blockOpen, ctx.final, (s) => b.text(s), (at) => ctx.checkpoint?.(at, b.segments));
      if (!hit) break;
      pos = hit.index + hit.marker.length;
      head = hit.marker;
      inBlock = true;
      continue;
    }
    const r = skipWs(text, pos);
    const close = d.blockClose.find((m) => text.startsWith(m, r));
    if (close) {
      pos = r + close.length;
      inBlock = false;
      continue;
    }
    const inv = openTag(text, r, d.invokeRe, d.invoke);
    if (inv && inv !== 'partial') {
      if (!inv.name) {
        const end = text.indexOf(INVOKE_CLOSE, inv.end);
        if (end < 0 && !ctx.final) break;
        const stop = end < 0 ? text.length : end + INVOKE_CLOSE.length;
        b.warn('malformed_call', `${d.label} invoke without a tool name`, text.slice(r, stop));
        pos = stop;
        continue;
      }
      const step = scanInvoke(d, text, r, inv.name, inv.end, ctx, b, head);
      if ('stop' in step) break;
      pos = step.next;
      continue;
    }
    if (r >= text.length) break;
    if (!ctx.final && (inv === 'partial' || couldBeMarker(text, r, d.blockClose))) break;
    // Stray text inside the block: reported up to the next invoke or the block's end.
    const next = [...d.blockClose, d.invoke].map((m) => text.indexOf(m, r + 1)).filter((i) => i >= 0).sort((a, c) => a - c)[0];
    if (next === undefined && !ctx.final) break;
    const stop = next ?? text.length;
    b.warn('malformed_call', `${d.label} tool-call block holds text that is not an invoke`, text.slice(r, stop));
    pos = stop;
  }
  return b.segments;
}

export const scanMiniMax = resumable((text, ctx) => scanInvokeBlocks(MINIMAX, text, ctx));

export const scanDeepSeekDsml = resumable((text, ctx) => scanInvokeBlocks(DSML, text, ctx));

export const minimaxM2Format: ToolCallFormat = {
  name: 'minimax_m2',
  aliases: ['minimax', 'minimax_m2.1', 'minimax_m2.5'],
  family: 'minimax',
  markers: ['<minimax:tool_call>'],
  defaultReasoning: 'think',
  scan: scanMiniMax,
};
