// The float64 reference over the bf16 MLX files of each family against llama.cpp (npm test checks the 4-bit ones).
import { test } from 'node:test';
import { REFERENCE_ARCHS, checkReferenceAgainstLlama } from './reference-check.js';

for (const arch of REFERENCE_ARCHS) {
  test(`${arch} bf16: reference forward pass over the MLX files matches llama.cpp on the GGUF`, (t) => checkReferenceAgainstLlama(t, arch, undefined));
}
