// A copy of a test model whose config.json takes a patch of its text model's fields per check (its text_config when
// wrapped, else the top level), its weights symlinked: the config-error tests of gemma4, its MoE variant, qwen3_next.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelSpec } from '../../src/engine/models/index.js';

export interface TextConfigPatch {
  /** Writes the patched config; the returned function builds the model plan from it. */
  withText(patch: Record<string, unknown>): () => ReturnType<typeof buildModelSpec>;
  /** The copy's directory (to run the CLI on). */
  dir: string;
  /** The copy's config.json path, escaped for a RegExp. */
  fileRe: string;
  dispose(): void;
}

export function textConfigPatch(dir: string, label: string): TextConfigPatch {
  const base = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { text_config?: Record<string, unknown> };
  const tmp = mkdtempSync(join(tmpdir(), `vmlx-${label}-`));
  symlinkSync(join(dir, 'model.safetensors'), join(tmp, 'model.safetensors'));
  return {
    withText(patch) {
      const patched = base.text_config ? { ...base, text_config: { ...base.text_config, ...patch } } : { ...base, ...patch };
      writeFileSync(join(tmp, 'config.json'), JSON.stringify(patched));
      return () => buildModelSpec(tmp, { threads: 1 });
    },
    dir: tmp,
    fileRe: join(tmp, 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    dispose: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
