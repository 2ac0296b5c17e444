// Roots: the directories vmlx tells MCP servers they may work in. The working directory by default, more with
// --root, and per server from the config. A change is pushed to every connected server as
// notifications/roots/list_changed; servers then ask again with roots/list.
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Root } from '@modelcontextprotocol/sdk/types.js';

/** A --root or config root that is not an existing directory. */
export class RootPathError extends Error {
  readonly userFacing = true;
  constructor(readonly path: string, readonly source: string) {
    super(`${source}: root '${path}' is not a directory`);
    this.name = 'RootPathError';
  }
}

/** A directory as an MCP root (file:// URI, named after its last path segment). */
export function rootFor(dir: string, source = '--root'): Root {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new RootPathError(dir, source);
  return { uri: pathToFileURL(abs).href, name: basename(abs) || abs };
}

export class RootsRegistry {
  private shared: Root[];
  private readonly perServer = new Map<string, Root[]>();
  private readonly listeners = new Set<(server: string | undefined) => void>();

  /** `dirs` are the roots every server sees (default: the working directory). */
  constructor(dirs: string[] = [process.cwd()]) {
    this.shared = dedupe(dirs.map((d) => rootFor(d)));
  }

  /** Roots of one server: the shared ones plus the server's own from the config. */
  list(server: string): Root[] {
    return dedupe([...this.shared, ...(this.perServer.get(server) ?? [])]);
  }

  /** Sets the config roots of one server (does not notify: it is called before the server connects). */
  setServerRoots(server: string, dirs: string[], source: string): void {
    this.perServer.set(server, dedupe(dirs.map((d) => rootFor(d, source))));
  }

  /** Adds a shared root and tells every server (no-op when it is already there). */
  add(dir: string): Root {
    const root = rootFor(dir);
    if (!this.shared.some((r) => r.uri === root.uri)) {
      this.shared = [...this.shared, root];
      this.changed(undefined);
    }
    return root;
  }

  /** Removes a shared root by directory; true when it was there. */
  remove(dir: string): boolean {
    const uri = pathToFileURL(resolve(dir)).href;
    const before = this.shared.length;
    this.shared = this.shared.filter((r) => r.uri !== uri);
    if (this.shared.length === before) return false;
    this.changed(undefined);
    return true;
  }

  /** Called with the server whose roots changed, or undefined when every server's did. */
  onChange(listener: (server: string | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(server: string | undefined): void {
    for (const l of [...this.listeners]) l(server);
  }
}

function dedupe(roots: Root[]): Root[] {
  const seen = new Set<string>();
  return roots.filter((r) => (seen.has(r.uri) ? false : (seen.add(r.uri), true)));
}
