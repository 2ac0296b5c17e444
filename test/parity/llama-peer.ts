// llama.cpp (through node-llama-cpp, CPU only) as the reference engine for parity tests: per-position
// log-probabilities of chosen tokens, its own argmax, greedy continuations and tokenization of a GGUF.
import { getLlama, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;
function llama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, logLevel: 'error' as never, build: 'never' });
  return llamaPromise;
}

export interface PeerPosition {
  /** llama.cpp's log-probability of each requested token. */
  logprobs: Map<number, number>;
  /** llama.cpp's most likely next token and its log-probability. */
  argmax: number;
  argmaxLogprob: number;
}

export class LlamaPeer {
  private constructor(private readonly model: LlamaModel, private readonly context: LlamaContext,
    private readonly seq: LlamaContextSequence) {}

  /**
   * Opens the GGUF on the CPU. One thread by default: ggml's workers spin at every op barrier, and on a loaded 2-core
   * machine a multi-threaded single-token decode then takes ~0.5 s instead of ~10 ms.
   * Flash attention: ggml's CPU kernel converts Q to f16 and accumulates V·softmax in f16; the plain path instead
   * rounds the softmax weights to f16 for its f16-V matmul. Measured against a float64 reference, flash attention is
   * the closer of the two on long natural-text sequences (≤ 5e-4 over 256 tokens), the plain path on short random
   * token sequences; callers choose.
   */
  static async open(gguf: string, contextSize = 512, opts: { threads?: number; flashAttention?: boolean } = {}): Promise<LlamaPeer> {
    const l = await llama();
    const model = await l.loadModel({ modelPath: gguf });
    const context = await model.createContext({
      contextSize, batchSize: contextSize, threads: opts.threads ?? 1, flashAttention: opts.flashAttention ?? true,
    });
    return new LlamaPeer(model, context, context.getSequence());
  }

  tokenize(text: string): number[] {
    return this.model.tokenize(text, true).map(Number);
  }

  /**
   * Teacher-forced evaluation of `tokens`; at position i, the log-probabilities of `want[i]` (normally the other
   * engine's top-k) and llama.cpp's own argmax. Uses raw logits and the total logit weight, which avoids moving the
   * full-vocabulary distribution into JavaScript.
   */
  async evaluate(tokens: number[], want: number[][]): Promise<PeerPosition[]> {
    await this.seq.clearHistory();
    const res = await this.seq.controlledEvaluate(tokens.map((t, i) => [t as Token, {
      generateNext: {
        // token + temperature 0 = llama.cpp's greedy pick, whose logit includeSelected adds to the filtered map.
        token: true,
        options: { temperature: 0 },
        logits: { filter: { tokens: want[i] as Token[], includeSelected: true } },
        totalLogitWeight: true,
      },
    }]));
    return res.map((r, i) => {
      const next = r?.next;
      if (!next?.logits || next.totalLogitWeight === undefined || next.token === undefined || next.token === null) {
        throw new Error(`llama.cpp returned no logits at position ${i}`);
      }
      const argmax = next.token;
      const max = next.logits.get(argmax)!;
      // totalLogitWeight = Σ exp(logit − max logit), so log Z = max + log(totalLogitWeight).
      const lse = max + Math.log(next.totalLogitWeight);
      const logprobs = new Map<number, number>();
      for (const [id, l] of next.logits) logprobs.set(id, l - lse);
      return { logprobs, argmax, argmaxLogprob: max - lse };
    });
  }

  /**
   * Greedy continuation of `prompt` for `n` tokens (end-of-generation tokens do not stop it), driven token by token
   * through controlledEvaluate: node-llama-cpp's generation iterator is far slower on a 150k vocabulary.
   */
  async greedy(prompt: number[], n: number): Promise<number[]> {
    await this.seq.clearHistory();
    const out: number[] = [];
    let input: number[] = prompt;
    while (out.length < n) {
      const last = input.length - 1;
      const res = await this.seq.controlledEvaluate(input.map((t, i) => i === last
        ? [t as Token, { generateNext: { token: true, options: { temperature: 0 } } }]
        : (t as Token)));
      const next = res[last]?.next?.token;
      if (next === undefined || next === null) throw new Error('llama.cpp returned no token');
      out.push(next);
      input = [next];
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
