// The Hugging Face hub cache layout, as huggingface_hub writes and reads it:
//   <cache>/models--org--name/blobs/<etag>            file contents (etag: sha256 for LFS files, git blob sha1 otherwise)
//   <cache>/models--org--name/refs/<branch or tag>    the commit the revision pointed to when last fetched
//   <cache>/models--org--name/snapshots/<commit>/<file> relative symlinks into blobs/
//   <cache>/.locks/models--org--name/<etag>.lock      (ours: <etag>.vmlx.lock, see lock.ts)
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isCommitHash } from './reference.js';

export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

export interface RepoCache {
  cacheDir: string;
  repoId: string;
  /** <cache>/models--org--name */
  root: string;
}

export function repoCache(cacheDir: string, repoId: string): RepoCache {
  return { cacheDir, repoId, root: join(cacheDir, repoFolderName(repoId)) };
}

export const blobPath = (c: RepoCache, etag: string): string => join(c.root, 'blobs', etag);
export const snapshotDir = (c: RepoCache, commit: string): string => join(c.root, 'snapshots', commit);
export const lockPath = (c: RepoCache, etag: string): string => join(c.cacheDir, '.locks', repoFolderName(c.repoId), `${etag}.vmlx.lock`);

/** The commit a revision names in the cache: itself for a commit hash, else what refs/<revision> holds. */
export function readRef(c: RepoCache, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  const file = join(c.root, 'refs', revision);
  if (!existsSync(file)) return undefined;
  const commit = readFileSync(file, 'utf8').trim();
  return isCommitHash(commit) ? commit : undefined;
}

/** Written to a temporary file and renamed, so a reader never sees half a commit hash. */
export function writeRef(c: RepoCache, revision: string, commit: string): void {
  if (isCommitHash(revision)) return; // the Python tools write no ref for a commit either
  const file = join(c.root, 'refs', revision);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, commit);
  renameSync(tmp, file);
}

/** snapshots/<commit>/<path> → a relative link to blobs/<etag>, replaced atomically if it exists. */
export function linkSnapshotFile(c: RepoCache, commit: string, path: string, etag: string): void {
  const link = join(snapshotDir(c, commit), path);
  mkdirSync(dirname(link), { recursive: true });
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(relative(dirname(link), blobPath(c, etag)), tmp);
  renameSync(tmp, link);
}

/** Writes a blob from memory (small files fetched before the download starts): temporary name, then rename. */
export function writeBlob(c: RepoCache, etag: string, bytes: Uint8Array): void {
  const target = blobPath(c, etag);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, target);
}
