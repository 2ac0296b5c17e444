// Tool-call ids: unique within one response, shaped the way a family's history template expects.
import { seededRandom } from '../../../engine/seeded-random.js';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export type IdStyle = 'openai' | 'mistral9' | 'kimi';

/** The seeded PRNG behind deterministic ids, re-exported for the parser tools and tests. */
export { seededRandom };

export interface IdGenerator {
  next(name: string, index: number): string;
}

/** A generator for one response. `seed` makes it deterministic (tests); otherwise Math.random is used. */
export function createIdGenerator(style: IdStyle = 'openai', seed?: number): IdGenerator {
  const rand = seed === undefined ? Math.random : seededRandom(seed);
  const used = new Set<string>();
  const alnum = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)];
    return s;
  };
  return {
    next(name: string, index: number): string {
      for (;;) {
        const id = style === 'mistral9' ? alnum(9) : style === 'kimi' ? `functions.${name}:${index}` : `call_${alnum(24)}`;
        if (!used.has(id)) {
          used.add(id);
          return id;
        }
        if (style === 'kimi') {
          const alt = `functions.${name}:${index}_${alnum(4)}`;
          if (!used.has(alt)) {
            used.add(alt);
            return alt;
          }
        }
      }
    },
  };
}
