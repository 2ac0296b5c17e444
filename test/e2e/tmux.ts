// Drives a real terminal with tmux on a private server socket: start a command, type, read the screen.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure tmux exists; installs it with apt-get when missing and we are root (CI images), else fails clearly. */
export function ensureTmux(): void {
  if (hasTmux()) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    const apt = (...args: string[]) =>
      spawnSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
    // a fresh image may have empty package lists: update only when the plain install fails
    if (!apt('install', '-y', '-q', 'tmux')) apt('update', '-q') && apt('install', '-y', '-q', 'tmux');
  }
  if (!hasTmux()) throw new Error('these end-to-end tests need tmux (apt-get install tmux)');
}

export class TmuxSession {
  private readonly socket: string;
  private readonly name = 'vmlx';

  constructor(private readonly dir: string) {
    this.socket = `vmlx-e2e-${process.pid}-${Date.now()}`;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `command` in a fresh 120x40 terminal; the pane stays after it exits so its last screen can be read. */
  start(command: string, env: Record<string, string>): void {
    const conf = join(this.dir, 'tmux.conf');
    writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}';`)
      .join(' ');
    // The shell records the exit status in a file: tmux's own #{pane_dead_status} stays empty on some machines
    // (the pane is dead but the server has not reaped the child yet), so it cannot be relied on.
    const statusFile = this.statusFile();
    execFileSync('tmux', ['-L', this.socket, '-f', conf, 'new-session', '-d', '-s', this.name, '-x', '120', '-y', '40', `${exports} ${command}; echo $? > '${statusFile}'`]);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Everything the terminal holds: the scrollback and the screen, as a person scrolling up would see it. */
  scrollback(): string {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', this.name);
  }

  /** Literal text (no key names). */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** Pastes text as a terminal paste does (through a tmux buffer), for long texts. */
  paste(text: string): void {
    const file = join(this.dir, 'paste.txt');
    writeFileSync(file, text);
    this.tmux('load-buffer', '-b', 'vmlx-paste', file);
    this.tmux('paste-buffer', '-d', '-b', 'vmlx-paste', '-t', this.name);
  }

  key(name: string): void {
    this.tmux('send-keys', '-t', this.name, name);
  }

  private statusFile(): string {
    return join(this.dir, `${this.socket}.status`);
  }

  /** The exit status once the command has ended (as the shell reports it: 128+N for signal N), else null. */
  exitStatus(): number | null {
    if (!existsSync(this.statusFile())) return null;
    const text = readFileSync(this.statusFile(), 'utf8').trim();
    return text === '' ? null : Number(text);
  }

  /** Polls the screen until `check` accepts it; fails at the deadline with the screen in the message. */
  async waitFor(what: string, check: (screen: string) => boolean, deadlineMs = 20_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitForExit(deadlineMs = 20_000): Promise<number> {
    const start = Date.now();
    for (;;) {
      const status = this.exitStatus();
      if (status !== null) return status;
      if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for the command to exit; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}
