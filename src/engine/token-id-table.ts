// A vocabulary's token → id lookup over its id → token array: one Int32Array of ids (open addressing, linear
// probing) instead of a Map holding an entry per token. For a 151k vocabulary that is 1 MB instead of the Map's
// 7 MB; the token strings themselves are the vocabulary array's, shared.

/** FNV-1a over the string's UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Map-like (get, has, size) for the lookups the tokenizer library makes once built. */
export class TokenIdTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `vocab[id]` is the token of each id; every token must occur once (checked by the caller). */
  constructor(private readonly vocab: readonly string[]) {
    let size = 16;
    while (size < vocab.length * 1.5) size *= 2; // load factor at most 2/3
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let id = 0; id < vocab.length; id++) {
      let i = hashString(vocab[id]!) & this.mask;
      while (this.slots[i] !== -1) i = (i + 1) & this.mask;
      this.slots[i] = id;
    }
  }

  get size(): number {
    return this.vocab.length;
  }

  get(token: unknown): number | undefined {
    if (typeof token !== 'string') return undefined;
    for (let i = hashString(token) & this.mask; ; i = (i + 1) & this.mask) {
      const id = this.slots[i]!;
      if (id === -1) return undefined;
      if (this.vocab[id] === token) return id;
    }
  }

  has(token: unknown): boolean {
    return this.get(token) !== undefined;
  }
}
