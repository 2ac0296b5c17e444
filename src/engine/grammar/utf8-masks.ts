// A constrained generation never emits bytes that are not well-formed UTF-8. XGrammar reads a string's characters
// leniently (the 3-byte encoding of a UTF-16 surrogate, ED A0..BF xx, counts as one character), and the
// detokenizer turns such bytes into U+FFFD replacement characters: junk, and three characters where the grammar
// counted one, which overruns a maxLength. The grammar thread follows the output with the automaton of Unicode's
// well-formed byte sequences (Table 3-7): each vocabulary token either walks it without error from a state (it
// may end inside a multi-byte character, a valid non-final state) or not. Per state, the tokens that walk are a
// precomputed mask ANDed into the grammar's bitmask at every step.

/** Automaton states: between characters, or the continuation bytes the current character still needs. */
export const enum Utf8State {
  Start = 0,
  /** One continuation byte 80..BF left. */
  Tail1 = 1,
  /** Two continuation bytes 80..BF left. */
  Tail2 = 2,
  /** Three continuation bytes 80..BF left. */
  Tail3 = 3,
  /** After E0: A0..BF (no overlong 3-byte form), then one more. */
  AfterE0 = 4,
  /** After ED: 80..9F (no surrogates), then one more. */
  AfterED = 5,
  /** After F0: 90..BF (no overlong 4-byte form), then two more. */
  AfterF0 = 6,
  /** After F4: 80..8F (nothing above U+10FFFF), then two more. */
  AfterF4 = 7,
}
export const UTF8_STATE_COUNT = 8;
const ERROR = -1;

/** The state after `byte`, or -1 when the byte cannot come next. */
export function utf8Step(state: number, byte: number): number {
  switch (state) {
    case Utf8State.Start:
      if (byte <= 0x7f) return Utf8State.Start;
      if (byte >= 0xc2 && byte <= 0xdf) return Utf8State.Tail1;
      if (byte === 0xe0) return Utf8State.AfterE0;
      if (byte === 0xed) return Utf8State.AfterED;
      if (byte >= 0xe1 && byte <= 0xef) return Utf8State.Tail2;
      if (byte === 0xf0) return Utf8State.AfterF0;
      if (byte === 0xf4) return Utf8State.AfterF4;
      if (byte >= 0xf1 && byte <= 0xf3) return Utf8State.Tail3;
      return ERROR;
    case Utf8State.Tail1:
    case Utf8State.Tail2:
    case Utf8State.Tail3:
      return byte >= 0x80 && byte <= 0xbf ? state - 1 : ERROR;
    case Utf8State.AfterE0:
      return byte >= 0xa0 && byte <= 0xbf ? Utf8State.Tail1 : ERROR;
    case Utf8State.AfterED:
      return byte >= 0x80 && byte <= 0x9f ? Utf8State.Tail1 : ERROR;
    case Utf8State.AfterF0:
      return byte >= 0x90 && byte <= 0xbf ? Utf8State.Tail2 : ERROR;
    case Utf8State.AfterF4:
      return byte >= 0x80 && byte <= 0x8f ? Utf8State.Tail2 : ERROR;
    default:
      return ERROR;
  }
}

/** The state after all of `bytes`, or -1. */
export function utf8Walk(state: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length && state >= 0; i++) state = utf8Step(state, bytes[i]!);
  return state;
}

/**
 * Per automaton state, the vocabulary's allowed tokens (a bitmask in XGrammar's layout: bit i of word i>>5) and
 * where each token leads. A token without bytes (a stop token, an unused id) may only come between characters.
 */
export class Utf8Masks {
  private readonly masks: Int32Array[] = [];
  private readonly next: Int8Array[] = [];

  constructor(vocabSize: number, bytesOf: (id: number) => Uint8Array) {
    const words = Math.ceil(vocabSize / 32);
    for (let s = 0; s < UTF8_STATE_COUNT; s++) {
      this.masks.push(new Int32Array(words));
      this.next.push(new Int8Array(vocabSize).fill(ERROR));
    }
    for (let id = 0; id < vocabSize; id++) {
      const bytes = bytesOf(id);
      for (let s = 0; s < UTF8_STATE_COUNT; s++) {
        const to = bytes.length === 0 ? (s === Utf8State.Start ? s : ERROR) : utf8Walk(s, bytes);
        if (to < 0) continue;
        this.next[s]![id] = to;
        this.masks[s]![id >>> 5]! |= 1 << (id & 31);
      }
    }
  }

  /**
   * ANDs the state's mask into `mask` in place. If that would leave nothing (the grammar allows only tokens that
   * break a character, which a well-formed grammar never does), the grammar's mask is kept: an empty mask cannot
   * be sampled. Returns whether the mask was narrowed.
   */
  narrow(state: number, mask: Int32Array): boolean {
    const allowed = this.masks[state]!;
    const n = Math.min(mask.length, allowed.length);
    let any = false;
    for (let w = 0; w < n; w++) if ((mask[w]! & allowed[w]!) !== 0) any = true;
    if (!any) return false;
    for (let w = 0; w < n; w++) mask[w]! &= allowed[w]!;
    return true;
  }

  /** The state after `token`; back to Start when the token was not allowed (a mask that could not be narrowed). */
  advance(state: number, token: number): number {
    const to = this.next[state]?.[token] ?? ERROR;
    return to < 0 ? Utf8State.Start : to;
  }

  /** Whether `token` may follow in `state`. */
  allows(state: number, token: number): boolean {
    return ((this.masks[state]![token >>> 5]! >>> (token & 31)) & 1) === 1;
  }
}

const utf8 = new TextEncoder();

/** A vocabulary token's bytes: byte-level pieces, <0xNN> byte-fallback pieces, SentencePiece '▁' as a space. */
export function vocabBytes(tok: {
  byteLevel: boolean;
  addedTokens: ReadonlyMap<number, { content: string }>;
  idToToken(id: number): string | undefined;
  tokenBytes(id: number): Uint8Array;
}): (id: number) => Uint8Array {
  if (tok.byteLevel) return (id) => tok.tokenBytes(id);
  return (id) => {
    const added = tok.addedTokens.get(id);
    if (added) return utf8.encode(added.content);
    const piece = tok.idToToken(id) ?? '';
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (byte) return Uint8Array.of(parseInt(byte[1]!, 16));
    return utf8.encode(piece.replace(/\u2581/g, ' '));
  };
}
