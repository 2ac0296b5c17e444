// The one place a model argument becomes a directory: a local directory as given; an id from the Hugging Face cache
// without any network; else (unless offline) pulled into the cache first.
import { basename, resolve as resolvePath } from 'node:path';
import { HubUnreachableError, NotCachedError, RepoNotFoundError } from './errors.js';
import { readRef, repoCache, snapshotDir } from './cache-layout.js';
import type { PullListener } from './pull-events.js';
import { pullModel } from './pull.js';
import { formatRepoSpec, parseModelReference } from './reference.js';
import { hubSettings, type HubSettings } from './settings.js';
import { missingModelFiles } from './snapshot-check.js';

export interface ResolvedModel {
  dir: string;
  /** Where the directory came from. */
  source: 'dir' | 'cache' | 'download';
  /** For an id: the repository, revision and commit. */
  repoId?: string;
  revision?: string;
  commit?: string;
  /** A short name for displays: the repository id, or the directory name. */
  displayName: string;
}

export interface ResolveOptions {
  offline?: boolean;
  onEvent?: PullListener;
  /** Tests pass settings; otherwise they come from the environment. */
  settings?: HubSettings;
}

/** A complete snapshot of repoId@revision in the cache, or why there is none. */
export function findCachedModel(settings: HubSettings, repoId: string, revision: string): { dir: string; commit: string } | { missing: string } {
  const cache = repoCache(settings.cacheDir, repoId);
  const commit = readRef(cache, revision);
  if (!commit) return { missing: 'not in the cache' };
  const dir = snapshotDir(cache, commit);
  const missing = missingModelFiles(dir);
  if (missing.length > 0) return { missing: `incomplete in the cache (missing ${missing.join(', ')})` };
  return { dir, commit };
}

export async function resolveModel(arg: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const ref = parseModelReference(arg);
  if (ref.kind === 'dir') return { dir: ref.path, source: 'dir', displayName: basename(ref.path) };
  const settings = opts.settings ?? hubSettings({ offline: opts.offline });
  const spec = formatRepoSpec(ref.repoId, ref.revision);
  const base = { repoId: ref.repoId, revision: ref.revision, displayName: spec };
  const cached = findCachedModel(settings, ref.repoId, ref.revision);
  if ('dir' in cached) return { ...base, dir: cached.dir, commit: cached.commit, source: 'cache' };
  if (settings.offline) {
    throw new NotCachedError(`${spec} is ${cached.missing} (${settings.cacheDir}) and offline mode (HF_HUB_OFFLINE or --offline) forbids downloading it`);
  }
  try {
    const pulled = await pullModel(ref.repoId, ref.revision, { settings, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    return { ...base, dir: pulled.dir, commit: pulled.commit, source: 'download' };
  } catch (err) {
    // `models/foo` with a typo in a relative path also reads as an id: say that no such directory exists either.
    if (err instanceof RepoNotFoundError && !arg.includes('@')) throw new RepoNotFoundError(`${err.message}; there is no directory ${resolvePath(arg)} either`);
    if (err instanceof HubUnreachableError && cached.missing === 'not in the cache') {
      throw new NotCachedError(`${spec} is not in the Hugging Face cache (${settings.cacheDir}) and ${err.detail}`);
    }
    throw err;
  }
}
