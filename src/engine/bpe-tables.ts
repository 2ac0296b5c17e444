// Compact BPE tables for the JS tokenizer. @huggingface/tokenizers keeps its merge ranks in a Map keyed by
// JSON.stringify([left, right]): for Qwen3's 151k merges that is 16 MB of the tokenizer's 30 MB heap (a key string
// and a Map entry per merge), and its token → id Map another 7 MB. Here the ranks sit in typed arrays keyed by the
// two tokens' ids (3 MB) and token → id in a TokenIdTable over the vocabulary array (1 MB); the library's BPE model
// looks both up through them. Used only when the result is provably the same: each vocabulary id names one token
// and every merge part is a vocabulary token, so a pair of ids stands for exactly one pair of strings.
import { TokenIdTable } from './token-id-table.js';

/** Ranks of (left id, right id) pairs: open addressing with linear probing over power-of-two typed arrays. */
export class MergeRanks {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly mask: number;

  constructor(capacityFor: number) {
    let size = 16;
    while (size < capacityFor * 1.5) size *= 2; // load factor at most 2/3
    this.left = new Int32Array(size).fill(-1);
    this.right = new Int32Array(size);
    this.rank = new Int32Array(size);
    this.mask = size - 1;
  }

  private slot(a: number, b: number): number {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask;
    while (this.left[i] !== -1 && (this.left[i] !== a || this.right[i] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  /** A later rank for the same pair replaces the earlier one, as the library's Map construction does. */
  set(a: number, b: number, rank: number): void {
    const i = this.slot(a, b);
    this.left[i] = a;
    this.right[i] = b;
    this.rank[i] = rank;
  }

  /** The pair's rank, or -1 when the pair is not a merge. */
  get(a: number, b: number): number {
    const i = this.slot(a, b);
    return this.left[i] === -1 ? -1 : this.rank[i]!;
  }
}

/** The fields of the library's BPE model this module reads and replaces (checked before use, never trusted). */
interface BpeModelInternals {
  merges: unknown;
  bpe_ranks: unknown;
  tokens_to_ids: unknown;
  vocab: unknown;
  add_node: unknown;
}

interface MergeNode {
  token: string;
  bias: number;
  score?: number;
  next: MergeNode;
}

/**
 * Replaces the BPE model's string-keyed rank Map with MergeRanks and its token → id Map with a TokenIdTable. Returns false, leaving the model as it was, when
 * the model is not the library's BPE as this version builds it, when two tokens share an id, or when some merge part
 * is not a vocabulary token (ids could then not stand for the strings). Must run before the merges array is emptied.
 */
export function compactBpeTables(model: unknown): boolean {
  // The library's models are callable objects (functions).
  if ((typeof model !== 'object' && typeof model !== 'function') || model === null) return false;
  const m = model as BpeModelInternals;
  const { merges, tokens_to_ids: ids, vocab } = m;
  if (!(m.bpe_ranks instanceof Map) || !(ids instanceof Map) || !Array.isArray(vocab) || !Array.isArray(merges)) return false;
  if (typeof m.add_node !== 'function' || merges.length === 0 || merges.length !== m.bpe_ranks.size) return false;
  // Every id names exactly one token (the vocabulary is a bijection), so a pair of ids stands for one pair of strings.
  if (ids.size !== vocab.length) return false;
  for (let id = 0; id < vocab.length; id++) if (typeof vocab[id] !== 'string' || ids.get(vocab[id]) !== id) return false;
  const ranks = new MergeRanks(merges.length);
  for (let r = 0; r < merges.length; r++) {
    const pair: unknown = merges[r];
    if (!Array.isArray(pair) || pair.length !== 2) return false;
    const a: unknown = ids.get(pair[0]), b: unknown = ids.get(pair[1]);
    if (typeof a !== 'number' || typeof b !== 'number') return false;
    ranks.set(a, b, r);
  }
  const tokenIds = new TokenIdTable(vocab as string[]);
  // The library's add_node, with the rank found by ids: a token that is no vocabulary entry is in no merge.
  m.add_node = function addNode(queue: { push(node: MergeNode): void }, node: MergeNode): void {
    const a = tokenIds.get(node.token), b = tokenIds.get(node.next.token);
    if (a === undefined || b === undefined) return;
    const rank = ranks.get(a, b);
    if (rank < 0) return;
    node.score = rank + node.bias;
    queue.push(node);
  };
  m.bpe_ranks = null;
  m.merges = []; // only the constructor reads it
  // After the build the library only calls get and has on it (the added tokens were set into it while building).
  m.tokens_to_ids = tokenIds;
  return true;
}
