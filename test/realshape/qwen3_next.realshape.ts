// Qwen3-Next-80B-A3B with 2 of its 48 layers (a Gated DeltaNet layer with its fused in-projections, then a gated full
// attention one), 512 experts and a shared one; routers and shared-expert gates at 8 bits: see realshape.ts.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'qwen3_next', shape: 'qwen3-next-80b-a3b-2l' });
