// The fuzz test's sample for npm test: SAMPLE_INPUTS random and mutated inputs (another seed than the quarters)
// through every registered parser, parsed whole and streamed. The 100,000-input run is npm run test:fuzz.
import { fuzzQuarter, SAMPLE_INPUTS } from './fuzz-core.js';

fuzzQuarter(9, SAMPLE_INPUTS, 'fuzz sample');
