// vmlx against llama.cpp (arch qwen3next) on tiny random Qwen3-Next hybrids: the Gated DeltaNet with its
// in-projections fused per key head (in_proj_qkvz, in_proj_ba; llama.cpp splits its fused ssm_in on its own, so the
// two engines' readings of that layout are independent), gated full attention, and a mixture of experts with a
// sigmoid-gated shared expert in every layer. One quantized configuration (4-bit, with its 8-bit routers, shared-expert
// gates and lm_head) in npm test; the float ones are in test:parity-full.
import { parityTests } from './arch-suite.js';

parityTests('qwen3_next', ['4-bit']);
