// Schemas as clients send them, made compilable: a schema the grammar engine rejects is loosened step by step
// (keywords it cannot express dropped, then a skeleton of types, then any JSON object) and the request goes on
// with a warning saying what is no longer enforced. A client's schema never turns into a 4xx or 5xx.
import { exactNumberBounds } from './number-bounds.js';

export type JsonSchema = boolean | Record<string, unknown>;

/** Keywords dropped at the first loosening: the ones that restrict values beyond their JSON shape. */
export const VALUE_KEYWORDS = [
  'pattern',
  'patternProperties',
  'format',
  'propertyNames',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'if',
  'then',
  'else',
  'not',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  'multipleOf',
] as const;

/** Keywords the skeleton keeps (shape only). */
const SKELETON_KEYWORDS = new Set(['type', 'properties', 'required', 'items', 'prefixItems', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions', 'additionalProperties']);

function mapSchema(schema: unknown, keep: (key: string) => boolean, removed: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => mapSchema(s, keep, removed));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (!keep(k)) {
      removed.add(k);
      continue;
    }
    // Property names, enum members and const values are data, not schemas: copied as they are.
    if (k === 'enum' || k === 'const' || k === 'required' || k === 'default' || k === 'examples') out[k] = v;
    else if (k === 'properties' || k === '$defs' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([p, s]) => [p, mapSchema(s, keep, removed)]));
    } else out[k] = mapSchema(v, keep, removed);
  }
  return out;
}

export interface FitResult {
  schema: JsonSchema;
  /** Why the constraint is looser than the schema; null when the schema is enforced as written. */
  warning: string | null;
}

/**
 * The first of: the schema itself, the schema without value keywords, its shape skeleton, any object (or any JSON
 * value for `anyValue`), that `compiles` accepts. `what` names the schema in the warning (e.g. "tool 'search'").
 */
export async function fitSchema(declared: JsonSchema, what: string, compiles: (s: JsonSchema) => Promise<string | null>, anyValue = false): Promise<FitResult> {
  const { schema, paths } = exactNumberBounds(declared);
  const narrowed = paths.length ? `${what}: bounded numbers at ${paths.join(', ')} are enforced as whole numbers (or a few decimals) in range` : null;
  const fit = await loosen(schema, what, compiles, anyValue);
  const warning = [narrowed, fit.warning].filter(Boolean).join('; ');
  return { schema: fit.schema, warning: warning || null };
}

async function loosen(schema: JsonSchema, what: string, compiles: (s: JsonSchema) => Promise<string | null>, anyValue: boolean): Promise<FitResult> {
  const first = await compiles(schema);
  if (first === null) return { schema, warning: null };
  if (typeof schema === 'object') {
    const removed = new Set<string>();
    const values = mapSchema(schema, (k) => !(VALUE_KEYWORDS as readonly string[]).includes(k), removed) as Record<string, unknown>;
    if (removed.size && (await compiles(values)) === null) {
      return { schema: values, warning: `${what}: not enforced: ${[...removed].sort().join(', ')} (the grammar engine rejected the schema: ${first})` };
    }
    const dropped = new Set<string>();
    const skeleton = mapSchema(schema, (k) => SKELETON_KEYWORDS.has(k), dropped) as Record<string, unknown>;
    if ((await compiles(skeleton)) === null) {
      return { schema: skeleton, warning: `${what}: only the shape is enforced (types, properties, required, items, enum, const, anyOf/oneOf); the grammar engine rejected the schema: ${first}` };
    }
  }
  const loose: JsonSchema = anyValue ? true : { type: 'object' };
  return { schema: loose, warning: `${what}: only ${anyValue ? 'valid JSON' : 'a JSON object'} is enforced; the grammar engine rejected the schema: ${first}` };
}
