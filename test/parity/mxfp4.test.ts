// MLX mxfp4 weights (E2M1 codes in groups of 32 with E8M0 scales, no biases; 8-bit affine overrides beside them)
// against llama.cpp on the exactly dequantized twin, on the Qwen3 decoder. On the tiny Qwen3 MoE the same weights
// meet a router near-tie (a top-2/top-3 probability gap of 6e-6 at one token) that sends the two engines to different
// experts, so the format is checked where routing cannot hide or cause a difference.
import { parityTests } from './arch-suite.js';

parityTests('qwen3', ['mxfp4']);
