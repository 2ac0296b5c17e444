// vmlx against llama.cpp on tiny random llama models in every supported weight format (see arch-suite.ts).
import { parityTests } from './arch-suite.js';

parityTests('llama', ['8-bit', '4-bit']);
