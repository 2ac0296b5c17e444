// Typed errors for model loading. Each is a user mistake (a bad or unsupported model directory), so it carries
// userFacing = true and a one-line message that names the file and the field.

export class ModelLoadError extends Error {
  readonly userFacing = true;
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** The directory or a required file does not exist. */
export class ModelFileMissingError extends ModelLoadError {
  constructor(file: string, what: string) {
    super(`${file}: ${what} not found`, file);
    this.name = 'ModelFileMissingError';
  }
}

/** A file exists but its contents are malformed (bad JSON, truncated or corrupt safetensors, inconsistent shapes). */
export class ModelFormatError extends ModelLoadError {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`, file);
    this.name = 'ModelFormatError';
  }
}

/** A well-formed model that uses something vmlx does not implement (architecture, dtype, bit width, quantization mode). */
export class UnsupportedModelError extends ModelLoadError {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`, file);
    this.name = 'UnsupportedModelError';
  }
}

/** A tensor the architecture needs is absent from every safetensors file. */
export class MissingTensorError extends ModelLoadError {
  constructor(file: string, tensor: string) {
    super(`${file}: tensor '${tensor}' is missing`, file);
    this.name = 'MissingTensorError';
  }
}

/** Invalid generation or chat-template input supplied by the caller. */
export class GenerationInputError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'GenerationInputError';
  }
}

/**
 * The KV cache budget cannot hold the request even after evicting every cached prefix nobody uses (the engine's
 * "out of cache memory"). Not the caller's mistake in the request itself: the server answers 503.
 */
export class CacheMemoryError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'CacheMemoryError';
  }
}

/** The engine's error for a full KV pool, as a typed error (other errors pass through). */
export function typedEngineError(err: unknown): unknown {
  const message = (err as Error | undefined)?.message;
  return typeof message === 'string' && message.startsWith('out of cache memory') ? new CacheMemoryError(message) : err;
}
