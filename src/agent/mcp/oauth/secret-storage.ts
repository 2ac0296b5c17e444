// Where the token store's text lives: the OS keyring through `secret-tool` (libsecret) on Linux when that
// command exists and a session bus is there to reach the keyring, else a file with mode 0600. One secret per
// vmlx home (its token-file path is the item's attribute), so two homes never share logins.
// VMLX_TOKEN_STORE=file forces the file (scripts, tests, machines whose keyring is locked).
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export interface SecretStorage {
  /** Said in `vmlx mcp login` output: where the tokens went. */
  readonly description: string;
  /** The stored text, or undefined when nothing was stored yet. */
  read(): string | undefined;
  write(text: string): void;
}

type Env = Record<string, string | undefined>;

/** The 0600 file: written beside the target with its final mode, then renamed (never world-readable, never torn). */
export class FileSecretStorage implements SecretStorage {
  constructor(readonly path: string) {}

  get description(): string {
    return `the file ${this.path} (mode 0600)`;
  }

  read(): string | undefined {
    return existsSync(this.path) ? readFileSync(this.path, 'utf8') : undefined;
  }

  write(text: string): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}

/** The keyring failed (locked, no daemon) or VMLX_TOKEN_STORE is wrong; the message says which. */
export class SecretStorageError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'SecretStorageError';
  }
}

function keyringFailed(detail: string): SecretStorageError {
  return new SecretStorageError(`the keyring (secret-tool) failed: ${detail} (set VMLX_TOKEN_STORE=file to keep logins in a 0600 file instead)`);
}

export class SecretToolStorage implements SecretStorage {
  readonly description = 'the system keyring (secret-tool)';
  private readonly attributes: string[];

  constructor(
    private readonly command: string,
    home: string,
  ) {
    this.attributes = ['service', 'vmlx-mcp-auth', 'home', home];
  }

  read(): string | undefined {
    const r = spawnSync(this.command, ['lookup', ...this.attributes], { encoding: 'utf8' });
    if (r.error) throw keyringFailed(r.error.message);
    // lookup exits 1 with no output when there is no such item.
    if (r.status !== 0) {
      if (r.stderr.trim() === '') return undefined;
      throw keyringFailed(r.stderr.trim().split('\n')[0]!);
    }
    return r.stdout === '' ? undefined : r.stdout;
  }

  write(text: string): void {
    const r = spawnSync(this.command, ['store', '--label', 'vmlx MCP logins', ...this.attributes], { input: text, encoding: 'utf8' });
    if (r.error) throw keyringFailed(r.error.message);
    if (r.status !== 0) throw keyringFailed(r.stderr.trim().split('\n')[0] || `exit status ${r.status}`);
  }
}

/** The first executable `name` on PATH. */
export function onPath(name: string, env: Env = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The keyring where it can work, else the file at `filePath`. */
export function defaultSecretStorage(filePath: string, env: Env = process.env, platform: NodeJS.Platform = process.platform): SecretStorage {
  const forced = env.VMLX_TOKEN_STORE;
  if (forced !== undefined && forced !== '' && forced !== 'file' && forced !== 'keyring') {
    throw new SecretStorageError(`VMLX_TOKEN_STORE must be 'file' or 'keyring', not '${forced}'`);
  }
  if (forced !== 'file' && platform === 'linux') {
    const command = onPath('secret-tool', env);
    if (command && (forced === 'keyring' || env.DBUS_SESSION_BUS_ADDRESS)) return new SecretToolStorage(command, filePath);
    if (forced === 'keyring') throw new SecretStorageError('VMLX_TOKEN_STORE=keyring, but secret-tool is not on PATH');
  }
  return new FileSecretStorage(filePath);
}
