// Error bodies in each protocol's own shape: OpenAI's {"error": {message, type, param, code}} for chat completions
// and Responses, Anthropic's {"type": "error", "error": {type, message}} for /v1/messages.
import type { ApiError } from '../errors.js';

const anthropicTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  502: 'api_error',
  503: 'overloaded_error',
};

export function anthropicErrorBody(err: ApiError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicTypes[err.status] ?? 'api_error', message: err.message } };
}

/** Whether a route speaks the Anthropic protocol (its errors take Anthropic's shape). */
export function isAnthropicPath(path: string): boolean {
  return path === '/v1/messages' || path.startsWith('/v1/messages/');
}

export function errorBodyFor(path: string, err: ApiError): object {
  return isAnthropicPath(path) ? anthropicErrorBody(err) : err.toBody();
}
