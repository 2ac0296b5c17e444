// npm run test:fuzz, quarter 2 of 4 (the quarters run in parallel): with the others, 100,000 random and mutated inputs through
// every registered parser, each parsed whole and streamed in random chunks (see fuzzQuarter in fuzz-core.ts).
import { fuzzQuarter } from './fuzz-core.js';

fuzzQuarter(2);
