// A model reference on the command line: a local directory, or a Hugging Face id `org/name[@revision]`, where the
// revision is a branch, a tag or a 40-hex commit.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelReferenceError } from './errors.js';

export type ModelReference =
  | { kind: 'dir'; path: string }
  | { kind: 'hub'; repoId: string; revision: string };

export const DEFAULT_REVISION = 'main';

// The hub's own rules for names: letters, digits, '-', '_', '.', no '--' or '..', not starting or ending with '-' or '.'.
const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

export function isRepoId(id: string): boolean {
  const parts = id.split('/');
  return (
    parts.length === 2 &&
    parts.every((p) => NAME_PART.test(p) && !p.includes('--') && !p.includes('..') && p.length <= 96)
  );
}

function looksLikePath(arg: string): boolean {
  return arg.startsWith('.') || arg.startsWith('/') || arg.startsWith('~') || arg.includes('\\');
}

/** Splits `org/name@rev`; the revision may itself contain '/' (refs/pr/1) but not whitespace or '..'. */
export function parseRepoSpec(spec: string): { repoId: string; revision: string } | null {
  const at = spec.indexOf('@');
  const repoId = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : spec.slice(at + 1);
  if (!isRepoId(repoId)) return null;
  if (revision === '' || /\s/.test(revision) || revision.includes('..') || revision.startsWith('/') || revision.endsWith('/')) return null;
  return { repoId, revision };
}

/**
 * An existing directory wins (a relative path that happens to look like org/name is used as given); then an id.
 * Something path-like that does not exist stays a directory reference, so the loader reports it as not found.
 */
export function parseModelReference(arg: string, what = 'model'): ModelReference {
  if (arg.trim() === '') throw new ModelReferenceError(`${what}: empty model reference`);
  if (existsSync(arg)) {
    if (!statSync(arg).isDirectory()) throw new ModelReferenceError(`${resolve(arg)}: ${what} is a file, not a model directory`);
    return { kind: 'dir', path: resolve(arg) };
  }
  if (looksLikePath(arg)) return { kind: 'dir', path: resolve(arg) };
  const spec = parseRepoSpec(arg);
  if (spec) return { kind: 'hub', ...spec };
  throw new ModelReferenceError(
    `${what} '${arg}': no such model directory, and not a Hugging Face id (org/name or org/name@revision)`,
  );
}

export function formatRepoSpec(repoId: string, revision: string): string {
  return revision === DEFAULT_REVISION ? repoId : `${repoId}@${revision}`;
}
