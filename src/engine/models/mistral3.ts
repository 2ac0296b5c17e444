// Mistral Small 3.x / Devstral as mlx-community ships them (model_type mistral3): a Pixtral vision tower and a
// projector beside a Mistral text model whose tensors carry a `language_model.` prefix. The text model is the plain
// Llama-style decoder; the vision tensors are left in the files unread (mlx-lm's sanitize drops them too).
import type { NativeModelPlan } from '../plan.js';
import type { SpecInput } from './common.js';
import { llamaPlan } from './llama.js';

export const MISTRAL3_TEXT_PREFIX = 'language_model.';

export function mistral3Plan(input: SpecInput): NativeModelPlan {
  return llamaPlan(input, MISTRAL3_TEXT_PREFIX);
}
