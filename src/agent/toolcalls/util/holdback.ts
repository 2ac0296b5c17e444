// Streaming helpers for scanners: how much trailing text might still become markup.

/** Length of the longest suffix of `text` that is a proper prefix of one of `markers`. */
export function markerPrefixLength(text: string, markers: readonly string[]): number {
  let best = 0;
  for (const m of markers) {
    const max = Math.min(m.length - 1, text.length);
    for (let n = max; n > best; n--) {
      if (text.endsWith(m.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

/** `text` without a trailing possible marker prefix (only when not final). */
export function holdBack(text: string, markers: readonly string[], final: boolean): string {
  if (final) return text;
  const n = markerPrefixLength(text, markers);
  return n ? text.slice(0, text.length - n) : text;
}

/** Earliest occurrence of any marker at or after `from`: index and which marker, or null. */
export function findFirst(text: string, markers: readonly string[], from = 0): { index: number; marker: string } | null {
  let best: { index: number; marker: string } | null = null;
  for (const m of markers) {
    const i = text.indexOf(m, from);
    if (i >= 0 && (best === null || i < best.index || (i === best.index && m.length > best.marker.length))) best = { index: i, marker: m };
  }
  return best;
}

/** Cut a trailing lone high surrogate (its low half may still arrive). */
export function cutLoneSurrogate(text: string): string {
  if (!text) return text;
  const c = text.charCodeAt(text.length - 1);
  return c >= 0xd800 && c <= 0xdbff ? text.slice(0, -1) : text;
}
