// Model directory → NativeModelSpec: reads config.json and the safetensors headers, then lets the architecture
// definition resolve and validate every tensor it needs.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readModelConfig, type ModelConfig } from '../config.js';
import { ModelFileMissingError } from '../errors.js';
import { defaultActivations, modelPlanSchema, type ActivationMode, type NativeModelPlan } from '../plan.js';
import { listWeightFiles, readTensorTable, type TensorInfo } from '../safetensors.js';
import { WeightResolver } from '../weights.js';
import { GEMMA3_TEXT_PREFIX, gemma3Plan } from './gemma3.js';
import { gptOssPlan } from './gpt_oss.js';
import { GEMMA4_TEXT_PREFIX, gemma4Plan } from './gemma4.js';
import { llamaPlan } from './llama.js';
import { phi3Plan } from './phi3.js';
import { mistral3Plan } from './mistral3.js';
import { smollm3Plan } from './smollm3.js';
import { qwen2Plan } from './qwen2.js';
import { qwen3Plan } from './qwen3.js';
import { qwen3_5Plan } from './qwen3_5.js';
import { qwen3NextPlan } from './qwen3_next.js';
import { qwen3MoePlan } from './qwen3_moe.js';
import type { SpecInput } from './common.js';

interface Architecture {
  /** The architecture file's name (what ModelInfo.arch reports). */
  name: string;
  plan: (input: SpecInput) => NativeModelPlan;
}
const llama: Architecture = { name: 'llama', plan: llamaPlan };

/** Each supported model_type and the architecture file that plans it. */
const ARCHITECTURES: Record<ModelConfig['modelType'], Architecture> = {
  qwen3: { name: 'qwen3', plan: qwen3Plan },
  qwen2: { name: 'qwen2', plan: qwen2Plan },
  llama,
  mistral3: { name: 'mistral3', plan: mistral3Plan },
  smollm3: { name: 'smollm3', plan: smollm3Plan },
  qwen3_moe: { name: 'qwen3_moe', plan: qwen3MoePlan },
  phi3: { name: 'phi3', plan: phi3Plan },
  gemma3_text: { name: 'gemma3', plan: (input) => gemma3Plan(input) },
  gemma3: { name: 'gemma3', plan: (input) => gemma3Plan(input, GEMMA3_TEXT_PREFIX) },
  qwen3_5: { name: 'qwen3_5', plan: qwen3_5Plan },
  qwen3_5_moe: { name: 'qwen3_5', plan: qwen3_5Plan },
  qwen3_next: { name: 'qwen3_next', plan: qwen3NextPlan },
  gpt_oss: { name: 'gpt_oss', plan: gptOssPlan },
  gemma4_text: { name: 'gemma4', plan: (input) => gemma4Plan(input) },
  gemma4: { name: 'gemma4', plan: (input) => gemma4Plan(input, GEMMA4_TEXT_PREFIX) },
  // Remaps: model_types that are another architecture under a different name (as mlx-lm's MODEL_REMAPPING).
  mistral: llama,
};

export interface BuiltSpec {
  dir: string;
  config: ModelConfig;
  spec: NativeModelPlan;
  /** The architecture file that planned the model (a remapped model_type names its target, e.g. mistral → llama). */
  architecture: string;
  /** What the engine leaves out of this checkpoint, for the user (e.g. an ignored vision tower). */
  notes: string[];
  tensors: Map<string, TensorInfo>;
}

export function assertModelDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new ModelFileMissingError(abs, 'model directory');
  return abs;
}

export function buildModelSpec(
  dir: string,
  opts: { threads?: number; contextLength?: number; activations?: ActivationMode } = {},
): BuiltSpec {
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
    configFile,
    contextLength: opts.contextLength,
  };
  // The schema catches a plan an architecture file got wrong before it crosses into the addon.
  const arch = ARCHITECTURES[config.modelType];
  const spec = modelPlanSchema.parse({ ...arch.plan(input), activations: opts.activations ?? defaultActivations(config.modelType) });
  const notes = config.hasVision && config.hasAudio
    ? [`${config.modelType}: the vision and audio towers are not loaded; images and audio are not supported (text only)`]
    : config.hasVision ? [`${config.modelType}: the vision tower is not loaded; images are not supported (text only)`] : [];
  return { dir: abs, config, spec, architecture: arch.name, notes, tensors };
}

/** Bytes of the weights the plan references (what a forward pass reads, counting a tied embedding once). */
export function specWeightBytes(spec: NativeModelPlan): number {
  const seen = new Set<string>();
  let total = 0;
  const add = (ref: { file: string; offset: number; byteLength: number } | undefined) => {
    if (!ref) return;
    const key = `${ref.file}:${ref.offset}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += ref.byteLength;
  };
  for (const t of Object.values(spec.tensors)) {
    add(t);
    add(t.quant?.scales);
    add(t.quant?.biases);
  }
  return total;
}
