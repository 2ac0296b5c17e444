// vmlx against llama.cpp on tiny random qwen2 models in every supported weight format (see arch-suite.ts).
import { parityTests } from './arch-suite.js';

parityTests('qwen2', ['4-bit']);
