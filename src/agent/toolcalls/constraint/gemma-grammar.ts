// JSON Schema → EBNF for Gemma 4's argument syntax, which XGrammar's JSON Schema converter cannot write:
//   {key:<|"|>text<|"|>,n:42,flag:true,none:null,list:[1,2],obj:{a:<|"|>x<|"|>}}
// Keys are bare (or delimited when they hold syntax characters), strings sit between <|"|> delimiters with no
// escapes, everything else is a bare JSON literal; no whitespace. The output is what the gemma4 parser
// (formats/gemma-args.ts) reads back as JSON. A string never holds "<|" (so never the delimiter, and after "<|" the
// delimiter is the only way on); a length-bounded one holds no "<" at all, so that its length counts characters.
// What cannot be expressed is loosened (never to something the parser cannot read) and reported.
import type { JsonSchema } from './fit-schema.js';
import { intRangeEbnf } from './ebnf-int-range.js';

export const GEMMA_DELIM = '<|"|>';

const lit = (s: string) => JSON.stringify(s);
const DELIM = lit(GEMMA_DELIM);

/** Rules every Gemma grammar shares (their names carry no tool prefix). */
const SHARED_RULES = [
  // Text without "<|", right-linear: XGrammar's masks for a starred form of it cost hundreds of milliseconds.
  `gemma_text ::= "" | [^<] gemma_text | "<" gemma_text_lt`,
  `gemma_text_lt ::= "" | [^<|] gemma_text | "<" gemma_text_lt`,
  `gemma_string ::= ${DELIM} gemma_text ${DELIM}`,
  `gemma_int ::= "-"? ( "0" | [1-9] [0-9]* )`,
  // An exponent of at most two digits keeps every number finite.
  `gemma_number ::= gemma_int ( "." [0-9]+ )? ( [eE] [+-]? [0-9] [0-9]? )?`,
  `gemma_key ::= [A-Za-z_] [A-Za-z0-9_]*`,
  `gemma_value ::= gemma_string | gemma_number | "true" | "false" | "null" | gemma_object | gemma_array`,
  `gemma_object ::= "{" ( gemma_key ":" gemma_value ( "," gemma_key ":" gemma_value )* )? "}"`,
  `gemma_array ::= "[" ( gemma_value ( "," gemma_value )* )? "]"`,
];

/** Keywords that only describe (or that the converter applies as written): never reported. */
const HANDLED = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'enum', 'const',
  'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions', 'minLength', 'maxLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'minProperties', 'maxProperties', 'title', 'description', 'default',
  'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment', '$schema', '$id', '$anchor', 'nullable',
]);
/** Keywords that restrict values in ways this converter does not write: reported as not enforced. */
const UNENFORCED = new Set([
  'pattern', 'format', 'patternProperties', 'propertyNames', 'dependentRequired', 'dependentSchemas', 'dependencies',
  'if', 'then', 'else', 'not', 'contains', 'minContains', 'maxContains', 'uniqueItems', 'unevaluatedProperties',
  'unevaluatedItems', 'multipleOf', 'additionalItems',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** A key as the parser reads it: bare when it holds no syntax character, else between delimiters. */
function keyLiteral(key: string): string | null {
  if (/^[A-Za-z0-9_$@.-]+$/.test(key)) return lit(key);
  return key.includes(GEMMA_DELIM) ? null : lit(`${GEMMA_DELIM}${key}${GEMMA_DELIM}`);
}

/** A JSON value written in Gemma's syntax (an enum member, a const), or null when it cannot be. */
function valueText(v: unknown): string | null {
  if (typeof v === 'string') return v.includes('<|') ? null : `${GEMMA_DELIM}${v}${GEMMA_DELIM}`;
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : null;
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const items = v.map(valueText);
    return items.every((x) => x !== null) ? `[${items.join(',')}]` : null;
  }
  if (isObj(v)) {
    const members: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      const key = keyLiteral(k);
      const text = valueText(x);
      if (key === null || text === null) return null;
      members.push(`${JSON.parse(key) as string}:${text}`);
    }
    return `{${members.join(',')}}`;
  }
  return null;
}

/** Repetition of `item` separated by commas, between min and max times (max null: unbounded). */
function commaList(item: string, min: number, max: number | null): string {
  if (max !== null && max <= 0) return '""';
  const more = max === null ? `( "," ${item} )*` : max - 1 > 0 ? `( "," ${item} ){${Math.max(min - 1, 0)},${max - 1}}` : '';
  const list = more ? `${item} ${more}` : item;
  return min > 0 ? list : `( ${list} )?`;
}

export interface GemmaGrammar {
  /** The EBNF: `root` is the argument object; the other rules are prefixed (or shared, gemma_*). */
  ebnf: string;
  /** The rule the arguments start at (the tool's prefix + "args"), for combining several tools' grammars. */
  entry: string;
  /** What is looser than the schema (keywords not enforced, where); empty when exact. */
  loosened: string[];
}

class Builder {
  private readonly rules = new Map<string, string>();
  private readonly refRules = new Map<string, string>();
  private readonly loose = new Map<string, Set<string>>();
  private n = 0;

  constructor(
    private readonly root: JsonSchema,
    private readonly prefix: string,
  ) {}

  private rule(hint: string, rhs: string): string {
    const name = `${this.prefix}_${hint}_${this.n++}`;
    this.rules.set(name, rhs);
    return name;
  }

  private loosen(keyword: string, path: string): void {
    const paths = this.loose.get(keyword) ?? new Set<string>();
    paths.add(path || '/');
    this.loose.set(keyword, paths);
  }

  private resolve(ref: string): JsonSchema | undefined {
    if (!ref.startsWith('#')) return undefined;
    let node: unknown = this.root;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (!isObj(node) && !Array.isArray(node)) return undefined;
      node = (node as Obj)[part];
    }
    return typeof node === 'boolean' || isObj(node) ? node : undefined;
  }

  /** allOf merged into one schema: properties and required united, other keywords from the later member. */
  private merged(s: Obj, path: string): Obj {
    const { allOf, ...rest } = s;
    let out: Obj = rest;
    for (const [i, part0] of (allOf as unknown[]).entries()) {
      let part = part0;
      if (isObj(part) && typeof part.$ref === 'string') part = { ...(this.resolve(part.$ref) as Obj), ...part, $ref: undefined };
      if (!isObj(part)) {
        if (part === false) this.loosen('allOf', `${path}/allOf/${i}`);
        continue;
      }
      const props = { ...(isObj(out.properties) ? out.properties : {}), ...(isObj(part.properties) ? part.properties : {}) };
      const required = [...new Set([...((out.required as string[]) ?? []), ...((part.required as string[]) ?? [])])];
      out = { ...out, ...part, properties: props, required };
      delete out.$ref;
    }
    if (!Object.keys(out.properties as Obj).length) delete out.properties;
    return out;
  }

  /** An EBNF expression for values of `schema`; `objectOnly` keeps only object values (the call's arguments). */
  value(schema: JsonSchema, path: string, objectOnly = false): string {
    if (schema === true || (isObj(schema) && Object.keys(schema).every((k) => !HANDLED.has(k) && !UNENFORCED.has(k)))) {
      return objectOnly ? 'gemma_object' : 'gemma_value';
    }
    if (schema === false) {
      this.loosen('false', path);
      return objectOnly ? 'gemma_object' : 'gemma_value';
    }
    let s = schema as Obj;
    for (const k of Object.keys(s)) if (UNENFORCED.has(k)) this.loosen(k, path);
    if (typeof s.$ref === 'string') {
      const key = `${s.$ref}|${objectOnly}`;
      const known = this.refRules.get(key);
      if (known) return known;
      const target = this.resolve(s.$ref);
      if (target === undefined) {
        this.loosen('$ref', path);
        return objectOnly ? 'gemma_object' : 'gemma_value';
      }
      // Named before it is written, so a recursive schema refers to itself.
      const name = `${this.prefix}_ref_${this.n++}`;
      this.refRules.set(key, name);
      const { $ref: _r, ...siblings } = s;
      const body = Object.keys(siblings).some((k) => HANDLED.has(k)) && isObj(target) ? { ...target, ...siblings } : target;
      this.rules.set(name, this.value(body, s.$ref.slice(1), objectOnly));
      return name;
    }
    if (Array.isArray(s.allOf)) s = this.merged(s, path);
    const alternatives = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null;
    if (alternatives) {
      // Sibling keywords apply to every alternative.
      const { anyOf: _a, oneOf: _o, ...siblings } = s;
      const alts = alternatives.map((a, i) => this.value(isObj(a) ? { ...siblings, ...a } : a, `${path}/${s.anyOf ? 'anyOf' : 'oneOf'}/${i}`, objectOnly));
      return this.rule('alt', [...new Set(alts)].join(' | '));
    }
    if ('const' in s || Array.isArray(s.enum)) return this.choice(s, path, objectOnly);
    let types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : this.impliedTypes(s);
    if (objectOnly) {
      if (!types.includes('object')) this.loosen('type', path);
      types = ['object'];
    }
    const alts = types.map((t) => this.typed(t, s, path));
    return alts.length === 1 ? alts[0]! : this.rule('types', alts.join(' | '));
  }

  /** The types a schema without "type" describes: from its keywords, else any. */
  private impliedTypes(s: Obj): string[] {
    if ('properties' in s || 'additionalProperties' in s || 'required' in s) return ['object'];
    if ('items' in s || 'prefixItems' in s) return ['array'];
    if ('minLength' in s || 'maxLength' in s) return ['string'];
    return ['string', 'number', 'boolean', 'null', 'object', 'array'];
  }

  private choice(s: Obj, path: string, objectOnly: boolean): string {
    const values = 'const' in s ? [s.const] : (s.enum as unknown[]);
    const texts: string[] = [];
    for (const v of values) {
      if (objectOnly && !isObj(v)) continue;
      const text = valueText(v);
      if (text === null) this.loosen('enum', path);
      else texts.push(lit(text));
    }
    if (texts.length === 0) {
      this.loosen('enum', path);
      return objectOnly ? 'gemma_object' : 'gemma_value';
    }
    return this.rule('enum', [...new Set(texts)].join(' | '));
  }

  private typed(type: string, s: Obj, path: string): string {
    switch (type) {
      case 'string': {
        const min = typeof s.minLength === 'number' ? Math.max(0, Math.ceil(s.minLength)) : 0;
        const max = typeof s.maxLength === 'number' ? Math.floor(s.maxLength) : null;
        if (min === 0 && max === null) return 'gemma_string';
        return this.rule('string', `${DELIM} [^<]{${min},${max ?? ''}} ${DELIM}`);
      }
      case 'integer':
      case 'number': {
        // The tighter of an inclusive and an exclusive bound; a bounded number is narrowed to the whole numbers in
        // range (build.ts has already narrowed and reported those, number-bounds.ts).
        const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : null);
        const lo = Math.max(num('minimum') ?? -Infinity, num('exclusiveMinimum') === null ? -Infinity : Math.floor(num('exclusiveMinimum')!) + 1);
        const hi = Math.min(num('maximum') ?? Infinity, num('exclusiveMaximum') === null ? Infinity : Math.ceil(num('exclusiveMaximum')!) - 1);
        if (type === 'number' && lo === -Infinity && hi === Infinity) return 'gemma_number';
        const range = intRangeEbnf(Math.ceil(lo), Math.floor(hi));
        if (range === null) {
          this.loosen('minimum/maximum', path);
          return type === 'number' ? 'gemma_number' : 'gemma_int';
        }
        return lo === -Infinity && hi === Infinity ? 'gemma_int' : this.rule('int', range);
      }
      case 'boolean':
        return '( "true" | "false" )';
      case 'null':
        return '"null"';
      case 'array':
        return this.array(s, path);
      case 'object':
        return this.object(s, path);
      default:
        this.loosen('type', path);
        return 'gemma_value';
    }
  }

  private array(s: Obj, path: string): string {
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
    const min = typeof s.minItems === 'number' ? s.minItems : 0;
    let max = typeof s.maxItems === 'number' ? s.maxItems : null;
    if (s.items === false) max = Math.min(max ?? prefix.length, prefix.length);
    // Prefix items are written in full (as many as maxItems allows), then the rest from "items".
    const fixed = prefix.slice(0, max ?? prefix.length).map((p, i) => this.value(p as JsonSchema, `${path}/prefixItems/${i}`));
    const restMax = max === null ? null : max - fixed.length;
    const restMin = Math.max(0, min - fixed.length);
    if (fixed.length < min && s.items === false) this.loosen('minItems', path);
    const item = s.items === undefined || s.items === true ? 'gemma_value' : s.items === false ? null : this.value(s.items as JsonSchema, `${path}/items`);
    const parts = fixed.join(' "," ');
    if (item === null || restMax === 0) return this.rule('array', `"[" ${parts || '""'} "]"`);
    if (!fixed.length) return this.rule('array', `"[" ${commaList(item, restMin, restMax)} "]"`);
    const more = restMax === null ? `( "," ${item} )*` : `( "," ${item} ){${restMin},${restMax}}`;
    return this.rule('array', `"[" ${parts} ${more} "]"`);
  }

  private object(s: Obj, path: string): string {
    const props = isObj(s.properties) ? Object.entries(s.properties).filter(([, v]) => v !== false) : [];
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    for (const r of required) if (!props.some(([k]) => k === r)) props.push([r, true]);
    const minP = typeof s.minProperties === 'number' ? s.minProperties : 0;
    const maxP = typeof s.maxProperties === 'number' ? s.maxProperties : null;
    if (props.length === 0) {
      // A map: its values from additionalProperties, generic keys, the count within min/maxProperties.
      if (s.additionalProperties === false) {
        if (minP > 0) this.loosen('minProperties', path);
        return '( "{" "}" )';
      }
      const v = isObj(s.additionalProperties) ? this.value(s.additionalProperties, `${path}/additionalProperties`) : 'gemma_value';
      return this.rule('map', `"{" ${commaList(`gemma_key ":" ${v}`, minP, maxP)} "}"`);
    }
    // Declared properties in order, the object closed (as XGrammar's strict mode writes it). Optional ones are
    // promoted to required while fewer than minProperties are required, and left out beyond maxProperties.
    let promote = Math.max(0, minP - required.size);
    let optionalLeft = maxP === null ? Infinity : maxP - required.size;
    const members: Array<{ text: string; required: boolean }> = [];
    for (const [key, schema] of props) {
      const keyText = keyLiteral(key);
      if (keyText === null) {
        if (required.has(key)) this.loosen('properties', `${path}/properties/${key}`);
        continue;
      }
      let isRequired = required.has(key);
      if (!isRequired) {
        if (optionalLeft <= 0) continue;
        optionalLeft--;
        if (promote > 0) {
          isRequired = true;
          promote--;
        }
      }
      members.push({ text: `${keyText} ":" ${this.value(schema as JsonSchema, `${path}/properties/${key}`)}`, required: isRequired });
    }
    if (promote > 0) this.loosen('minProperties', path);
    return this.rule('object', `"{" ${this.memberSequence(members)} "}"`);
  }

  /** Members in order, optional ones skippable, commas only between written members. */
  private memberSequence(members: Array<{ text: string; required: boolean }>): string {
    if (!members.length) return '""';
    // rest_i: members i.. after one has been written (each with its comma); first_i: none written yet.
    let rest = '""';
    let first = '""';
    for (let i = members.length - 1; i >= 0; i--) {
      const m = members[i]!;
      const restWith = `"," ${m.text} ${rest}`;
      const firstWith = `${m.text} ${rest}`;
      const newRest = m.required ? restWith : `( ${restWith} | ${rest} )`;
      const newFirst = m.required ? firstWith : `( ${firstWith} | ${first} )`;
      rest = this.rule('rest', newRest);
      first = this.rule('members', newFirst);
    }
    return first;
  }

  build(objectOnly: boolean): GemmaGrammar {
    const entry = this.value(this.root, '', objectOnly);
    const args = `${this.prefix}_args`;
    const lines = [`root ::= ${args}`, `${args} ::= ${entry}`, ...[...this.rules].map(([n, r]) => `${n} ::= ${r}`), ...SHARED_RULES];
    const loosened = [...this.loose].sort(([a], [b]) => a.localeCompare(b)).map(([k, paths]) => `${k} at ${[...paths].join(', ')}`);
    return { ebnf: lines.join('\n'), entry: args, loosened };
  }
}

/** The grammar of a call's arguments for `schema`; rule names start with `prefix` (one per tool). */
export function gemmaArgsGrammar(schema: JsonSchema, prefix = 'args'): GemmaGrammar {
  return new Builder(schema, prefix).build(true);
}

/** The grammar of any value of `schema` in Gemma's syntax (an argument's value; the arguments are an object). */
export function gemmaValueGrammar(schema: JsonSchema, prefix = 'value'): GemmaGrammar {
  return new Builder(schema, prefix).build(false);
}

/**
 * Several tools' call grammars as one: `root` is one or more calls (exactly one when `single`), each the call's
 * begin text, its arguments and the end text, back to back as Gemma 4 writes them.
 */
export function gemmaCallsGrammar(calls: Array<{ begin: string; end: string; grammar: GemmaGrammar }>, single: boolean): string {
  const lines = new Set<string>();
  const alts: string[] = [];
  for (const c of calls) {
    alts.push(`${lit(c.begin)} ${c.grammar.entry} ${lit(c.end)}`);
    for (const line of c.grammar.ebnf.split('\n')) if (!line.startsWith('root ::=')) lines.add(line);
  }
  return [`root ::= gemma_call${single ? '' : '+'}`, `gemma_call ::= ${alts.join(' | ')}`, ...lines].join('\n');
}
