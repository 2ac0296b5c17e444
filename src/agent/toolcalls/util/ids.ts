// Tool-call ids: unique within one response, shaped the way a family's history template expects.
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export type IdStyle = 'openai' | 'mistral9' | 'kimi';

/** Small seeded PRNG (mulberry32) so tests can ask for deterministic ids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
