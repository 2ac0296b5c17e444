// The forms a string can take once something downstream decodes it: percent-decoding (repeatedly, for
// double-encoding), overlong UTF-8 and %uXXXX escapes, and unicode look-alikes of '.', '/' and '\'.
// The validator and the sandbox match their blocked patterns against every form, so an encoded '../' is
// caught just like a plain one.

// Look-alikes NFKC does not fold to ASCII (or folds only partially).
const LOOKALIKES: Record<string, string> = {
  '\u2024': '.', // ONE DOT LEADER
  '\u2025': '..', // TWO DOT LEADER
  '\uFE52': '.', // SMALL FULL STOP
  '\uFF0E': '.', // FULLWIDTH FULL STOP
  '\u2215': '/', // DIVISION SLASH
  '\u2044': '/', // FRACTION SLASH
  '\u29F8': '/', // BIG SOLIDUS
  '\uFF0F': '/', // FULLWIDTH SOLIDUS
  '\u2216': '\\', // SET MINUS
  '\u29F5': '\\', // REVERSE SOLIDUS OPERATOR
  '\u29F9': '\\', // BIG REVERSE SOLIDUS
  '\uFE68': '\\', // SMALL REVERSE SOLIDUS
  '\uFF3C': '\\', // FULLWIDTH REVERSE SOLIDUS
};
const LOOKALIKE_RE = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu');

// Overlong UTF-8 encodings that old decoders turned into '.', '/' and '\'.
const OVERLONG: Array<[RegExp, string]> = [
  [/%c0%ae|%e0%80%ae|%f0%80%80%ae/gi, '.'],
  [/%c0%af|%e0%80%af|%f0%80%80%af|%c0%2f/gi, '/'],
  [/%c1%9c|%c1%1c|%e0%81%9c/gi, '\\'],
];

/** NFKC plus the look-alike table: what a filesystem or shell that "normalises" would see. */
export function foldLookalikes(s: string): string {
  return s.normalize('NFKC').replace(LOOKALIKE_RE, (c) => LOOKALIKES[c] ?? c);
}

/** One round of decoding: overlong sequences, %uXXXX, then %XX as UTF-8 (invalid bytes become U+FFFD). */
export function percentDecodeOnce(s: string): string {
  let out = s;
  for (const [re, ch] of OVERLONG) out = out.replace(re, ch);
  out = out.replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (!/%[0-9a-f]{2}/i.test(out)) return out;
  // Decode runs of %XX together so multi-byte UTF-8 sequences survive.
  return out.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  });
}

/** Every distinct form of `s`: raw, folded, and each decoding round (max 4) folded. */
export function decodedForms(s: string): string[] {
  const forms = new Set<string>([s, foldLookalikes(s)]);
  let cur = s;
  for (let round = 0; round < 4; round++) {
    const next = percentDecodeOnce(cur);
    if (next === cur) break;
    forms.add(next);
    forms.add(foldLookalikes(next));
    cur = next;
  }
  return [...forms];
}

/** A parent-directory step: '../' or '..\' anywhere, or a trailing '..' after a separator, '=' or space. */
export const TRAVERSAL_RE = /\.\.[/\\]|(?:^|[/\\=:\s])\.\.$/;

/** True when any decoded form of `s` contains a parent-directory segment. */
export function hasTraversal(s: string): boolean {
  return decodedForms(s).some((f) => TRAVERSAL_RE.test(f));
}
