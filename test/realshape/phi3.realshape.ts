// Phi-4-mini with 2 of its 32 layers (fused qkv and gate_up, partial rotary, longrope): see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'phi3', shape: 'phi-4-mini-2l' });
