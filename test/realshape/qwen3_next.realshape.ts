// Qwen3-Next-80B-A3B with 2 of its 48 layers (a Gated DeltaNet layer with its fused in-projections, then a gated full
// attention one), 512 experts and a shared one; routers and shared-expert gates at 8 bits: see realshape.ts. Measured:
// 6.8e-4, greedy identical, 2.20 GB + a 15.66 GB twin, 707 s on 2 loaded cores.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'qwen3_next', shape: 'qwen3-next-80b-a3b-2l' });
