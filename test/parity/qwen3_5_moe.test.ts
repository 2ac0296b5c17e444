// vmlx against llama.cpp (arch qwen35moe) on tiny random Qwen3.5 MoE hybrids: the qwen3_5 layers with a mixture of
// experts (8 experts, 2 per token, renormalised) and a sigmoid-gated shared expert as every MLP. The DeltaNet and
// MoE blocks have their weight-format matrices in qwen3_5 and qwen3_moe; this checks their composition.
import { parityTests } from './arch-suite.js';

parityTests('qwen3_5_moe', ['4-bit']);
