// Mistral Small 3.1's text model with 2 of its 40 layers, under language_model. beside a Pixtral tower: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'mistral3', shape: 'mistral-small-3-2l', note: /^note: mistral3: the vision tower is not loaded; images are not supported \(text only\)$/m });
