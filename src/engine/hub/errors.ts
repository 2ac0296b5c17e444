// Typed errors of model references, the Hugging Face cache and downloads. Each is the user's to act on (a wrong id,
// a missing token, no network, a full disk), so each carries userFacing = true and a one-line message.

export class HubError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The argument is neither an existing directory nor an `org/name[@revision]` id. */
export class ModelReferenceError extends HubError {}

/** The hub answered 404 for the repository or revision. */
export class RepoNotFoundError extends HubError {}

/** The hub answered 401/403: a gated or private repository, and no (valid) token. */
export class RepoAccessError extends HubError {}

/** The hub could not be reached (no network, wrong HF_ENDPOINT) or answered with a server error. */
export class HubUnreachableError extends HubError {
  /** The message without the model id in front ("cannot reach the hub at ... (ECONNREFUSED)"). */
  readonly detail: string;
  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail ?? message;
  }
}

/** Offline (HF_HUB_OFFLINE=1 or --offline, or the hub unreachable) and the model is not in the cache. */
export class NotCachedError extends HubError {}

/** The repository has files, but none vmlx can load (no .safetensors weights, e.g. a GGUF-only repo). */
export class NoSafetensorsError extends HubError {}

/** config.json names an architecture, quantization mode or bit width the engine does not run. */
export class UnsupportedRepoModelError extends HubError {}

/** A downloaded file's hash differs from the one the hub listed. */
export class ChecksumMismatchError extends HubError {}

/** Not enough free space in the cache for the files still to download, or the disk filled up while writing. */
export class DiskSpaceError extends HubError {}
