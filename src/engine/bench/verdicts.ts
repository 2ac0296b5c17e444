// Verdicts of one bench report against the targets of issue 7. Memory and event-loop lag are judged on every run
// (their targets do not depend on the model); speed ratios, roofline fraction and load time only when a target for
// them is given (bench:all passes its per-row numbers, the CLI takes --target-* flags).
import type { BenchReport } from './run.js';

export const MAX_LAG_P99_MS = 20;

export interface BenchTargets {
  minDecodeRatio?: number;
  minPrefillRatio?: number;
  /** Fraction (0..1) of the decode roofline. */
  minRooflineFraction?: number;
  /** Warm-cache load (issue 7: under 2 s for a 4-bit 0.6B model). */
  maxWarmLoadMs?: number;
}

export interface BenchCheck {
  target: string;
  ok: boolean;
  /** The measured value against the bound, for the table. */
  detail: string;
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

export function judgeBench(r: Omit<BenchReport, 'checks' | 'pass'>, t: BenchTargets): BenchCheck[] {
  const checks: BenchCheck[] = [];
  const m = r.memory;
  checks.push({
    target: 'memory after load ≤ (files + KV) × 1.1',
    ok: m.growth_after_load_bytes <= m.budget_bytes,
    detail: `RSS growth ${mb(m.growth_after_load_bytes)} vs budget ${mb(m.budget_bytes)}`,
  });
  checks.push({
    target: 'memory after generation ≤ (files + KV) × 1.1',
    ok: m.growth_after_generation_bytes <= m.budget_bytes,
    detail: `RSS growth ${mb(m.growth_after_generation_bytes)} vs budget ${mb(m.budget_bytes)}`,
  });
  const lag = r.vmlx.event_loop_lag_ms;
  checks.push({ target: `event-loop lag p99 < ${MAX_LAG_P99_MS} ms`, ok: lag.p99 < MAX_LAG_P99_MS, detail: `p99 ${lag.p99.toFixed(1)} ms (max ${lag.max.toFixed(1)} ms)` });
  if (t.maxWarmLoadMs !== undefined) {
    checks.push({ target: `warm load < ${t.maxWarmLoadMs} ms`, ok: r.vmlx.warm_load_ms < t.maxWarmLoadMs, detail: `${r.vmlx.warm_load_ms} ms` });
  }
  const ratio = (name: 'decode' | 'prefill', min: number | undefined) => {
    if (min === undefined) return;
    const got = r.ratios?.[name];
    checks.push({ target: `${name} ≥ ${min}× llama.cpp`, ok: got !== undefined && got >= min, detail: got === undefined ? 'no llama.cpp run' : `${got.toFixed(2)}×` });
  };
  ratio('decode', t.minDecodeRatio);
  ratio('prefill', t.minPrefillRatio);
  if (t.minRooflineFraction !== undefined) {
    checks.push({
      target: `decode ≥ ${(100 * t.minRooflineFraction).toFixed(0)}% of roofline`, ok: r.decode_fraction_of_roofline >= t.minRooflineFraction,
      detail: `${(100 * r.decode_fraction_of_roofline).toFixed(0)}%`,
    });
  }
  return checks;
}
