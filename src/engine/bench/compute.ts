// The compute ceiling of prefill, as the bandwidth roofline is the ceiling of decode: the multiply-adds one prompt
// token costs, against the integer multiply-add peak the active kernel set reaches on this machine (measured by the
// addon with the matmul's own instruction for the run's activations: on AVX-512 VNNI vpdpwssd, 32 int16
// multiply-adds each, or vpdpbusd, 64 u8 x s8 ones).
import { loadAddon } from '../addon.js';
import type { ModelShape } from './measure.js';
import type { ActivationMode } from '../plan.js';

/**
 * Multiply-adds per token of a prefill of `promptTokens` tokens from an empty cache: every linear layer, causal
 * attention (q.k and p.v over the positions so far, averaged over the prompt) and the lm_head share of the one
 * position whose logits are computed. A mixture-of-experts layer counts what one token runs: the router, its topK
 * experts and the shared expert, not all experts.
 */
export function prefillMacsPerToken(s: ModelShape, promptTokens: number): number {
  const q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim;
  const H = s.hiddenSize;
  const attnLinear = H * (q + 2 * kv) + q * H;
  const denseMlp = 3 * H * s.intermediateSize;
  const m = s.moe;
  const moeMlp = m ? H * m.numExperts + 3 * H * (m.topK * m.expertIntermediateSize + m.sharedIntermediateSize) : 0;
  const moeLayers = m?.moeLayers ?? 0;
  const meanPositions = (promptTokens + 1) / 2;
  const attention = 2 * s.numHeads * s.headDim * meanPositions;
  return s.numLayers * (attnLinear + attention) + (s.numLayers - moeLayers) * denseMlp + moeLayers * moeMlp +
    (s.vocabSize * H) / promptTokens;
}

/**
 * G multiply-adds per second of the active kernel set's integer dot-product instruction on `threads` threads: the
 * int8 one for int8 activations, else the int16 one (float activations have no integer ceiling; int16's is shown).
 */
export async function measureDotPeakGMacs(threads: number, activations: ActivationMode): Promise<number> {
  return loadAddon().measureDotPeak(threads, activations === 'int8' ? 'int8' : 'int16');
}
