// vmlx against llama.cpp (its mistral3 architecture) on a tiny Mistral Small 3.x layout: the text model under a
// `language_model.` prefix with its per-layer quantization overrides, a vision tower beside it that must be ignored.
import { parityTests } from './arch-suite.js';

parityTests('mistral3', ['4-bit']);
