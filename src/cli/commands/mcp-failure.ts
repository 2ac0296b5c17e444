// Why a stdio MCP server failed, from its stderr log: the line that says it, not the last one. A server run
// through npx that does not exist ends its stderr with npm's "A complete log of this run can be found in ..."
// while the real cause ("npm error 404 Not Found - GET ...") comes a few lines earlier.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The log's last bytes are enough: the failure is at its end. */
const TAIL_BYTES = 16 * 1024;
const TAIL_LINES = 40;

const NOISE = /complete log of this run|^npm (error|ERR!)\s*$|^--- .* ---$/i;
const TELLING = [/not found/i, /\b404\b|\bE404\b/, /\bE[A-Z]{3,}\b|ERR!|\berror\b|Error:|exception|cannot|not allowed|denied/i];

/** The most telling line among the last lines of a server's stderr, if any. */
export function tellingStderrLine(lines: readonly string[]): string | undefined {
  const recent = lines.slice(-TAIL_LINES).map((l) => l.trim()).filter((l) => l !== '' && !NOISE.test(l));
  for (const pattern of TELLING) {
    const hit = recent.find((l) => pattern.test(l));
    if (hit) return hit;
  }
  return recent.at(-1);
}

/** The last lines of a log file ([] when it cannot be read). */
export function readLogTail(path: string): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').split(/\r?\n/);
  } finally {
    closeSync(fd);
  }
}

/** A status error without a "(last stderr: ...)" note that only repeats npm's pointer to its own log. */
export function withoutNoisyStderr(error: string): string {
  return error.replace(/ \(last stderr: ([^)]*)\)$/, (note, line: string) => (NOISE.test(line.trim()) ? '' : note));
}
