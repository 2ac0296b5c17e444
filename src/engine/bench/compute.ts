// The compute ceiling of prefill, as the bandwidth roofline is the ceiling of decode: the multiply-adds one prompt
// token costs, against the integer multiply-add peak the active kernel set reaches on this machine (measured by the
// addon with the matmul's own instruction: vpdpwssd on AVX-512 VNNI, 32 int16 multiply-adds each).
import { loadAddon } from '../addon.js';
import type { ModelShape } from './measure.js';

/**
 * Multiply-adds per token of a prefill of `promptTokens` tokens from an empty cache: every linear layer, causal
 * attention (q.k and p.v over the positions so far, averaged over the prompt) and the lm_head share of the one
 * position whose logits are computed.
 */
export function prefillMacsPerToken(s: ModelShape, promptTokens: number): number {
  const q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim;
  const linear = s.hiddenSize * (q + 2 * kv) + q * s.hiddenSize + 3 * s.hiddenSize * s.intermediateSize;
  const meanPositions = (promptTokens + 1) / 2;
  const attention = 2 * s.numHeads * s.headDim * meanPositions;
  return s.numLayers * (linear + attention) + (s.vocabSize * s.hiddenSize) / promptTokens;
}

/** G multiply-adds per second of the active kernel set's integer dot-product instruction on `threads` threads. */
export async function measureDotPeakGMacs(threads: number): Promise<number> {
  return loadAddon().measureDotPeak(threads);
}
