// Checks the scanner invariant of types.ts directly on one format: every non-final scan of a prefix is a
// prefix of the final scan of the whole text (same segments, the last text/reasoning or call may be shorter).

import type { Segment, ToolCallFormat } from '../../../src/agent/toolcalls/types.js';
import type { ToolDefinition } from '../../../src/engine/types.js';

function segmentIsPrefix(a: Segment, b: Segment, last: boolean): string | null {
  if (a.kind !== b.kind) return `kind ${a.kind} vs ${b.kind}`;
  if ((a.kind === 'text' || a.kind === 'reasoning') && (b.kind === 'text' || b.kind === 'reasoning')) {
    if (last ? !b.text.startsWith(a.text) : a.text !== b.text) return `${a.kind} ${JSON.stringify(a.text)} vs ${JSON.stringify(b.text)}`;
    return null;
  }
  if (a.kind === 'call' && b.kind === 'call') {
    if (a.name !== null && a.name !== b.name) return `name ${a.name} vs ${b.name}`;
    if (a.name === null && !last) return 'null name before the last segment';
    if (last ? !b.arguments.startsWith(a.arguments) : a.arguments !== b.arguments) {
      return `arguments ${JSON.stringify(a.arguments)} vs ${JSON.stringify(b.arguments)}`;
    }
    if (!last && a.complete !== b.complete) return 'complete flag differs before the last segment';
    if (a.complete && !b.complete) return 'complete turned incomplete';
    return null;
  }
  if (a.kind === 'warning' && b.kind === 'warning') {
    return JSON.stringify(a.warning) === JSON.stringify(b.warning) ? null : 'warning differs';
  }
  return null;
}

function firstDifference(part: Segment[], whole: Segment[]): string | null {
  // A trailing call without a name only holds text back (the driver shows nothing of it): it may still turn
  // out to be prose, so it is not compared.
  const last = part[part.length - 1];
  if (last && last.kind === 'call' && last.name === null) part = part.slice(0, -1);
  if (part.length > whole.length) return `${part.length} segments vs ${whole.length}`;
  for (let k = 0; k < part.length; k++) {
    const why = segmentIsPrefix(part[k], whole[k], k === part.length - 1);
    if (why) return `segment ${k}: ${why}`;
  }
  return null;
}

/**
 * Returns a description of the first violation, or null. Checks that the non-final scan of every prefix is a
 * prefix of the final scan, and of the non-final scan one character later (what the streaming driver needs).
 */
export function findPrefixViolation(format: ToolCallFormat, text: string, tools: ToolDefinition[] = []): string | null {
  const full = format.scan(text, { final: true, tools });
  let previous: Segment[] = [];
  for (let i = 0; i <= text.length; i++) {
    const part = format.scan(text.slice(0, i), { final: false, tools });
    const where = `at ${i} (${JSON.stringify(text.slice(0, i).slice(-30))})`;
    const vsFinal = firstDifference(part, full);
    if (vsFinal) return `${where} vs the final scan: ${vsFinal}`;
    const vsPrevious = firstDifference(previous, part);
    if (vsPrevious) return `${where} vs one character earlier: ${vsPrevious}`;
    previous = part;
  }
  return null;
}
