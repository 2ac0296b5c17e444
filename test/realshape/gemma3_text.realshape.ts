// Gemma 3 1B with 6 of its 26 layers (five local, one global): see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'gemma3_text', shape: 'gemma3-1b-6l' });
