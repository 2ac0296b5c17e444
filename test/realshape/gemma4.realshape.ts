// Gemma 4 E2B with 10 of its 35 layers (4 sliding : 1 full, the last 5 sharing KV), under language_model. beside vision and audio towers: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'gemma4', shape: 'gemma4-e2b-10l', note: /^note: gemma4: the vision and audio towers are not loaded; images and audio are not supported \(text only\)$/m });
