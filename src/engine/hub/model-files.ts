// Which files of a repository a model needs: config, tokenizer, chat template, generation config, the safetensors
// weights and their index. Nothing else (no GGUF, PyTorch .bin, ONNX, images or READMEs).
import type { ListFileEntry } from '@huggingface/hub';
import { NoSafetensorsError } from './errors.js';
import type { FileHashKind } from './file-hash.js';

export interface RemoteFile {
  path: string;
  size: number;
  /** The name of the blob in the cache: the LFS sha256, else the git blob id (what the hub sends as ETag). */
  etag: string;
  hashKind: FileHashKind;
}

const SMALL_FILES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'chat_template.jinja',
  'chat_template.json',
]);

export const WEIGHT_INDEX = 'model.safetensors.index.json';

export function toRemoteFile(e: ListFileEntry): RemoteFile {
  if (e.lfs) return { path: e.path, size: e.lfs.size, etag: e.lfs.oid, hashKind: 'sha256' };
  if (!e.oid) throw new Error(`the hub listed ${e.path} without a git id`);
  return { path: e.path, size: e.size, etag: e.oid, hashKind: 'git-sha1' };
}

function formatsOf(entries: ListFileEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const ext = /\.([A-Za-z0-9]+)$/.exec(e.path)?.[1]?.toLowerCase();
    if (ext && !['json', 'md', 'txt', 'gitattributes', 'jinja', 'png', 'jpg'].includes(ext)) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no weight files at all';
  return [...counts].map(([ext, n]) => `${n} .${ext} file${n === 1 ? '' : 's'}`).join(', ');
}

/**
 * The files to fetch. With a weight index, only the shards it names (some repositories carry a second,
 * consolidated copy of the weights). Throws NoSafetensorsError when there are no safetensors at all.
 */
export function selectModelFiles(spec: string, entries: ListFileEntry[], indexShards?: string[]): RemoteFile[] {
  const top = entries.filter((e) => !e.path.includes('/'));
  const weights = top.filter((e) => e.path.endsWith('.safetensors'));
  if (weights.length === 0) {
    throw new NoSafetensorsError(
      `${spec} has no .safetensors weights (it has ${formatsOf(top)}): vmlx runs MLX-format safetensors models, such as the mlx-community ones`,
    );
  }
  const shardSet = indexShards ? new Set(indexShards) : null;
  return top
    .filter((e) => SMALL_FILES.has(e.path) || e.path === WEIGHT_INDEX || (e.path.endsWith('.safetensors') && (!shardSet || shardSet.has(e.path))))
    .map(toRemoteFile);
}
