// vmlx against llama.cpp on tiny random SmolLM3 models: the Llama decoder with every fourth layer NoPE (no RoPE).
import { parityTests } from './arch-suite.js';

parityTests('smollm3', ['4-bit']);
