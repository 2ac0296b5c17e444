// The model argument of every command that takes one (chat, serve, generate, bench, tools parse): a directory or
// an `org/name[@revision]` id, resolved through the Hugging Face cache and pulled first when missing.
import { basename } from 'node:path';
import type { ResolvedModel } from '../engine/hub/index.js';
import { parseModelReference } from '../engine/hub/reference.js';
import { PullProgress } from './pull-progress.js';

export const MODEL_ARG_HELP = 'model directory, or Hugging Face id org/name[@revision] (cached, else downloaded)';

/** `.option(...OFFLINE_OPTION)` on every command that takes a model. */
export const OFFLINE_OPTION = ['--offline', 'use only local directories and the Hugging Face cache, never download (also HF_HUB_OFFLINE=1)'] as const;

export async function resolveModelArg(arg: string, opts: { offline?: boolean } = {}): Promise<ResolvedModel> {
  // A directory needs none of the hub code (nor its import time).
  const ref = parseModelReference(arg);
  if (ref.kind === 'dir') return { dir: ref.path, source: 'dir', displayName: basename(ref.path) };
  const { resolveModel } = await import('../engine/hub/index.js');
  const progress = new PullProgress(process.stderr);
  try {
    return await resolveModel(arg, { offline: opts.offline, onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
}
