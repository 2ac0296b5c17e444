// JSON string rules as XGrammar writes them for minLength/maxLength, pattern and some formats put the string's
// characters in raw: [^"\\\r\n]{1,40} lets a tab or another control character through, a pattern's "." becomes any
// code point (a quote or a backslash included) and "\s" a raw newline, all of which make the JSON text invalid.
// Their character classes are cut down to what JSON allows unescaped (a narrower grammar, never a looser one).

/**
 * What a JSON string may hold without an escape: anything but the quote, the backslash and U+0000..U+001F. (The
 * engine's negated classes only take ASCII: the surrogates' 3-byte encodings are excluded per token instead, by
 * the UTF-8 masks of utf8-masks.ts.)
 */
const EXCLUDED = String.raw`"\\\0-\x1f`;
const JSON_RAW = `[^${EXCLUDED}]`;
/** Raw control characters a positive class may list (\s expands to these). */
const CONTROL_ESCAPES = /\\[fnrtv0]/g;

function fixClass(negated: boolean, body: string): string {
  if (!negated) {
    if (body === String.raw`\u0000-\U0010FFFF`) return JSON_RAW;
    const kept = body.replace(CONTROL_ESCAPES, '');
    return kept && kept !== body ? `[${kept}]` : `[${body}]`;
  }
  return body.includes(EXCLUDED) ? `[^${body}]` : `[^${body}${EXCLUDED}]`;
}

/** String literals are skipped; character classes are rewritten. */
const TOKENS = /"(?:\\.|[^"\\])*"|\[(\^?)((?:\\.|[^\]\\])*)\]/g;

/** The EBNF with every schema-specific string rule (string, string_N) kept to valid JSON text. */
export function jsonSafeStrings(ebnf: string): string {
  return ebnf
    .split('\n')
    .map((line) => (/^string(_\d+)? ::= /.test(line) ? line.replace(TOKENS, (m, neg: string | undefined, body: string | undefined) => (body === undefined ? m : fixClass(neg === '^', body))) : line))
    .join('\n');
}
