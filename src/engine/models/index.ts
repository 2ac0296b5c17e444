// Model directory → NativeModelSpec: reads config.json and the safetensors headers, then lets the architecture
// definition resolve and validate every tensor it needs.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readModelConfig, type ModelConfig } from '../config.js';
import { ModelFileMissingError } from '../errors.js';
import type { NativeModelSpec } from '../native-types.js';
import { listWeightFiles, readTensorTable, type TensorInfo } from '../safetensors.js';
import { WeightResolver } from '../weights.js';
import { llamaSpec } from './llama.js';
import { qwen2Spec } from './qwen2.js';
import { qwen3Spec } from './qwen3.js';
import type { SpecInput } from './common.js';

export interface BuiltSpec {
  dir: string;
  config: ModelConfig;
  spec: NativeModelSpec;
  tensors: Map<string, TensorInfo>;
}

export function assertModelDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new ModelFileMissingError(abs, 'model directory');
  return abs;
}

export function buildModelSpec(dir: string, opts: { threads?: number } = {}): BuiltSpec {
  const abs = assertModelDir(dir);
  const configFile = join(abs, 'config.json');
  const config = readModelConfig(abs);
  const files = listWeightFiles(abs);
  const tensors = readTensorTable(abs);
  const weightsLabel = files.length === 1 ? files[0]! : join(abs, 'model-*.safetensors');
  const input: SpecInput = {
    config,
    weights: new WeightResolver(tensors, config, configFile, weightsLabel),
    threads: opts.threads ?? availableParallelism(),
    weightsLabel,
  };
  let spec: NativeModelSpec;
  switch (config.modelType) {
    case 'qwen3':
      spec = qwen3Spec(input);
      break;
    case 'qwen2':
      spec = qwen2Spec(input);
      break;
    case 'llama':
      spec = llamaSpec(input, configFile);
      break;
  }
  return { dir: abs, config, spec, tensors };
}

/** Bytes of the weights the spec references (what a forward pass reads, counting a tied embedding once). */
export function specWeightBytes(spec: NativeModelSpec): number {
  const seen = new Set<string>();
  let total = 0;
  const add = (ref: { file: string; offset: number; byteLength: number } | undefined) => {
    if (!ref) return;
    const key = `${ref.file}:${ref.offset}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += ref.byteLength;
  };
  const addWeight = (w: NativeModelSpec['embed'] | undefined) => {
    if (!w) return;
    add(w.weight);
    add(w.scales);
    add(w.biases);
  };
  addWeight(spec.embed);
  addWeight(spec.lmHead);
  add(spec.finalNorm);
  for (const l of spec.layers) {
    for (const w of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) addWeight(w);
    for (const t of [l.inputNorm, l.postAttentionNorm, l.qBias, l.kBias, l.vBias, l.qNorm, l.kNorm]) add(t);
  }
  return total;
}
