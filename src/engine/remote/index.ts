// A remote OpenAI-compatible engine as a LanguageModel.
export { RemoteModel, apiBase, DEFAULT_REMOTE_CONTEXT, type RemoteModelOptions } from './remote-model.js';
export { UpstreamError, type UpstreamFailure } from './errors.js';

/** The environment variable the upstream API key is read from (never a flag: flags land in shell history). */
export const UPSTREAM_API_KEY_ENV = 'VMLX_UPSTREAM_API_KEY';

export function upstreamApiKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = env[UPSTREAM_API_KEY_ENV]?.trim();
  return key ? key : undefined;
}
