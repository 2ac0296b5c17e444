// OpenAI-shaped API errors: {"error": {"message", "type", "param", "code"}} with the right HTTP status.

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'permission_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (Retry-After, Connection: close). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): ApiError =>
  new ApiError(400, message, 'invalid_request_error', param, code);
export const unauthorized = (): ApiError =>
  new ApiError(401, 'Invalid or missing API key (send it as "Authorization: Bearer <key>" or "x-api-key: <key>")', 'authentication_error', null, 'invalid_api_key');
export const notFound = (message: string, code = 'not_found'): ApiError => new ApiError(404, message, 'not_found_error', null, code);
export const forbidden = (message: string, code: string): ApiError => new ApiError(403, message, 'permission_error', null, code);
export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, `Request body exceeds the limit of ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
export const queueFull = (bound: number): ApiError =>
  new ApiError(429, `Server busy: ${bound} requests are already queued; retry later`, 'rate_limit_error', null, 'queue_full', { 'retry-after': '1' });
export const unsupportedMediaType = (got: string | undefined): ApiError =>
  new ApiError(
    415,
    `Request bodies must be sent as Content-Type: application/json (got ${got ? `'${got}'` : 'none'})`,
    'invalid_request_error',
    null,
    'unsupported_media_type',
  );
export const requestTimeout = (ms: number): ApiError =>
  new ApiError(408, `The request body was not received within ${ms} ms`, 'invalid_request_error', null, 'request_timeout', { connection: 'close' });
export const unavailable = (message: string, code: string, retryAfterSeconds?: number, extra: Record<string, string> = {}): ApiError =>
  new ApiError(503, message, 'server_error', null, code, {
    ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
    ...extra,
  });
export const internalError = (): ApiError => new ApiError(500, 'Internal server error', 'server_error', null, 'internal_error');
