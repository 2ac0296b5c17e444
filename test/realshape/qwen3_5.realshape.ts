// Qwen3.5-0.8B's widths with 8 of its 24 layers (two groups of three Gated DeltaNet layers and a gated full-attention one), under language_model.: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'qwen3_5', shape: 'qwen3.5-0.8b', chatArgs: ['--no-thinking'], note: /^note: qwen3_5: the vision tower is not loaded; images are not supported \(text only\)$/m });
