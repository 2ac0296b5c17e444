// vmlx against llama.cpp on tiny random qwen3 models in every supported weight format (see arch-suite.ts).
import { parityTests } from './arch-suite.js';

parityTests('qwen3', ['8-bit', '4-bit']);
