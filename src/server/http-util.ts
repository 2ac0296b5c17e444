// Small node:http helpers: JSON bodies with a size limit, JSON responses, bearer-token auth in constant time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError, badRequest, tooLarge } from './errors.js';

/** The client closed the connection before its request body arrived: not a server fault. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('the client disconnected during the upload');
    this.name = 'ClientDisconnectedError';
  }
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume(); // drain so the connection can answer
    throw tooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) {
        req.resume();
        throw tooLarge(limitBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ClientDisconnectedError(); // 'aborted' / ECONNRESET from the request stream
  }
  if (!req.complete) throw new ClientDisconnectedError();
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw badRequest('Request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`Malformed JSON in request body: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, err.toBody(), err.headers);
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks the API key from `Authorization: Bearer` or, as Anthropic clients send it, `x-api-key`. */
export function apiKeyMatches(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return timingSafeEqual(digest(header.trim()), digest(apiKey));
  return bearerMatches(req, apiKey);
}

/** Compares the request's bearer token with the key in constant time (hashing first equalises lengths). */
export function bearerMatches(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers['authorization'];
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  const given = match ? match[1] : '';
  return timingSafeEqual(digest(given), digest(apiKey)) && given.length > 0;
}
