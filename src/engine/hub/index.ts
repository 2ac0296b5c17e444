// Model references by name: parsing, the Hugging Face cache, pulling and listing.
export * from './errors.js';
export { parseModelReference, parseRepoSpec, formatRepoSpec, isRepoId, type ModelReference } from './reference.js';
export { hubSettings, type HubSettings } from './settings.js';
export { resolveModel, findCachedModel, type ResolvedModel, type ResolveOptions } from './resolve.js';
export { pullModel, type PulledModel } from './pull.js';
export type { PullEvent, PullListener, PlannedFile } from './pull-events.js';
export { findRepoFolder, listCachedModels, removeCachedModel, type CachedModel } from './cached-models.js';
