// Can vmlx run a model, judged from its config.json alone (before any weight is fetched)? The answer comes from the
// engine's own config parser, so an architecture, quantization mode or bit width added there is accepted here too.
import { parseModelConfig } from '../config.js';
import { ModelLoadError } from '../errors.js';

export type Compatibility = { runnable: true } | { runnable: false; reason: string };

export function checkCompatibility(configJson: unknown): Compatibility {
  try {
    parseModelConfig(configJson, 'config.json');
    return { runnable: true };
  } catch (err) {
    if (err instanceof ModelLoadError) return { runnable: false, reason: err.message };
    throw err;
  }
}

/** Architecture and quantization as config.json states them (shown even when vmlx cannot run the model). */
export function describeConfig(configJson: unknown): { architecture: string; quantization: string } {
  const c = (configJson ?? {}) as Record<string, unknown>;
  const architecture = typeof c.model_type === 'string' ? c.model_type : '?';
  const q = (c.quantization ?? c.quantization_config) as Record<string, unknown> | undefined;
  if (!q || typeof q !== 'object') {
    const dtype = typeof c.torch_dtype === 'string' ? c.torch_dtype : typeof c.dtype === 'string' ? c.dtype : 'float';
    return { architecture, quantization: dtype };
  }
  const mode = typeof q.mode === 'string' ? q.mode : typeof q.quant_method === 'string' ? q.quant_method : 'affine';
  const bits = typeof q.bits === 'number' ? `${q.bits}-bit` : '?-bit';
  const group = typeof q.group_size === 'number' ? ` g${q.group_size}` : '';
  return { architecture, quantization: `${bits} ${mode}${group}` };
}
