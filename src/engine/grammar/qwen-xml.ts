// Qwen3-Coder's typed XML parameters as the grammar engine should write them. XGrammar's XML form quotes string
// enums and consts like JSON ("celsius" with its quotes, which the parser keeps as part of the raw value) and
// allows any whitespace around each value; these two fixes make its output what the model and parser expect.

/** A regular expression matching exactly `text`. */
function literalPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|\/-]/g, (c) => `\\${c}`);
}

/** A top-level parameter whose values are all strings from a list, as a raw-string pattern; others unchanged. */
function rawStringChoice(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const s = schema as Record<string, unknown>;
  const values = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : null;
  if (!values || values.length === 0 || !values.every((v) => typeof v === 'string')) return schema;
  const { enum: _e, const: _c, ...rest } = s;
  return { ...rest, type: 'string', pattern: `^(${(values as string[]).map(literalPattern).join('|')})$` };
}

/** The tool's parameters schema with string enums and consts of its top-level parameters as raw patterns. */
export function qwenXmlSchema(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const s = schema as Record<string, unknown>;
  const props = s.properties;
  if (!props || typeof props !== 'object') return schema;
  return { ...s, properties: Object.fromEntries(Object.entries(props as Record<string, unknown>).map(([k, v]) => [k, rawStringChoice(v)])) };
}

/**
 * Qwen3-Coder's parameters laid out as the model writes them, one newline around each value and after each
 * closing tag: XGrammar's XML form allows any whitespace there, which a random model pads forever and which the
 * parser keeps as part of a string value (" celsius" is not in the enum). Only the parameter rules change.
 */
export function qwenXmlLayout(ebnf: string): string {
  return ebnf
    .replace(/ \(= \)/g, '') // an empty lookahead XGrammar writes but its own EBNF parser rejects
    .split('\n')
    .map((line) =>
      /^root(_part_\d+)? ::=/.test(line)
        ? line
            .replace(/\[ \\n\\t\]\* (\(*)"<parameter=/g, '$1"<parameter=')
            .replace(/("<parameter=[^"]*>") \[ \\n\\t\]\*/g, '$1 "\\n"')
            .replace(/\[ \\n\\t\]\* "<\/parameter>"/g, '"\\n</parameter>\\n"')
        : line,
    )
    .join('\n')
    .replace(/^root ::= *$/m, 'root ::= ""'); // a tool without parameters: XGrammar leaves its rule empty
}

