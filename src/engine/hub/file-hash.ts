// The hashes the hub lists for a file: sha256 of the contents for LFS files, and the git blob id
// (sha1 of "blob <size>\0" + contents) for the small files kept in git.
import { createHash, type Hash } from 'node:crypto';

export type FileHashKind = 'sha256' | 'git-sha1';

export function startHash(kind: FileHashKind, size: number): Hash {
  if (kind === 'sha256') return createHash('sha256');
  return createHash('sha1').update(`blob ${size}\0`);
}

export function hashBytes(kind: FileHashKind, bytes: Uint8Array): string {
  return startHash(kind, bytes.length).update(bytes).digest('hex');
}
