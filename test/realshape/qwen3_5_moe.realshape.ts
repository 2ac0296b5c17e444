// Qwen3.5-35B-A3B with 4 of its 40 layers (three Gated DeltaNet, one gated full attention), 256 experts and a shared one; routers and shared-expert gates at 8 bits: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'qwen3_5_moe', shape: 'qwen3.5-35b-a3b-4l', chatArgs: ['--no-thinking'], note: /^note: qwen3_5_moe: the vision tower is not loaded; images are not supported \(text only\)$/m });
