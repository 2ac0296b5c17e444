// vmlx against llama.cpp (arch qwen3moe) on tiny random Qwen3 MoE models: 8 experts, 2 per token, every router at
// 8 bits in the 4-bit model as mlx-lm writes it. The attention is Qwen3's, whose suite covers the other formats
// (f32 and 8-bit pass here too: run parityTests('qwen3_moe') to see; bf16 runs in npm run test:parity-full).
import { parityTests } from './arch-suite.js';

parityTests('qwen3_moe', ['4-bit']);
