// The fidelity rule (see fidelity.ts) on a tiny plain decoder: vmlx's default activation path against its float path
// on the MLX 4-bit weights, no worse than llama.cpp's Q4_0 file against the F32 file of the same values. Each family
// costs about half a minute of CPU, so the other families (the Gated DeltaNet hybrid, where activation rounding
// compounds most, first) run in fidelity-families.fidelity.ts (npm run test:fidelity, run by .ci/run).
import { fidelityTests } from './fidelity.js';

fidelityTests(['qwen3']);
