// Turns an AuditEntry into the redacted, size-bounded values that are stored. Every sink goes through
// this, so nothing unredacted is ever kept.
import { redact, redactAndTruncate, truncate } from '../mcp/redact.js';
import type { AuditDecision, AuditEntry, StoredDecision } from './types.js';

export const PREVIEW_MAX_CHARS = 500;
export const ERROR_MAX_CHARS = 2000;
export const ARGUMENTS_MAX_CHARS = 64 * 1024;

export interface PreparedRow {
  timeMs: number;
  session: string | null;
  origin: string;
  server: string;
  tool: string;
  argumentsJson: string;
  decision: StoredDecision;
  rule: string;
  success: 0 | 1;
  error: string | null;
  durationMs: number | null;
  resultSize: number | null;
  resultPreview: string | null;
}

export function normalizeDecision(d: AuditDecision): StoredDecision {
  if (d === 'allow') return 'allowed';
  if (d === 'deny') return 'denied';
  return d;
}

const clean = (s: string, max: number) => redactAndTruncate(s, max);
const optText = (s: string | undefined, max: number) => (s === undefined || s === '' ? null : clean(s, max));
const optNum = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

export function prepareRow(e: AuditEntry): PreparedRow {
  const timeMs = e.time === undefined ? Date.now() : typeof e.time === 'number' ? e.time : e.time.getTime();
  let argumentsJson = JSON.stringify(redact(e.arguments ?? null)) ?? 'null';
  // Still too big after per-value limits (many medium values): keep a valid JSON string of the head.
  if (argumentsJson.length > ARGUMENTS_MAX_CHARS) argumentsJson = JSON.stringify(truncate(argumentsJson, ARGUMENTS_MAX_CHARS));
  const session = e.session ?? e.sessionId;
  return {
    timeMs,
    session: session === undefined ? null : clean(session, 200),
    origin: clean(String(e.origin), 50),
    server: clean(e.server, 200),
    tool: clean(e.tool, 200),
    argumentsJson,
    decision: normalizeDecision(e.decision),
    rule: clean(e.rule, 200),
    success: e.success ? 1 : 0,
    error: optText(e.error, ERROR_MAX_CHARS),
    durationMs: optNum(e.durationMs),
    resultSize: optNum(e.resultSize),
    resultPreview: optText(e.resultPreview, PREVIEW_MAX_CHARS),
  };
}

export function parseArguments(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
