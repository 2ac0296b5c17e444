// Gemma 3 4B's text model with 6 of its 34 layers (five local, one global, linear RoPE scaling), under language_model. beside a vision tower: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'gemma3', shape: 'gemma3-4b-6l', note: /^note: gemma3: the vision tower is not loaded; images are not supported \(text only\)$/m });
