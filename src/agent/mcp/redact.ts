// Redaction for everything that is logged about a tool call: values under sensitive keys, secrets that are
// recognisable inside strings, and sizes (long strings, long arrays, deep nesting are cut with a marker).

export const REDACTED = '[REDACTED]';

/** Object keys whose values are never logged (any depth, any case, substring match). */
export const SENSITIVE_KEY_RE = /password|passwd|token|secret|key|credential|auth|cookie|session[-_]?id/i;

export interface RedactOptions {
  /** Longest string kept; longer ones are cut with a marker. */
  maxString?: number;
  /** Most array items kept. */
  maxItems?: number;
  /** Deepest nesting kept. */
  maxDepth?: number;
}

const DEFAULTS: Required<RedactOptions> = { maxString: 2000, maxItems: 200, maxDepth: 12 };

// Each pattern keeps a recognisable prefix (group 1 when present) and masks the rest.
const STRING_SECRETS: Array<[RegExp, (m: string, ...g: string[]) => string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, () => '[REDACTED PRIVATE KEY]'],
  // A bearer or basic credential anywhere, however short; other scheme words only when the value looks like a token.
  [/\b(Bearer|Basic)\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]+/g, (_m, scheme) => `${scheme} ${REDACTED}`],
  [/\b(Bearer|Basic|Token)\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]{6,}/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // curl/wget style user:password options: -u user:pw, -uuser:pw, --user=user:pw, --proxy-user user:pw.
  [
    /(^|[\s"'])(-u|-U|--user|--proxy-user)(=|\s+|)(["']?)([^\s:"']*):(?!\[REDACTED)[^\s"']+/g,
    (_m, lead, flag, sep, quote, user) => `${lead}${flag}${sep}${quote}${user}:${REDACTED}`,
  ],
  // --password VALUE, --api-key VALUE, --token VALUE (the '=' and ':' forms are below).
  [
    /(^|[\s"'])(--?[A-Za-z-]{0,40}(?:password|passwd|token|secret|api-?key)[A-Za-z-]{0,40})(\s+)(["']?)(?![-\[])[^\s"']+/gi,
    (_m, lead, flag, sp, quote) => `${lead}${flag}${sp}${quote}${REDACTED}`,
  ],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, () => REDACTED], // JWT
  [/\b(sk|rk|pk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{16,}/g, () => REDACTED], // OpenAI/Anthropic/Stripe style
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/g, () => REDACTED],
  [/\bglpat-[A-Za-z0-9_-]{16,}/g, () => REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, () => REDACTED], // Slack
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, () => REDACTED], // AWS access key id
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, () => REDACTED], // Google API key
  [/\bhf_[A-Za-z0-9]{20,}/g, () => REDACTED], // Hugging Face
  // user:password@ in URLs
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, (_m, head) => `${head}:${REDACTED}@`],
  // name=value / name: value where the name looks sensitive (query strings, env dumps, JSON text)
  [
    // Anchored at the keyword (not at an optional name prefix) so the scan stays linear on long strings.
    /((?:password|passwd|pwd|token|secret|api[_-]?key|apikey|key|credential|auth)[A-Za-z0-9_.-]{0,40}["']?\s{0,8}[=:]\s{0,8})(?!(?:Bearer|Basic|Token)\s|\[REDACTED)("[^"]*"|'[^']*'|[^\s&,;"'}]+)/gi,
    (_m, head) => `${head}${REDACTED}`,
  ],
];

const HEADER_RE = /(["']?)\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token|api-key)(["']?\s{0,8}[:=]\s{0,8})(["']?)(?:(Bearer|Basic|Digest|Token|Negotiate)\s+)?/gi;

/**
 * Header values by header name, whatever their length (Authorization keeps its scheme word). The value ends
 * where its quoting ends ('Cookie: a=1' in -H '...', "Cookie": "a=1" in JSON), else at the end of the line.
 */
function redactHeaderValues(s: string): string {
  let out = '';
  let from = 0;
  HEADER_RE.lastIndex = 0;
  for (let m = HEADER_RE.exec(s); m; m = HEADER_RE.exec(s)) {
    const [whole, before, name, sep, open, scheme] = m as unknown as [string, string, string, string, string, string | undefined];
    const valueStart = m.index + whole.length;
    if (s.startsWith(REDACTED, valueStart)) continue;
    const quote = open || before;
    const stop = quote ? s.indexOf(quote, valueStart) : -1;
    const eol = s.slice(valueStart).search(/[\r\n]/);
    const end = stop >= 0 ? stop : eol >= 0 ? valueStart + eol : s.length;
    if (end === valueStart) continue;
    out += `${s.slice(from, m.index)}${before}${name}${sep}${open}${scheme ? `${scheme} ` : ''}${REDACTED}`;
    from = end;
    HEADER_RE.lastIndex = end;
  }
  return out + s.slice(from);
}

/** Masks secrets recognisable inside a string (tokens, keys, credentials in URLs, key=value pairs). */
export function redactString(s: string): string {
  let out = redactHeaderValues(s);
  for (const [re, fn] of STRING_SECRETS) out = out.replace(re, fn as (m: string, ...g: string[]) => string);
  return out;
}

/** Cuts a string to `max` characters with a marker saying how much was dropped. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

/**
 * Redacts and cuts a string to `max` characters. Only a bounded head is scanned, so huge values cost little.
 * A token-like run cut at that boundary (up to 512 chars) is dropped whole, so a secret sliced in two cannot
 * slip past the patterns as a fragment that no longer matches.
 */
export function redactAndTruncate(s: string, max: number): string {
  if (s.length <= max) return redactString(s);
  const head = s.slice(0, max * 2 + 1024).replace(/[A-Za-z0-9_+/=.~-]{1,512}$/, '');
  const red = redactString(head);
  const kept = red.slice(0, max);
  return `${kept}…[truncated ${s.length - Math.min(kept.length, max)} chars]`;
}

// Flags and header names whose next list element is a secret: ['-u', 'user:pw'], ['Cookie', 'sid=1'], ['--token', 't'].
const USER_FLAG_RE = /^(-u|-U|--user|--proxy-user)$/;
const SECRET_NEIGHBOUR_RE = /^((proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token|api-key|--?[a-z-]{0,40}(password|passwd|token|secret|api-?key)[a-z-]{0,40})$/i;

/** The redacted form of `item` when the element before it marks it as a secret, else undefined. */
function secretAfter(prev: unknown, item: unknown): string | undefined {
  if (typeof prev !== 'string' || typeof item !== 'string') return undefined;
  if (USER_FLAG_RE.test(prev)) {
    const colon = item.indexOf(':');
    return colon < 0 ? undefined : `${redactAndTruncate(item.slice(0, colon), 200)}:${REDACTED}`;
  }
  if (!SECRET_NEIGHBOUR_RE.test(prev)) return undefined;
  const scheme = /^(Bearer|Basic|Digest|Token|Negotiate)\s/i.exec(item);
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
}

/** A redacted, size-bounded copy of any JSON-like value. Never mutates its input. */
export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  const o = { ...DEFAULTS, ...opts };
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactAndTruncate(v, o.maxString);
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v !== 'object') return v === undefined ? null : `[${typeof v}]`;
    if (seen.has(v)) return '[circular]';
    if (depth >= o.maxDepth) return '[truncated: nested too deep]';
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        // An argv or a header list keeps the secret in the element after its flag or name.
        const items = v.slice(0, o.maxItems).map((x, i) => secretAfter(v[i - 1], x) ?? walk(x, depth + 1));
        if (v.length > o.maxItems) items.push(`…[truncated ${v.length - o.maxItems} items]`);
        return items;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined) continue; // as JSON would
        const key = redactAndTruncate(k, 200);
        out[key] = SENSITIVE_KEY_RE.test(k) ? REDACTED : walk(x, depth + 1);
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}
