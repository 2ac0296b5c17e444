// Order statistics for the serving bench: nearest-rank percentiles over the samples of one concurrency level.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Spread {
  p50: number;
  p99: number;
}

/**
 * One sample per key, the median by `value` of that key's samples (the lower middle for an even count), keys in the
 * order first seen: rounds of a measurement interleaved so that a drift of the machine's speed touches every key.
 */
export function medianBy<T>(samples: readonly T[], key: (x: T) => number, value: (x: T) => number): T[] {
  const groups = new Map<number, T[]>();
  for (const s of samples) {
    const k = key(s);
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  return [...groups.values()].map((g) => [...g].sort((a, b) => value(a) - value(b))[(g.length - 1) >> 1]!);
}

export function spread(samples: readonly number[]): Spread {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
