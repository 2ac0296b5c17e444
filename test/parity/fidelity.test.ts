// The fidelity rule (see fidelity.ts) on tiny models of a plain decoder and the Gated DeltaNet hybrid (where
// activation rounding compounds most): vmlx's default activation path against its float path on the MLX 4-bit
// weights, no worse than llama.cpp's Q4_0 file against the F32 file of the same values. Each family costs about a
// minute of CPU, so the other families run in fidelity-families.fidelity.ts (npm run test:fidelity, run by .ci/run).
import { fidelityTests } from './fidelity.js';

fidelityTests(['qwen3', 'qwen3_5']);
