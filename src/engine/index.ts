// The engine's public surface for the rest of vmlx (agent, TUI, server, CLI).
export type * from './types.js';
export { loadModel, LoadedModel, DEFAULT_MAX_CONTEXT } from './model.js';
export { ChatTemplate } from './chat-template.js';
export { ModelTokenizer } from './tokenizer.js';
export {
  ModelLoadError,
  ModelFileMissingError,
  ModelFormatError,
  UnsupportedModelError,
  MissingTensorError,
  GenerationInputError,
} from './errors.js';
export { buildModelSpec } from './models/index.js';
