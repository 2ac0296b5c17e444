// Captures a stdio server's stderr into a per-server log file (never the terminal, which would break
// the TUI's frame) and keeps the last lines in memory to explain a failure.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ensurePrivateDir, ensurePrivateFile } from '../paths.js';
import { sanitizeNamePart } from './tool-names.js';

const TAIL_LINES = 20;

export function serverLogPath(logDir: string, server: string): string {
  return join(logDir, `mcp-${sanitizeNamePart(server)}.log`);
}

export class ServerStderrLog {
  readonly path: string;
  private readonly file: WriteStream;
  private readonly lines: string[] = [];
  private partial = '';
  private closed = false;

  constructor(logDir: string, server: string) {
    ensurePrivateDir(logDir, { tighten: true }); // server output can hold anything: the user's only
    this.path = serverLogPath(logDir, server);
    try {
      ensurePrivateFile(this.path);
    } catch {
      /* reported through the stream's error handler below, which ignores it */
    }
    this.file = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    // A log file that cannot be written must not take the server down with it.
    this.file.on('error', () => {});
  }

  /** Writes a marker line (process start, exit) so restarts are visible in the file. */
  note(message: string): void {
    if (this.closed) return;
    this.file.write(`--- ${new Date().toISOString()} ${message} ---\n`);
  }

  /** Follows one child's stderr; the file stays open across restarts. */
  attach(stream: Readable): void {
    stream.on('data', (chunk: Buffer | string) => {
      if (this.closed) return;
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      this.file.write(text);
      this.remember(text);
    });
    stream.on('error', () => {});
  }

  /** The last stderr lines (most recent last). */
  tail(n = 3): string[] {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.file.end(() => resolve()));
  }

  private remember(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > TAIL_LINES) this.lines.shift();
    }
    if (this.partial.length > 4096) this.partial = this.partial.slice(-4096);
  }
}
