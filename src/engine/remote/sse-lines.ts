// Reads the `data:` payloads of a server-sent event stream from a fetch body, with an idle deadline: an upstream
// that stops sending for `idleMs` fails as a timeout instead of hanging the turn.
import { UpstreamError } from './errors.js';

export async function* readSseData(body: ReadableStream<Uint8Array>, idleMs: number, what: string): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let timer: NodeJS.Timeout | undefined;
  const idle = (): Promise<never> =>
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new UpstreamError('timeout', `${what} sent nothing for ${Math.round(idleMs / 1000)} s`)), idleMs);
    });
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), idle()]);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let boundary: RegExpExecArray | null;
      while ((boundary = /\r?\n\r?\n/.exec(buffer))) {
        const block = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) yield data;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
