// `pull`: the commit a revision names, the files it needs, a refusal before any weight is fetched when vmlx cannot
// run the model, a free-space check, then several downloads at once into blobs/ (each under a lock), and only when
// all are verified, the snapshots/<commit>/ links and refs/<revision>. An interrupted pull leaves no partial snapshot.
import { existsSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DiskSpaceError, UnsupportedRepoModelError } from './errors.js';
import { formatBytes } from './bytes.js';
import { blobPath, linkSnapshotFile, lockPath, repoCache, snapshotDir, writeBlob, writeRef } from './cache-layout.js';
import { downloadBlob } from './blob-download.js';
import { checkCompatibility } from './compatibility.js';
import { hashBytes } from './file-hash.js';
import { withFileLock } from './lock.js';
import { selectModelFiles, toRemoteFile, WEIGHT_INDEX, type RemoteFile } from './model-files.js';
import type { PlannedFile, PullListener } from './pull-events.js';
import { formatRepoSpec } from './reference.js';
import { fetchSmallFile, listRepoFiles, resolveCommit, type RepoTarget } from './remote.js';
import { ChecksumMismatchError } from './errors.js';
import type { HubSettings } from './settings.js';

export const DEFAULT_CONCURRENCY = 4;

export interface PullOptions {
  settings: HubSettings;
  onEvent?: PullListener;
  concurrency?: number;
}

export interface PulledModel {
  repoId: string;
  revision: string;
  commit: string;
  dir: string;
  downloadedBytes: number;
}

/** A small file fetched into memory, checked against its git id, and kept as a blob. */
async function fetchVerified(t: RepoTarget, commit: string, file: RemoteFile): Promise<Buffer> {
  const bytes = await fetchSmallFile(t, commit, file.path);
  const actual = hashBytes(file.hashKind, bytes);
  if (actual !== file.etag) {
    throw new ChecksumMismatchError(`${t.repoId}/${file.path}: hash mismatch (the hub lists ${file.etag}, the download has ${actual}); nothing was kept`);
  }
  return bytes;
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new UnsupportedRepoModelError(`${what} is not valid JSON (${(err as Error).message})`);
  }
}

function freeBytes(dir: string): number {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const s = statfsSync(probe);
  return s.bavail * s.bsize;
}

export async function pullModel(repoId: string, revision: string, opts: PullOptions): Promise<PulledModel> {
  const t: RepoTarget = { repoId, revision, settings: opts.settings };
  const spec = formatRepoSpec(repoId, revision);
  const emit = opts.onEvent ?? (() => {});
  const cache = repoCache(opts.settings.cacheDir, repoId);

  const commit = await resolveCommit(t);
  emit({ type: 'resolved', repoId, revision, commit });
  const entries = await listRepoFiles(t, commit);
  selectModelFiles(spec, entries); // no safetensors at all: say so before fetching anything
  const byPath = new Map(entries.map((e) => [e.path, e]));

  // config.json first: refuse what the engine cannot run before a single weight byte moves.
  const configEntry = byPath.get('config.json');
  if (!configEntry) throw new UnsupportedRepoModelError(`${spec} has no config.json, so it is not a model vmlx can load`);
  const configFile = toRemoteFile(configEntry);
  const configBytes = await fetchVerified(t, commit, configFile);
  const verdict = checkCompatibility(parseJson(configBytes, `${spec}/config.json`));
  if (!verdict.runnable) throw new UnsupportedRepoModelError(`${spec}: vmlx cannot run this model: ${verdict.reason}; nothing was downloaded`);
  // The engine reads the tokenizer from tokenizer.json only (not tokenizer.model or vocab files).
  if (!byPath.has('tokenizer.json')) {
    throw new UnsupportedRepoModelError(`${spec}: vmlx cannot run this model: it has no tokenizer.json (vmlx reads the tokenizer from it); nothing was downloaded`);
  }

  let shards: string[] | undefined;
  let indexBytes: Buffer | undefined;
  const indexEntry = byPath.get(WEIGHT_INDEX);
  if (indexEntry) {
    indexBytes = await fetchVerified(t, commit, toRemoteFile(indexEntry));
    const index = parseJson(indexBytes, `${spec}/${WEIGHT_INDEX}`) as { weight_map?: Record<string, string> };
    shards = [...new Set(Object.values(index.weight_map ?? {}))];
  }
  const files = selectModelFiles(spec, entries, shards);

  const plan: PlannedFile[] = files.map((f) => {
    const blob = blobPath(cache, f.etag);
    const cached = existsSync(blob);
    const partial = !cached && existsSync(`${blob}.incomplete`) ? statSync(`${blob}.incomplete`).size : 0;
    return { path: f.path, size: f.size, cached, partial: Math.min(partial, f.size) };
  });
  const downloadBytes = plan.reduce((sum, p) => sum + (p.cached ? 0 : p.size - p.partial), 0);
  const free = freeBytes(opts.settings.cacheDir);
  if (downloadBytes > free) {
    throw new DiskSpaceError(`${spec}: not enough disk space in ${opts.settings.cacheDir}: ${formatBytes(downloadBytes)} to download, ${formatBytes(free)} free`);
  }
  emit({ type: 'plan', files: plan, downloadBytes });

  mkdirSync(dirname(blobPath(cache, 'x')), { recursive: true });
  writeBlob(cache, configFile.etag, configBytes);
  if (indexEntry && indexBytes) writeBlob(cache, toRemoteFile(indexEntry).etag, indexBytes);

  let downloadedBytes = 0;
  const abort = new AbortController();
  const queue = files.filter((f) => !existsSync(blobPath(cache, f.etag)));
  for (const f of files) if (!queue.includes(f)) emit({ type: 'file-done', path: f.path, size: f.size, downloaded: false });

  const fetchOne = async (f: RemoteFile): Promise<void> => {
    const blob = blobPath(cache, f.etag);
    await withFileLock(
      lockPath(cache, f.etag),
      async () => {
        if (existsSync(blob)) {
          emit({ type: 'file-done', path: f.path, size: f.size, downloaded: false }); // another process finished it
          return;
        }
        let resumedFrom = 0;
        let started = false;
        const start = () => {
          if (!started) emit({ type: 'file-start', path: f.path, size: f.size, resumedFrom });
          started = true;
        };
        await downloadBlob({
          target: t, commit, file: f, blob, signal: abort.signal,
          onResume: (bytes) => (resumedFrom = bytes),
          onBytes: (bytes) => {
            start();
            downloadedBytes += bytes;
            emit({ type: 'file-bytes', path: f.path, bytes });
          },
          onRestart: () => emit({ type: 'file-restart', path: f.path }),
          onRetry: (attempt, reason) => emit({ type: 'file-retry', path: f.path, attempt, reason }),
        });
        start();
        emit({ type: 'file-done', path: f.path, size: f.size, downloaded: true });
      },
      { onWait: () => emit({ type: 'file-wait', path: f.path }), signal: abort.signal },
    );
  };

  // A small pool: the first failure stops the others (their .incomplete files stay for the next run to resume).
  let firstError: unknown;
  const worker = async () => {
    for (let f = queue.shift(); f && firstError === undefined; f = queue.shift()) {
      try {
        await fetchOne(f);
      } catch (err) {
        if (firstError === undefined) firstError = err;
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY) }, worker));
  if (firstError !== undefined) throw firstError;

  for (const f of files) linkSnapshotFile(cache, commit, f.path, f.etag);
  writeRef(cache, revision, commit);
  const dir = snapshotDir(cache, commit);
  emit({ type: 'done', commit, dir });
  return { repoId, revision, commit, dir, downloadedBytes };
}
