// The arguments a model wrote for a call, parsed: a JSON object (empty text counts as `{}`).
export type ParsedArguments = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

export function parseArguments(raw: string): ParsedArguments {
  if (raw.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
    return { ok: false, error: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
