// vmlx against llama.cpp (arch gpt-oss) on tiny random gpt-oss models: biases on q/k/v/o, attention sinks, a 32-token
// sliding window on even layers (the 256-token sequence and the 32 + 64-token greedy run both slide past it), YaRN
// RoPE (factor 32, the real model's correction dims), a biased router whose top-2 logits are softmaxed, and clamped
// SwiGLU experts with biases. bf16 holds every weight as the file has it; mxfp4 is the released layout (experts in
// MXFP4, every other Linear at 8-bit affine, routers included).
import { parityTests } from './arch-suite.js';

parityTests('gpt_oss', ['mxfp4']);
