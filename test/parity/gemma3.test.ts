// vmlx against llama.cpp on tiny random Gemma 3 models: five sliding-window layers (32-token window, local RoPE
// base) and one global layer (linear RoPE scaling), sandwich (1 + w) norms, GeLU, the embedding scale, q/k norms.
// gemma3_text is the text checkpoint; gemma3 is the VLM checkpoint (text model under `language_model.`).
import { parityTests } from './arch-suite.js';

parityTests('gemma3_text', ['4-bit']);
// Seeds 1 and 2 draw weights for this layout whose greedy continuation is degenerate (3 and 7 distinct tokens).
parityTests('gemma3', ['4-bit'], 3);
