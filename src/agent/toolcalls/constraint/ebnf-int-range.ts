// Whole numbers in a range as an EBNF expression over their decimal digits (for grammars XGrammar's JSON Schema
// converter does not write, such as Gemma 4's argument syntax). Bounds may be open on either side and as large
// as a schema writes them (Number.MAX_SAFE_INTEGER is common): the digits are handled as BigInt.

const lit = (s: string) => JSON.stringify(s);
const seq = (...parts: string[]) => parts.filter(Boolean).join(' ');
const digitClass = (from: number, to: number) => (from === to ? lit(String(from)) : `[${from}-${to}]`);

/** Alternatives spelling every number from a to b, two digit strings of the same length (a <= b). */
function sameLength(a: string, b: string): string[] {
  if (a.length === 0) return [''];
  if (a === b) return [lit(a)];
  const rest = a.length - 1;
  if (a[0] === b[0]) return sameLength(a.slice(1), b.slice(1)).map((p) => seq(lit(a[0]!), p));
  const out: string[] = [];
  let from = Number(a[0]);
  let to = Number(b[0]);
  // The first and last leading digits are partial unless their tails span everything.
  if (!/^0*$/.test(a.slice(1))) {
    out.push(...sameLength(a.slice(1), '9'.repeat(rest)).map((p) => seq(lit(a[0]!), p)));
    from++;
  }
  const last: string[] = [];
  if (!/^9*$/.test(b.slice(1))) {
    last.push(...sameLength('0'.repeat(rest), b.slice(1)).map((p) => seq(lit(b[0]!), p)));
    to--;
  }
  if (from <= to) out.push(seq(digitClass(from, to), rest ? `[0-9]{${rest}}` : ''));
  return [...out, ...last];
}

/** Alternatives for lo..hi, both >= 0 (hi null: no upper bound). */
function nonNegative(lo: bigint, hi: bigint | null): string[] {
  const out: string[] = [];
  let from = lo;
  for (;;) {
    const digits = from.toString().length;
    const top = 10n ** BigInt(digits) - 1n;
    if (hi !== null && hi <= top) {
      out.push(...sameLength(from.toString(), hi.toString()));
      return out;
    }
    out.push(...sameLength(from.toString(), top.toString()));
    if (hi === null) {
      out.push(`[1-9] [0-9]{${digits},}`); // every longer number
      return out;
    }
    from = top + 1n;
  }
}

const toBig = (n: number) => BigInt(Math.trunc(n));

/**
 * An EBNF expression for the integers lo..hi (inclusive; ±Infinity for an open side), or null when the range is
 * empty. Without bounds: an optional minus sign and no leading zeros.
 */
export function intRangeEbnf(lo: number, hi: number): string | null {
  if (lo > hi) return null;
  const alts: string[] = [];
  if (lo < 0) {
    // The negative part, as "-" and the magnitudes max(1, -hi)..-lo.
    const magLo = hi < 0 ? toBig(-hi) : 1n;
    const magHi = Number.isFinite(lo) ? toBig(-lo) : null;
    alts.push(`"-" (${nonNegative(magLo, magHi).join(' | ')})`);
  }
  if (hi >= 0) {
    const from = lo > 0 ? toBig(lo) : 0n;
    alts.push(...nonNegative(from, Number.isFinite(hi) ? toBig(hi) : null));
  }
  return alts.length === 1 ? alts[0]! : `(${alts.join(' | ')})`;
}
