// vmlx against llama.cpp on tiny random Gemma 4 models in the multimodal checkpoint layout (text model under
// `language_model.`, token vision and audio towers left unread): alternating sliding (32-token window, head_dim 32,
// two KV heads) and full layers (head_dim 64, one KV head, v from k_proj, proportional RoPE over 8 of 32 pairs),
// plain-w sandwich norms, v RMSNorm, q·k unscaled, the last two layers sharing earlier layers' KV with double-wide
// MLPs, per-layer inputs, layer_scalar and the final logit soft-cap.
// The mixture-of-experts variant (gemma4-moe-tiny, 26B-A4B's layout): 8 GeGLU experts of 64, 2 per token, beside
// every layer's dense MLP, with the router's input scale and per-expert scales; its router at 8 bits in the 4-bit model.
// Top-k routing is discontinuous: llama.cpp's f16 roundings in attention move its router logits by ~1e-3, enough to
// take a router call within that of a tie the other way. Seeds 1, 3 and 4 each have one such position (4-bit
// position 117, layer 4, gap 5.4e-4; f32 position 51, layer 5, 4.2e-4; f32 position 126, layer 5, 1.8e-4) off by
// 0.4-0.9; taking that one call the other way in vmlx (evaluate's routerFlip) gives llama.cpp's log-probabilities
// there within 1.2e-3. The log-probability comparison has no router near-tie rule, so the test uses seed 2, whose
// routers have no call that close in either configuration.
import { test } from 'node:test';
import { parityTests } from './arch-suite.js';
import { checkParity } from './parity-check.js';

parityTests('gemma4', ['4-bit']);

// The f32 configuration runs in dtype-matrix.parity-full.ts.
const MOE_CONFIGS = [['4-bit', { dtype: 'bf16', bits: 4 }]] as const;

for (const [label, cfg] of MOE_CONFIGS) {
  test(`gemma4 MoE ${label}: log-probabilities and greedy continuation match llama.cpp`, async (t) => {
    await checkParity(t, { arch: 'gemma4', shape: 'gemma4-moe-tiny', seed: 2, ...cfg });
  });
}
