// Slices of a long text for counting its tokens piecewise: cut just before whitespace where possible,
// where tokenizers split words anyway, so the sum of the slices' counts is close to the whole text's.
export const SLICE_CHARS = 16 * 1024;

export function* textSlices(text: string): Generator<{ end: number; slice: string }> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      for (let i = end; i > start + SLICE_CHARS / 2; i--) {
        if (/\s/.test(text[i]!)) {
          end = i;
          break;
        }
      }
    }
    yield { end, slice: text.slice(start, end) };
    start = end;
  }
}
