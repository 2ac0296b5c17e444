// The models in the Hugging Face cache (whoever downloaded them), for `vmlx models`, and their removal.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scanCachedRepo } from '@huggingface/hub';
import { checkCompatibility, describeConfig } from './compatibility.js';
import { repoCache, repoFolderName } from './cache-layout.js';
import { missingModelFiles } from './snapshot-check.js';

export interface CachedModel {
  repoId: string;
  commit: string;
  /** Branches and tags pointing at this commit. */
  refs: string[];
  /** Bytes of the blobs this snapshot links to. */
  sizeBytes: number;
  architecture: string;
  quantization: string;
  runnable: boolean;
  /** Why vmlx cannot run it (unsupported, incomplete download), when runnable is false. */
  reason?: string;
}

function describeSnapshot(dir: string): Pick<CachedModel, 'architecture' | 'quantization' | 'runnable' | 'reason'> {
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) return { architecture: '?', quantization: '?', runnable: false, reason: 'no config.json' };
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch {
    return { architecture: '?', quantization: '?', runnable: false, reason: 'config.json is not valid JSON' };
  }
  const described = describeConfig(config);
  const verdict = checkCompatibility(config);
  if (!verdict.runnable) return { ...described, runnable: false, reason: verdict.reason };
  const missing = missingModelFiles(dir);
  if (missing.length > 0) return { ...described, runnable: false, reason: `incomplete: missing ${missing.join(', ')}` };
  return { ...described, runnable: true };
}

export async function listCachedModels(cacheDir: string): Promise<{ models: CachedModel[]; warnings: string[] }> {
  const models: CachedModel[] = [];
  const warnings: string[] = [];
  if (!existsSync(cacheDir)) return { models, warnings };
  for (const name of readdirSync(cacheDir).sort()) {
    if (!name.startsWith('models--')) continue;
    try {
      const repo = await scanCachedRepo(join(cacheDir, name));
      for (const rev of repo.revisions) {
        models.push({ repoId: repo.id.name, commit: rev.commitOid, refs: rev.refs, sizeBytes: rev.size, ...describeSnapshot(rev.path) });
      }
    } catch (err) {
      warnings.push(`${join(cacheDir, name)}: ${(err as Error).message}`);
    }
  }
  return { models, warnings };
}

/** The repository's cache folder, if it exists (with or without complete snapshots). */
export function findRepoFolder(cacheDir: string, repoId: string): string | undefined {
  const root = repoCache(cacheDir, repoId).root;
  return existsSync(root) ? root : undefined;
}

/** Deletes the repository's whole cache folder (all revisions and blobs) and its lock folder. */
export function removeCachedModel(cacheDir: string, repoId: string): boolean {
  const root = repoCache(cacheDir, repoId).root;
  if (!existsSync(root)) return false;
  rmSync(root, { recursive: true, force: true });
  rmSync(join(cacheDir, '.locks', repoFolderName(repoId)), { recursive: true, force: true });
  return true;
}
