// The float64 reference's mixture-of-experts feed-forward (Qwen3 MoE: softmax router, top-k, renormalised weights,
// SwiGLU experts from MLX's stacked switch_mlp tensors). Experts are dequantized on first use, so a real-width
// checkpoint costs only the experts its tokens reach. Each call reports the router's full softmax so callers can see
// how close the k-th and (k+1)-th experts were.
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * One token's routing: the router's logits and softmax over all experts (float64) and the chosen experts, best first.
 * A callback may replace `chosen` (to see what another selection would give); the experts run after it returns.
 */
export interface RouteRecord {
  logits: Float64Array;
  probs: Float64Array;
  chosen: number[];
}

export type MatVec = (m: DenseMatrix, x: Float64Array) => Float64Array;
/** Dequantizes rows [row0, row0 + rows) of `<name>` (a linear weight or a stacked [E, rows, cols] one) to float32. */
export type LoadRows = (name: string, row0: number, rows: number, cols: number) => DenseMatrix;

export interface MoeConfig {
  numExperts: number;
  topK: number;
  intermediate: number;
  hidden: number;
  normTopK: boolean;
}

export class ReferenceMoe {
  private readonly experts = new Map<number, { gate: DenseMatrix; up: DenseMatrix; down: DenseMatrix }>();

  constructor(
    private readonly cfg: MoeConfig,
    private readonly router: DenseMatrix,
    private readonly prefix: string,
    private readonly loadRows: LoadRows,
    private readonly matVec: MatVec,
  ) {}

  static config(c: Record<string, any>): MoeConfig | undefined {
    if (!c.num_experts) return undefined;
    return {
      numExperts: c.num_experts, topK: c.num_experts_per_tok, intermediate: c.moe_intermediate_size,
      hidden: c.hidden_size, normTopK: Boolean(c.norm_topk_prob),
    };
  }

  static tensorNames(prefix: string): string[] {
    return ['gate_proj', 'up_proj', 'down_proj'].map((p) => `${prefix}.switch_mlp.${p}`);
  }

  forward(x: Float64Array, record?: (r: RouteRecord) => void): Float64Array {
    const { numExperts: E, topK: K, normTopK, hidden: H } = this.cfg;
    const logits = this.matVec(this.router, x);
    let mx = -Infinity;
    for (const l of logits) mx = Math.max(mx, l);
    const probs = new Float64Array(E);
    let z = 0;
    for (let e = 0; e < E; e++) z += probs[e] = Math.exp(logits[e] - mx);
    for (let e = 0; e < E; e++) probs[e] /= z;
    const rec: RouteRecord = { logits, probs, chosen: [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, K) };
    record?.(rec);
    const { chosen } = rec;
    let total = 0;
    for (const e of chosen) total += probs[e];
    const out = new Float64Array(H);
    for (const e of chosen) {
      const ex = this.expert(e);
      const g = this.matVec(ex.gate, x);
      const u = this.matVec(ex.up, x);
      for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
      const y = this.matVec(ex.down, g);
      const w = normTopK ? probs[e] / total : probs[e];
      for (let i = 0; i < H; i++) out[i] += w * y[i];
    }
    return out;
  }

  private expert(e: number) {
    let ex = this.experts.get(e);
    if (!ex) {
      const { intermediate: I, hidden: H } = this.cfg;
      const [gate, up, down] = ReferenceMoe.tensorNames(this.prefix);
      ex = { gate: this.loadRows(gate, e * I, I, H), up: this.loadRows(up, e * I, I, H), down: this.loadRows(down, e * H, H, I) };
      this.experts.set(e, ex);
    }
    return ex;
  }
}
