// SmolLM3-3B with 4 of its 36 layers (three RoPE layers, then the NoPE one): see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'smollm3', shape: 'smollm3-3b-4l' });
