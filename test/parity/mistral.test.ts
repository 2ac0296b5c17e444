// vmlx against llama.cpp on tiny random Mistral models (model_type mistral, which mlx-lm and llama.cpp both run as
// Llama): explicit head_dim wider than hidden/heads, rope_theta 1e9, untied output. The Llama suite covers the
// remaining weight formats of the same blocks.
import { parityTests } from './arch-suite.js';

parityTests('mistral', ['4-bit']);
