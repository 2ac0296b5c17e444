// gpt-oss-20b with 2 of its 24 layers (one sliding, one full): MXFP4 experts, the rest 8-bit, as the MXFP4-Q8 conversions: see realshape.ts for what is checked.
import { realShapeTest } from './realshape.js';

realShapeTest({ arch: 'gpt_oss', shape: 'gpt-oss-20b-2l', quantMode: 'mxfp4' });
