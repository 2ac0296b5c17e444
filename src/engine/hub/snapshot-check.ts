// Is a directory (a cache snapshot) a complete model? config.json, tokenizer.json and every weight file, where a
// dangling symlink (a blob deleted under it) counts as missing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function missingModelFiles(dir: string): string[] {
  const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(join(dir, f)));
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let shards: string[] = [];
    try {
      const parsed = JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> };
      shards = [...new Set(Object.values(parsed.weight_map ?? {}))];
    } catch {
      return [...missing, 'model.safetensors.index.json (unreadable)'];
    }
    missing.push(...shards.filter((s) => !existsSync(join(dir, s))));
  } else {
    const names = existsSync(dir) ? readdirSync(dir) : [];
    if (!names.some((n) => n.endsWith('.safetensors') && existsSync(join(dir, n)))) missing.push('*.safetensors');
  }
  return missing;
}
