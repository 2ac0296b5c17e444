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

  static async open(gguf: string, contextSize = 512, threads = 2): Promise<LlamaPeer> {
    const l = await llama();
    const model = await l.loadModel({ modelPath: gguf });
    const context = await model.createContext({ contextSize, batchSize: contextSize, threads, flashAttention: true });
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
    const seq = this.seq;
    await seq.clearHistory();
    {
      const res = await seq.controlledEvaluate(tokens.map((t, i) => [t as Token, {
        generateNext: { logits: { filter: { tokens: want[i] as Token[], includeMax: true } }, totalLogitWeight: true },
      }]));
      return res.map((r, i) => {
        const next = r?.next;
        if (!next?.logits || next.totalLogitWeight === undefined) throw new Error(`llama.cpp returned no logits at position ${i}`);
        let max = -Infinity;
        let argmax = -1;
        for (const [id, l] of next.logits) if (l > max) { max = l; argmax = id; }
        const lse = max + Math.log(next.totalLogitWeight);
        const logprobs = new Map<number, number>();
        for (const [id, l] of next.logits) logprobs.set(id, l - lse);
        return { logprobs, argmax, argmaxLogprob: max - lse };
      });
    }
  }

  /** Greedy continuation of `prompt` for `n` tokens (end-of-generation tokens do not stop it). */
  async greedy(prompt: number[], n: number): Promise<number[]> {
    const seq = this.seq;
    await seq.clearHistory();
    {
      const out: number[] = [];
      for await (const t of seq.evaluate(prompt as Token[], { temperature: 0 })) {
        out.push(t);
        if (out.length >= n) break;
      }
      return out;
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
