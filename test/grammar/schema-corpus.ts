// A corpus of JSON Schemas written the way MCP servers write tool parameters: 51 base schemas over the keywords
// clients use ($ref/$defs, anyOf/oneOf/allOf, enum/const, nesting, required, additionalProperties, pattern, format,
// bounds, defaults, unknown and annotation keywords), each also placed in four contexts (an object property, array
// items, a $ref target, a nullable anyOf): 255 schemas.
type Schema = Record<string, unknown> | boolean;

const str = { type: 'string' };
const int = { type: 'integer' };

export const BASE_SCHEMAS: Record<string, Schema> = {
  empty: {},
  true: true,
  string: str,
  integer: int,
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  null: { type: 'null' },
  typeArray: { type: ['string', 'null'] },
  stringBounds: { type: 'string', minLength: 2, maxLength: 12 },
  intBounds: { type: 'integer', minimum: -5, maximum: 100 },
  intExclusive: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 },
  numberBounds: { type: 'number', minimum: 0.5, maximum: 99.5 },
  multipleOf: { type: 'integer', multipleOf: 5 },
  enumStrings: { enum: ['read', 'write', 'admin'] },
  enumMixed: { enum: ['a', 1, true, null] },
  constString: { const: 'fixed' },
  constObject: { const: { a: 1 } },
  patternSimple: { type: 'string', pattern: '^[a-z]+$' },
  patternDigits: { type: 'string', pattern: '^\\d{3}-\\d{4}$' },
  patternUnanchored: { type: 'string', pattern: '[A-Z]' },
  patternLookahead: { type: 'string', pattern: '^(?=.*[0-9]).{8,}$' },
  patternBackref: { type: 'string', pattern: '^(a+)\\1$' },
  formatEmail: { type: 'string', format: 'email' },
  formatUri: { type: 'string', format: 'uri' },
  formatDateTime: { type: 'string', format: 'date-time' },
  formatUuid: { type: 'string', format: 'uuid' },
  formatUnknown: { type: 'string', format: 'x-custom-format' },
  arrayOfStrings: { type: 'array', items: str },
  arrayBounds: { type: 'array', items: int, minItems: 1, maxItems: 4 },
  arrayUnique: { type: 'array', items: str, uniqueItems: true },
  tuple: { type: 'array', prefixItems: [str, int], items: false },
  arrayContains: { type: 'array', items: int, contains: { const: 3 } },
  objectRequired: { type: 'object', properties: { a: str, b: int }, required: ['a'] },
  objectClosed: { type: 'object', properties: { a: str }, required: ['a'], additionalProperties: false },
  objectOpenTyped: { type: 'object', properties: { a: str }, additionalProperties: int },
  objectMap: { type: 'object', additionalProperties: { type: 'number' } },
  objectPatternProps: { type: 'object', patternProperties: { '^x-': str } },
  objectPropertyCount: { type: 'object', minProperties: 1, maxProperties: 3 },
  objectDependent: { type: 'object', properties: { a: str, b: str }, dependentRequired: { a: ['b'] } },
  nested: {
    type: 'object',
    properties: { user: { type: 'object', properties: { name: str, tags: { type: 'array', items: { enum: ['x', 'y'] } } }, required: ['name'] } },
    required: ['user'],
  },
  anyOf: { anyOf: [str, int] },
  oneOf: { oneOf: [{ type: 'object', properties: { kind: { const: 'a' }, x: int }, required: ['kind'] }, { type: 'object', properties: { kind: { const: 'b' }, y: str }, required: ['kind'] }] },
  allOf: { allOf: [{ type: 'object', properties: { a: str }, required: ['a'] }, { properties: { b: int } }] },
  notKeyword: { type: 'string', not: { const: 'forbidden' } },
  ifThenElse: { type: 'object', properties: { a: str }, if: { properties: { a: { const: 'x' } } }, then: { required: ['a'] } },
  defsRef: { $defs: { pos: { type: 'integer', minimum: 0 } }, type: 'object', properties: { n: { $ref: '#/$defs/pos' } }, required: ['n'] },
  recursiveRef: { $defs: { node: { type: 'object', properties: { v: int, children: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 } }, required: ['v'] } }, $ref: '#/$defs/node' },
  definitionsRef: { definitions: { s: str }, type: 'object', properties: { s: { $ref: '#/definitions/s' } } },
  annotated: { type: 'object', title: 'T', description: 'D', examples: [{ a: 'x' }], properties: { a: { type: 'string', default: 'x', deprecated: true, readOnly: true } }, $comment: 'c' },
  unknownKeywords: { type: 'object', 'x-vendor': { any: 1 }, propertyOrdering: ['a'], properties: { a: { type: 'string', 'x-ui': 'text' } } },
  schemaDialect: { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'urn:t', type: 'object', properties: { a: int } },
};

export const CONTEXTS: Record<string, (s: Schema) => Schema> = {
  self: (s) => s,
  property: (s) => ({ type: 'object', properties: { value: s, note: str }, required: ['value'] }),
  items: (s) => ({ type: 'array', items: s, minItems: 1, maxItems: 2 }),
  ref: (s) => ({ $defs: { inner: s }, type: 'object', properties: { v: { $ref: '#/$defs/inner' } }, required: ['v'] }),
  nullable: (s) => ({ anyOf: [s, { type: 'null' }] }),
};

/**
 * Places a base schema in a context. "#/..." refers to the document root, so the base's definitions move to the
 * wrapper's root (as a server generating one schema per tool would write them); names cannot clash in the corpus.
 */
function place(schema: Schema, wrap: (s: Schema) => Schema): Schema {
  if (typeof schema !== 'object') return wrap(schema);
  const { $defs, definitions, ...rest } = structuredClone(schema);
  const placed = wrap(rest) as Record<string, unknown>;
  if (typeof placed !== 'object') return placed;
  const rootDefs = { ...((placed.$defs as object) ?? {}), ...(($defs as object) ?? {}) };
  return { ...placed, ...(Object.keys(rootDefs).length ? { $defs: rootDefs } : {}), ...(definitions ? { definitions } : {}) };
}

/** Every corpus schema by id: `base/context`. */
export function schemaCorpus(): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const [context, wrap] of Object.entries(CONTEXTS)) {
    for (const [name, schema] of Object.entries(BASE_SCHEMAS)) out.set(`${name}/${context}`, place(schema, wrap));
  }
  return out;
}
