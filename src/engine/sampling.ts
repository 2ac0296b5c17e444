// GenerateParams (caller) + generation_config.json (model defaults) → the addon's sampling parameters.
import { randomInt } from 'node:crypto';
import type { GenerationConfig } from './config.js';
import { GenerationInputError } from './errors.js';
import type { NativeSamplingParams } from './native-types.js';
import type { GenerateParams } from './types.js';

export const DEFAULT_MAX_TOKENS = 512;
export const DEFAULT_TEMPERATURE = 0.7;

function check(name: string, value: number | undefined, ok: (v: number) => boolean, rule: string): void {
  if (value !== undefined && (!Number.isFinite(value) || !ok(value))) {
    throw new GenerationInputError(`${name} must be ${rule}, got ${value}`);
  }
}

export function validateParams(p: GenerateParams): void {
  check('maxTokens', p.maxTokens, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  check('temperature', p.temperature, (v) => v >= 0, '>= 0');
  check('topK', p.topK, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  check('topP', p.topP, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('minP', p.minP, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  check('repetitionPenalty', p.repetitionPenalty, (v) => v > 0, '> 0');
  check('presencePenalty', p.presencePenalty, (v) => v >= -2 && v <= 2, 'in [-2, 2]');
  check('frequencyPenalty', p.frequencyPenalty, (v) => v >= -2 && v <= 2, 'in [-2, 2]');
  check('seed', p.seed, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  check('topLogprobs', p.topLogprobs, (v) => Number.isInteger(v) && v >= 0 && v <= 20, 'an integer in [0, 20]');
}

export function resolveSampling(
  p: GenerateParams,
  defaults: GenerationConfig,
  eosTokenIds: number[],
  maxTokens: number,
): NativeSamplingParams {
  const topLogprobs = p.topLogprobs ?? 0;
  return {
    maxTokens,
    temperature: p.temperature ?? defaults.temperature ?? DEFAULT_TEMPERATURE,
    topK: p.topK ?? defaults.topK ?? 0,
    topP: p.topP ?? defaults.topP ?? 1,
    minP: p.minP ?? defaults.minP ?? 0,
    repetitionPenalty: p.repetitionPenalty ?? defaults.repetitionPenalty ?? 1,
    presencePenalty: p.presencePenalty ?? 0,
    frequencyPenalty: p.frequencyPenalty ?? 0,
    penaltyWindow: 0,
    // A seed is always passed so that a run can be reproduced from the seed alone; masked to uint32.
    seed: (p.seed ?? randomInt(0, 2 ** 32 - 1)) >>> 0,
    eosTokenIds: Int32Array.from(p.ignoreEos ? [] : eosTokenIds),
    topLogprobs,
    logprobs: p.logprobs === true || topLogprobs > 0,
  };
}
