// Failures of a remote OpenAI-compatible engine, typed so the CLI and the server can say what went wrong
// (down, slow, an error status, a malformed answer) instead of a stack trace.

export type UpstreamFailure = 'unreachable' | 'timeout' | 'status' | 'malformed' | 'dropped';

export class UpstreamError extends Error {
  readonly userFacing = true;
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    /** The HTTP status the upstream answered with, for failure 'status'. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
