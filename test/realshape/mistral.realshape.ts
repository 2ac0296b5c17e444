// Mistral Small 3.x / Devstral Small (model_type mistral) with 2 of its 40 layers: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'mistral', shape: 'mistral-small-3-2l' });
