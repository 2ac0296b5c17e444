// The raw bytes each token of a byte-level BPE vocabulary stands for (for incremental detokenizing), cached per id.

/** GPT-2's reversible byte ↔ printable-character table used by byte-level BPE vocabularies. */
function byteLevelDecoderTable(): Map<string, number> {
  const table = new Map<string, number>();
  const direct: number[] = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const directSet = new Set(direct);
  for (const b of direct) table.set(String.fromCharCode(b), b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!directSet.has(b)) table.set(String.fromCharCode(256 + n++), b);
  }
  return table;
}

export class TokenBytesCache {
  private readonly cache = new Map<number, Uint8Array>();
  private readonly byteTable = byteLevelDecoderTable();
  private readonly utf8 = new TextEncoder();

  constructor(
    private readonly addedTokens: ReadonlyMap<number, { content: string }>,
    private readonly idToToken: (id: number) => string | undefined,
  ) {}

  /** Added tokens give their literal UTF-8; a piece's characters outside the byte table keep their own text. */
  get(id: number): Uint8Array {
    let bytes = this.cache.get(id);
    if (bytes) return bytes;
    const added = this.addedTokens.get(id);
    if (added) bytes = this.utf8.encode(added.content);
    else {
      const out: number[] = [];
      for (const ch of this.idToToken(id) ?? '') {
        const b = this.byteTable.get(ch);
        if (b !== undefined) out.push(b);
        else for (const x of this.utf8.encode(ch)) out.push(x);
      }
      bytes = Uint8Array.from(out);
    }
    this.cache.set(id, bytes);
    return bytes;
  }
}
