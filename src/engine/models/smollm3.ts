// SmolLM3: the Llama decoder where some layers use no position embedding at all (NoPE). config.json lists the
// pattern in no_rope_layers (1 = RoPE, 0 = NoPE, one entry per layer), or gives no_rope_layer_interval (every n-th
// layer is NoPE; 4 by default), as mlx-lm reads it.
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { parseWith } from '../json-file.js';
import type { NativeModelPlan } from '../plan.js';
import type { SpecInput } from './common.js';
import { llamaPlan } from './llama.js';

const noRopeSchema = z
  .object({
    no_rope_layer_interval: z.number().int().positive().optional(),
    no_rope_layers: z.array(z.union([z.literal(0), z.literal(1)])).nullish(),
  })
  .loose();

/** Per layer: whether it applies RoPE. */
export function smollm3RopeLayers(raw: Record<string, unknown>, numLayers: number, configFile: string): boolean[] {
  const c = parseWith(noRopeSchema, raw, configFile);
  if (c.no_rope_layers) {
    if (c.no_rope_layers.length !== numLayers) {
      throw new ModelFormatError(configFile, `field 'no_rope_layers' has ${c.no_rope_layers.length} entries, expected num_hidden_layers (${numLayers})`);
    }
    return c.no_rope_layers.map((v) => v === 1);
  }
  const every = c.no_rope_layer_interval ?? 4;
  return Array.from({ length: numLayers }, (_, i) => (i + 1) % every !== 0);
}

export function smollm3Plan(input: SpecInput): NativeModelPlan {
  const plan = llamaPlan(input);
  const useRope = smollm3RopeLayers(input.config.raw, input.config.numLayers, input.configFile);
  plan.layers.forEach((layer, i) => {
    if (!useRope[i] && layer.mixer.kind === 'attention') layer.mixer.rope = { kind: 'none' };
  });
  return plan;
}
