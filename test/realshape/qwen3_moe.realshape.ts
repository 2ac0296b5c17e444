// Qwen3-30B-A3B in its real shape with 2 of its 48 (identical, sparse) layers; routers at 8 bits as the mlx-community 4-bit repo has them: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'qwen3_moe', shape: 'qwen3-30b-a3b-2l' });
