// The progress display of a pull, on stderr: on a terminal one live block (a line per file being downloaded with
// bytes, speed and ETA, and a total line), redrawn in place with plain ANSI; otherwise a plain line per file.
import { formatBytes } from '../engine/hub/bytes.js';
import type { PullEvent } from '../engine/hub/index.js';

interface FileState {
  size: number;
  done: number;
  resumedFrom: number;
  startedAt: number;
}

export { formatBytes };

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Speed (bytes/s over this run) and ETA of `done` of `size` bytes, `fresh` of them fetched since `startedAt`. */
function rate(fresh: number, remaining: number, startedAt: number, now: number): string {
  const secs = (now - startedAt) / 1000;
  const speed = secs > 0 ? fresh / secs : 0;
  return `${formatBytes(speed)}/s  ETA ${formatDuration(speed > 0 ? remaining / speed : Infinity)}`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class PullProgress {
  private readonly files = new Map<string, FileState>();
  private total = 0;
  private fetched = 0;
  private startedAt: number;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly live: boolean;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(
    private readonly out: ProgressOutput,
    opts: { live?: boolean; prefix?: string; now?: () => number } = {},
  ) {
    this.live = opts.live ?? out.isTTY === true;
    this.prefix = opts.prefix ?? 'vmlx';
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  readonly onEvent = (e: PullEvent): void => {
    switch (e.type) {
      case 'resolved':
        this.line(`${e.repoId}@${e.revision} is commit ${e.commit.slice(0, 12)}`);
        break;
      case 'plan': {
        const todo = e.files.filter((f) => !f.cached);
        this.total = e.downloadBytes;
        this.startedAt = this.now();
        const cached = e.files.length - todo.length;
        this.line(`${todo.length} file${todo.length === 1 ? '' : 's'} to download (${formatBytes(e.downloadBytes)})${cached ? `, ${cached} already cached` : ''}`);
        if (this.live && todo.length > 0) this.timer = setInterval(() => this.draw(), 200).unref();
        break;
      }
      case 'file-start':
        this.files.set(e.path, { size: e.size, done: e.resumedFrom, resumedFrom: e.resumedFrom, startedAt: this.now() });
        if (e.resumedFrom > 0) this.line(`${e.path}: resuming at ${formatBytes(e.resumedFrom)} of ${formatBytes(e.size)}`);
        break;
      case 'file-bytes': {
        const f = this.files.get(e.path);
        if (f) f.done += e.bytes;
        this.fetched += e.bytes;
        break;
      }
      case 'file-restart': {
        const f = this.files.get(e.path);
        if (f) f.done = f.resumedFrom = 0;
        break;
      }
      case 'file-retry':
        this.line(`${e.path}: ${e.reason}; retrying (attempt ${e.attempt + 1})`);
        break;
      case 'file-wait':
        this.line(`${e.path}: another process is downloading it; waiting`);
        break;
      case 'file-done': {
        const f = this.files.get(e.path);
        this.files.delete(e.path);
        if (!e.downloaded) break;
        const secs = f ? (this.now() - f.startedAt) / 1000 : 0;
        const speed = f && secs > 0 ? ` (${formatBytes((f.done - f.resumedFrom) / secs)}/s)` : '';
        this.line(`${e.path}: ${formatBytes(e.size)} in ${secs.toFixed(1)} s${speed}, verified`);
        break;
      }
      case 'done':
        this.stop();
        this.line(`ready: ${e.dir}`);
        break;
    }
  };

  /** Clears the live block (call on failure too, so an error line is not drawn over). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private line(text: string): void {
    this.clear();
    this.out.write(`${this.prefix}: ${text}\n`);
    this.draw();
  }

  private clear(): void {
    if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (!this.live || !this.timer) return;
    this.clear();
    const rows = this.liveRows();
    this.out.write(`${rows.join('\n')}\n`);
    this.drawnLines = rows.length;
  }

  /** The live block: a row per file being downloaded (bytes, percent, speed, ETA) and the total. */
  liveRows(): string[] {
    const now = this.now();
    const rows: string[] = [];
    for (const [path, f] of this.files) {
      const pct = f.size > 0 ? Math.floor((100 * f.done) / f.size) : 100;
      rows.push(`  ${path}  ${formatBytes(f.done)} / ${formatBytes(f.size)} ${pct}%  ${rate(f.done - f.resumedFrom, f.size - f.done, f.startedAt, now)}`);
    }
    rows.push(`  total  ${formatBytes(this.fetched)} / ${formatBytes(this.total)}  ${rate(this.fetched, this.total - this.fetched, this.startedAt, now)}`);
    return rows;
  }
}
