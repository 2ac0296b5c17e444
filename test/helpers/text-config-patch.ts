// A copy of a wrapped (text_config) test model whose config.json takes a patch of its text_config per check, its
// weights symlinked: the config-error tests of gemma4 and its MoE variant.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelSpec } from '../../src/engine/models/index.js';

export interface TextConfigPatch {
  /** Writes the patched config; the returned function builds the model plan from it. */
  withText(patch: Record<string, unknown>): () => ReturnType<typeof buildModelSpec>;
  /** The copy's config.json path, escaped for a RegExp. */
  fileRe: string;
  dispose(): void;
}

export function textConfigPatch(dir: string, label: string): TextConfigPatch {
  const base = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { text_config: Record<string, unknown> };
  const tmp = mkdtempSync(join(tmpdir(), `vmlx-${label}-`));
  symlinkSync(join(dir, 'model.safetensors'), join(tmp, 'model.safetensors'));
  return {
    withText(patch) {
      writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...base, text_config: { ...base.text_config, ...patch } }));
      return () => buildModelSpec(tmp, { threads: 1 });
    },
    fileRe: join(tmp, 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    dispose: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
