// Downloads one file into blobs/<etag>: appends to <etag>.incomplete (resuming with a Range request from what an
// interrupted download left), retries a dropped connection from where it stopped, checks the hash the hub listed,
// and only then renames the file into place. A mismatch removes the download.
import { existsSync, renameSync, rmSync, statSync, createReadStream } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Hash } from 'node:crypto';
import { ChecksumMismatchError, DiskSpaceError, HubUnreachableError } from './errors.js';
import { startHash } from './file-hash.js';
import type { RemoteFile } from './model-files.js';
import { authHeaders, networkError, resolveUrl, statusError, type RepoTarget } from './remote.js';

export const MAX_ATTEMPTS = 5;

export interface BlobDownload {
  target: RepoTarget;
  commit: string;
  file: RemoteFile;
  blob: string;
  signal?: AbortSignal;
  /** Bytes already on disk when the download starts (resumed), then each chunk as it arrives. */
  onResume?: (bytes: number) => void;
  onBytes?: (bytes: number) => void;
  onRetry?: (attempt: number, reason: string) => void;
  /** The server ignored the Range request: the bytes counted so far are discarded. */
  onRestart?: () => void;
}

async function hashExisting(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

class RetryableDrop extends Error {}

/** Bytes in the .incomplete file and the running hash of exactly those bytes. */
interface Partial {
  have: number;
  hash: Hash;
}

/** One HTTP request: appends what arrives to the .incomplete file, advancing `p` chunk by chunk. */
async function fetchInto(d: BlobDownload, partial: string, p: Partial): Promise<void> {
  const have = p.have;
  const headers: Record<string, string> = { ...authHeaders(d.target.settings) };
  if (have > 0) headers.range = `bytes=${have}-`;
  let res: Response;
  try {
    res = await fetch(resolveUrl(d.target, d.commit, d.file.path), { headers, ...(d.signal ? { signal: d.signal } : {}) });
  } catch (err) {
    if (d.signal?.aborted) throw err;
    throw new RetryableDrop(networkError(d.target, err).message);
  }
  if (res.status === 416 && have === d.file.size) return; // already complete
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    if (res.status >= 500) throw new RetryableDrop(`HTTP ${res.status}`);
    throw statusError(d.target, res.status);
  }
  if (res.status === 200 && have > 0) {
    // The server ignored the Range: start over.
    await truncate(partial, 0);
    p.hash = startHash(d.file.hashKind, d.file.size);
    p.have = 0;
    d.onRestart?.();
  }
  const fh = await open(partial, 'a');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      p.hash.update(chunk);
      p.have += chunk.length;
      d.onBytes?.(chunk.length);
    }
  } catch (err) {
    if (d.signal?.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new DiskSpaceError(`disk full while writing ${partial} (the partial download stays there and resumes next time)`);
    }
    throw new RetryableDrop(`connection dropped after ${p.have} of ${d.file.size} bytes (${(err as Error).message})`);
  } finally {
    await fh.close();
  }
}

export async function downloadBlob(d: BlobDownload): Promise<void> {
  const partial = `${d.blob}.incomplete`;
  const p: Partial = { have: existsSync(partial) ? statSync(partial).size : 0, hash: startHash(d.file.hashKind, d.file.size) };
  if (p.have > d.file.size) {
    rmSync(partial);
    p.have = 0;
  }
  if (p.have > 0) {
    await hashExisting(partial, p.hash);
    d.onResume?.(p.have);
  }
  for (let attempt = 1; p.have < d.file.size || !existsSync(partial); attempt++) {
    try {
      await fetchInto(d, partial, p);
      if (p.have >= d.file.size) break;
      throw new RetryableDrop(`the response ended after ${p.have} of ${d.file.size} bytes`);
    } catch (err) {
      if (!(err instanceof RetryableDrop)) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        throw new HubUnreachableError(`${d.file.path}: download failed ${MAX_ATTEMPTS} times (${err.message}); run the command again to resume`);
      }
      d.onRetry?.(attempt, err.message);
      await delay(250 * attempt, undefined, d.signal ? { signal: d.signal } : undefined);
    }
  }
  const actual = p.hash.digest('hex');
  const have = p.have;
  if (have !== d.file.size || actual !== d.file.etag) {
    rmSync(partial, { force: true });
    const what = d.file.hashKind === 'sha256' ? 'sha256' : 'git blob id';
    throw new ChecksumMismatchError(
      `${d.target.repoId}/${d.file.path}: ${what} mismatch (the hub lists ${d.file.etag}, the download has ${actual}, ${have} bytes); the download was removed, run the command again`,
    );
  }
  renameSync(partial, d.blob);
}
