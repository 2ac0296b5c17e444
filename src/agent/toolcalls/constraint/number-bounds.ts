// Numeric bounds the grammar engine enforces exactly. XGrammar writes integer ranges correctly but not fractional
// ones (for a maximum of 10 it still allows "10.35"; for a minimum of 0.5 it allows "0x5"), so a bounded number is
// narrowed before it is compiled: to the whole numbers in its range, or, when the range holds none, to the few
// decimals of the coarsest step that lands in it. Every value the narrowed schema allows is valid for the original.
import type { JsonSchema } from './fit-schema.js';

/** The most decimal values a range without whole numbers is narrowed to. */
const MAX_DECIMALS = 100;
/** The finest decimal step tried (10^-6) for a range without whole numbers. */
const MAX_SCALE = 6;

type Bounds = { lo: number; loExclusive: boolean; hi: number; hiExclusive: boolean };

function boundsOf(s: Record<string, unknown>): Bounds | null {
  const num = (k: string) => (typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : null);
  const min = num('minimum');
  const exMin = num('exclusiveMinimum');
  const max = num('maximum');
  const exMax = num('exclusiveMaximum');
  if (min === null && exMin === null && max === null && exMax === null) return null;
  // Of an inclusive and an exclusive bound on the same side, the tighter one counts.
  const loExclusive = exMin !== null && (min === null || exMin >= min);
  const hiExclusive = exMax !== null && (max === null || exMax <= max);
  return {
    lo: loExclusive ? exMin! : (min ?? -Infinity),
    loExclusive,
    hi: hiExclusive ? exMax! : (max ?? Infinity),
    hiExclusive,
  };
}

/** The whole-number range inside the bounds (either end may be infinite). */
function wholeRange(b: Bounds): { lo: number; hi: number } {
  const lo = b.loExclusive ? Math.floor(b.lo) + 1 : Math.ceil(b.lo);
  const hi = b.hiExclusive ? Math.ceil(b.hi) - 1 : Math.floor(b.hi);
  return { lo, hi };
}

/** Values of the coarsest decimal step (0.1, 0.01, ...) inside a finite range that holds no whole number. */
function decimalsIn(b: Bounds): number[] {
  for (let scale = 1; scale <= MAX_SCALE; scale++) {
    const f = 10 ** scale;
    const { lo, hi } = wholeRange({ ...b, lo: b.lo * f, hi: b.hi * f });
    if (lo > hi) continue;
    const out: number[] = [];
    for (let n = lo; n <= hi && out.length < MAX_DECIMALS; n++) {
      const v = Number((n / f).toFixed(scale));
      if ((b.loExclusive ? v > b.lo : v >= b.lo) && (b.hiExclusive ? v < b.hi : v <= b.hi)) out.push(v);
    }
    if (out.length) return out;
  }
  return [];
}

const BOUND_KEYS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];

/** One schema object's numeric part rewritten, or null when it has no bounded number. */
function narrow(s: Record<string, unknown>): Record<string, unknown> | null {
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  const isNumber = types.includes('number');
  const isInteger = types.includes('integer');
  const b = boundsOf(s);
  if (!b || (!isNumber && !isInteger)) return null;
  const rest = Object.fromEntries(Object.entries(s).filter(([k]) => !BOUND_KEYS.includes(k)));
  const whole = wholeRange(b);
  const intBounds = {
    ...(Number.isFinite(whole.lo) ? { minimum: whole.lo } : {}),
    ...(Number.isFinite(whole.hi) ? { maximum: whole.hi } : {}),
  };
  const others = types.filter((t) => t !== 'number' && t !== 'integer');
  const asInteger = (extra: Record<string, unknown>) =>
    others.length === 0 ? { ...rest, type: 'integer', ...extra } : { anyOf: [{ ...rest, type: others }, { type: 'integer', ...extra }] };
  if (whole.lo <= whole.hi) return asInteger(intBounds);
  const decimals = isNumber ? decimalsIn(b) : [];
  // No value fits at all: the schema stays as written and the engine's own bounds apply.
  if (decimals.length === 0) return null;
  const { type: _type, ...annotations } = rest;
  const numbers = { ...annotations, enum: decimals };
  return others.length === 0 ? numbers : { anyOf: [{ ...rest, type: others }, numbers] };
}

/** Keys whose values are schemas, or maps/lists of schemas. */
const SCHEMA_KEYS = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems']);
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas']);

function walk(schema: unknown, path: string, changed: string[]): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  let s = schema as Record<string, unknown>;
  const narrowed = narrow(s);
  if (narrowed) {
    // Integer bounds are only normalized (exclusive to inclusive): nothing a client allowed is lost.
    if ((Array.isArray(s.type) ? s.type : [s.type]).includes('number')) changed.push(path || '/');
    s = narrowed;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (SCHEMA_KEYS.has(k)) out[k] = Array.isArray(v) ? v.map((x, i) => walk(x, `${path}/${k}/${i}`, changed)) : walk(v, `${path}/${k}`, changed);
    else if (SCHEMA_LISTS.has(k) && Array.isArray(v)) out[k] = v.map((x, i) => walk(x, `${path}/${k}/${i}`, changed));
    else if (SCHEMA_MAPS.has(k) && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, x]) => [p, walk(x, `${path}/${k}/${p}`, changed)]));
    } else out[k] = v;
  }
  return out;
}

export interface NarrowedNumbers {
  schema: JsonSchema;
  /** JSON pointers of the bounded numbers narrowed (empty when none was). */
  paths: string[];
}

/** The schema with every bounded number narrowed to values the grammar engine bounds exactly. */
export function exactNumberBounds(schema: JsonSchema): NarrowedNumbers {
  const paths: string[] = [];
  const out = walk(schema, '', paths) as JsonSchema;
  return { schema: paths.length ? out : schema, paths };
}
