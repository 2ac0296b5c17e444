// One abort listener per caller signal, however many MCP calls run under it. The MCP SDK adds an abort listener to
// the signal of every request and never removes it, so each call gets a fresh signal that follows the caller's.
// Calls in flight per caller signal, and the one listener that forwards its abort to them all.
const inFlight = new WeakMap<AbortSignal, { calls: Set<AbortController>; forward: () => void }>();

/**
 * A fresh signal that follows `parent` until unlink() is called (undefined when there is no parent). However
 * many calls run at once under one parent, the parent carries a single listener, removed with the last call.
 */
export function linkedSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined; unlink: () => void } {
  if (!parent) return { signal: undefined, unlink: () => {} };
  const own = new AbortController();
  if (parent.aborted) {
    own.abort(parent.reason);
    return { signal: own.signal, unlink: () => {} };
  }
  let group = inFlight.get(parent);
  if (!group) {
    const calls = new Set<AbortController>();
    const forward = () => {
      for (const c of calls) c.abort(parent.reason);
    };
    group = { calls, forward };
    inFlight.set(parent, group);
    parent.addEventListener('abort', forward, { once: true });
  }
  const g = group;
  g.calls.add(own);
  return {
    signal: own.signal,
    unlink: () => {
      g.calls.delete(own);
      if (g.calls.size === 0 && inFlight.get(parent) === g) {
        parent.removeEventListener('abort', g.forward);
        inFlight.delete(parent);
      }
    },
  };
}
