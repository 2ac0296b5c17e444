// Waits for a promise at most `ms`; undefined when the time ran out first (the timer never keeps Node alive).
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}
