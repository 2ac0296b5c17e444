// Text that only grows, kept as its appended pieces: appending and reading near the end cost what they touch,
// not the whole text (the streaming driver reads only the end of what it accumulated).

const WS = /\s/;

export class GrowingText {
  private parts: string[] = [];
  private len = 0;
  /** Index of the first non-whitespace character, once there is one. */
  private firstNonWs = -1;

  get length(): number {
    return this.len;
  }

  append(s: string): void {
    if (!s) return;
    if (this.firstNonWs < 0) {
      const k = s.search(/\S/);
      if (k >= 0) this.firstNonWs = this.len + k;
    }
    this.parts.push(s);
    this.len += s.length;
  }

  /** Number of leading whitespace characters (all of it while there is nothing else). */
  leadingWhitespace(): number {
    return this.firstNonWs < 0 ? this.len : this.firstNonWs;
  }

  /** The text from `from` to the end: costs the length of the result. */
  sliceFrom(from: number): string {
    if (from >= this.len) return '';
    let i = this.parts.length;
    let start = this.len;
    while (i > 0 && start > from) start -= this.parts[--i].length;
    const joined = this.parts.slice(i).join('');
    return joined.slice(from - start);
  }

  /** Number of trailing whitespace characters. */
  trailingWhitespace(): number {
    let n = 0;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i];
      let k = p.length;
      while (k > 0 && WS.test(p[k - 1])) k--;
      n += p.length - k;
      if (k > 0) break;
    }
    return n;
  }

  toString(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }
}
