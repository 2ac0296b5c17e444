// vmlx against llama.cpp on tiny random Phi-3 / Phi-4-mini models: fused qkv_proj and gate_up_proj (split by row
// offsets in the tensor table, no copy), partial rotary (12 of 16 dims) and longrope (the long factors: the test
// context of 512 exceeds the 64-token original context in both engines).
import { parityTests } from './arch-suite.js';

parityTests('phi3', ['4-bit']);
