// Opening the authorization URL: $BROWSER when set (a ':'-separated list of commands, '%s' for the URL, as
// in other command-line tools), else the desktop's opener when there is a display. The URL is always
// printed too, so a login works over SSH and in scripts.
import { spawn } from 'node:child_process';

type Env = Record<string, string | undefined>;

/** The commands to try, each as argv with the URL in place. */
export function browserCommands(url: string, env: Env = process.env, platform: NodeJS.Platform = process.platform): string[][] {
  const fromEnv = env.BROWSER?.trim();
  if (fromEnv) {
    return fromEnv
      .split(':')
      .map((c) => c.trim())
      .filter((c) => c !== '')
      .map((c) => {
        const argv = c.split(/\s+/);
        return argv.some((a) => a.includes('%s')) ? argv.map((a) => a.replaceAll('%s', url)) : [...argv, url];
      });
  }
  if (platform === 'darwin') return [['open', url]];
  if (platform === 'win32') return [['cmd', '/c', 'start', '""', url]];
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return [['xdg-open', url]];
  return [];
}

/** Starts the first command that can be spawned; resolves to whether one was. Never waits for the browser. */
export async function openInBrowser(url: string, env: Env = process.env): Promise<boolean> {
  for (const argv of browserCommands(url, env)) {
    const started = await new Promise<boolean>((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
    if (started) return true;
  }
  return false;
}
