// The one-shot redirect listener of a login: http://127.0.0.1:PORT/callback on loopback only. It answers
// the browser's redirect once, checks the state, hands over the authorization code and closes.
import { createServer, type Server } from 'node:http';

/** The authorization server sent the user back with an error, or the redirect was not the expected one. */
export class LoginRedirectError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'LoginRedirectError';
  }
}

export interface RedirectListener {
  readonly redirectUrl: string;
  readonly port: number;
  /** The state the redirect must carry (set when the authorization URL is built). */
  expectState(state: string): void;
  /** The authorization code, once the browser comes back; rejects on an error redirect, abort or timeout. */
  waitForCode(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<string>;
  close(): Promise<void>;
}

const PAGE = (title: string, body: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif"><h2>${title}</h2><p>${body}</p></body>`;

export async function startRedirectListener(opts: { port?: number; path?: string } = {}): Promise<RedirectListener> {
  const path = opts.path ?? '/callback';
  let expected: string | undefined;
  let settle: { resolve: (code: string) => void; reject: (err: Error) => void } | undefined;
  let outcome: { code: string } | { error: Error } | undefined;
  const finish = (o: { code: string } | { error: Error }) => {
    if (outcome) return;
    outcome = o;
    if (settle) 'code' in o ? settle.resolve(o.code) : settle.reject(o.error);
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== path || outcome) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    const state = url.searchParams.get('state');
    if (expected !== undefined && state !== expected) {
      // A redirect with someone else's state is ignored (CSRF); the real one may still come.
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('vmlx: login failed', 'The state does not match this login.'));
      return;
    }
    if (error) {
      const description = url.searchParams.get('error_description');
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE('vmlx: login failed', `${error}${description ? `: ${description}` : ''}`));
      finish({ error: new LoginRedirectError(`the authorization server refused the login: ${error}${description ? `: ${description}` : ''}`) });
      return;
    }
    if (!code) {
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('vmlx: login failed', 'The redirect carries no authorization code.'));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', connection: 'close' }).end(PAGE('vmlx: logged in', 'You can close this window and return to the terminal.'));
    finish({ code });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new LoginRedirectError(`cannot listen for the login redirect: port ${opts.port} on 127.0.0.1 is in use`) : err),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    redirectUrl: `http://127.0.0.1:${port}${path}`,
    port,
    expectState(state) {
      expected = state;
    },
    waitForCode({ timeoutMs, signal }) {
      if (outcome) return 'code' in outcome ? Promise.resolve(outcome.code) : Promise.reject(outcome.error);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => finish({ error: new LoginRedirectError(`no login within ${Math.round(timeoutMs / 1000)} s (the browser never came back to ${path})`) }), timeoutMs);
        const onAbort = () => finish({ error: new LoginRedirectError('login cancelled') });
        signal?.addEventListener('abort', onAbort, { once: true });
        settle = {
          resolve: (c) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(c);
          },
          reject: (e) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
