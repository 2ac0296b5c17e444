// The fidelity rule (see fidelity.ts) on tiny models of the families whose blocks differ (plain decoder, llama rope,
// Gemma's sandwich norms and GELU, MoE, the Gated DeltaNet hybrid): vmlx's default activation path against its float
// path on the MLX 4-bit weights, no worse than llama.cpp's Q4_0 file against the F32 file of the same values.
// The remaining families run in fidelity-families.fidelity.ts (npm run test:fidelity).
import { fidelityTests } from './fidelity.js';

fidelityTests(['qwen3', 'llama', 'gemma3_text', 'qwen3_moe', 'qwen3_5']);
