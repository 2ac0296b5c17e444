// The chat session's log file under the vmlx home: warnings, errors and anything libraries print, so nothing
// writes over the terminal UI.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '../paths.js';

export class SessionLog {
  private constructor(readonly file: string, private readonly sessionId: string) {}

  /** Opens (creates) `<dir>/chat-YYYY-MM-DD.log`. */
  static open(dir: string, sessionId: string, now = new Date()): SessionLog {
    ensurePrivateDir(dir, { tighten: true }); // logs hold prompts and tool activity: the user's only
    const file = join(dir, `chat-${now.toISOString().slice(0, 10)}.log`);
    ensurePrivateFile(file);
    return new SessionLog(file, sessionId);
  }

  write(level: 'info' | 'warn' | 'error', message: string): void {
    const line = `${new Date().toISOString()} ${this.sessionId.slice(0, 8)} ${level} ${message.replace(/\n/g, '\n    ')}\n`;
    try {
      appendFileSync(this.file, line);
    } catch {
      // a full disk must not take the chat down; the log is best effort
    }
  }

  /** Sends console.* to the log until the returned function is called. */
  captureConsole(): () => void {
    const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
    const to = (level: 'info' | 'warn' | 'error') => (...args: unknown[]) =>
      this.write(level, args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' '));
    console.log = to('info');
    console.info = to('info');
    console.debug = to('info');
    console.warn = to('warn');
    console.error = to('error');
    return () => Object.assign(console, saved);
  }
}
