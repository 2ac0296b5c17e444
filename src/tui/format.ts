// Small text helpers for the REPL's components.

/** Arguments as one compact line (or pretty JSON when expanded). */
export function formatArgs(args: unknown, raw: string, pretty: boolean): string {
  if (args === null || args === undefined) return raw;
  try {
    return pretty ? JSON.stringify(args, null, 2) : JSON.stringify(args);
  } catch {
    return raw;
  }
}

export function truncateLine(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The first `maxLines` lines of `text` and how many were left out. */
export function previewLines(text: string, maxLines: number): { lines: string[]; hidden: number } {
  const lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length <= maxLines) return { lines, hidden: 0 };
  return { lines: lines.slice(0, maxLines), hidden: lines.length - maxLines };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

export function formatCount(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
