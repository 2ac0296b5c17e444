// Streaming text out of generated tokens: an incremental detokenizer that never splits a UTF-8 character, and a
// stop-string matcher that holds back text that could still become a stop string.
import type { TextTokenizer } from './tokenizer.js';

/** Length of the longest prefix of `bytes` that ends on a complete UTF-8 character. */
export function completeUtf8Length(bytes: Uint8Array, length = bytes.length): number {
  // Look back at most 3 bytes for the lead byte of the last character.
  for (let back = 1; back <= Math.min(4, length); back++) {
    const b = bytes[length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
    return back >= need ? length : length - back;
  }
  // Only continuation bytes at the end (invalid UTF-8): nothing will complete them, so let them through.
  return length;
}

interface Detokenizer {
  push(id: number): string;
  flush(): string;
}

/** Byte-level BPE: each token is a byte string; bytes wait until they complete a character. */
class ByteLevelDetokenizer implements Detokenizer {
  private pending = new Uint8Array(64);
  private pendingLength = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly tokenizer: TextTokenizer) {}

  push(id: number): string {
    const bytes = this.tokenizer.tokenBytes(id);
    if (this.pendingLength + bytes.length > this.pending.length) {
      const grown = new Uint8Array(Math.max(this.pending.length * 2, this.pendingLength + bytes.length));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength += bytes.length;
    const ready = completeUtf8Length(this.pending, this.pendingLength);
    if (ready === 0) return '';
    const text = this.decoder.decode(this.pending.subarray(0, ready));
    this.pending.copyWithin(0, ready, this.pendingLength);
    this.pendingLength -= ready;
    return text;
  }

  flush(): string {
    const text = this.decoder.decode(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    return text;
  }
}

/**
 * Any other decoder (e.g. SentencePiece-style with byte fallback): re-decode the tokens since the last emitted
 * boundary and release the new suffix unless it ends in an incomplete character (U+FFFD).
 */
class RedecodingDetokenizer implements Detokenizer {
  private ids: number[] = [];
  private emitted = 0;

  constructor(private readonly tokenizer: TextTokenizer) {}

  push(id: number): string {
    this.ids.push(id);
    const text = this.tokenizer.decode(this.ids);
    if (text.endsWith('\uFFFD')) return '';
    const out = text.slice(this.emitted);
    this.emitted = text.length;
    // Restart from a clean boundary now and then so the work per token stays bounded.
    if (this.ids.length > 32) {
      this.ids = [id];
      this.emitted = this.tokenizer.decode(this.ids).length;
    }
    return out;
  }

  flush(): string {
    const out = this.tokenizer.decode(this.ids).slice(this.emitted);
    this.ids = [];
    this.emitted = 0;
    return out;
  }
}

export function createDetokenizer(tokenizer: TextTokenizer): Detokenizer {
  return tokenizer.byteLevel ? new ByteLevelDetokenizer(tokenizer) : new RedecodingDetokenizer(tokenizer);
}

export type { Detokenizer };

/**
 * Finds the earliest stop string in streamed text. Text that could be the beginning of a stop string is held back
 * until it either completes one (the text is cut there) or can no longer match (it is released).
 */
export class StopStringMatcher {
  private held = '';
  private readonly stops: string[];
  stopped = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Returns the text that is safe to emit now; after a match, `stopped` is true and later input is ignored. */
  push(text: string): string {
    if (this.stopped) return '';
    if (this.stops.length === 0) return text;
    const buffer = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = buffer.indexOf(s);
      if (i !== -1 && (cut === -1 || i < cut)) cut = i;
    }
    if (cut !== -1) {
      this.stopped = true;
      this.held = '';
      return buffer.slice(0, cut);
    }
    const keep = this.partialMatchLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** Text still held back at the end of generation (it never became a stop string). */
  flush(): string {
    const out = this.stopped ? '' : this.held;
    this.held = '';
    return out;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  private partialMatchLength(buffer: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buffer.length); n > best; n--) {
        if (buffer.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
