// vmlx serve over a RemoteModel in-process: a client that goes away aborts the upstream request, and requests
// reach the upstream concurrently (the engine upstream batches; vmlx does not serialise them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteModel } from '../../src/engine/remote/index.js';
import { startServer } from '../server/harness.js';
import { startFakeUpstream, textChunks } from './fake-upstream.js';

test('a client disconnect aborts the upstream request; concurrent requests are in flight upstream together', async () => {
  const up = await startFakeUpstream([{ kind: 'hang' }, { kind: 'hang' }, { kind: 'stream', chunks: textChunks('third') }]);
  const model = await RemoteModel.connect({ endpoint: up.url, model: 'up-model' });
  const srv = await startServer(model, { concurrency: 4 });
  try {
    const body = JSON.stringify({ model: 'test-model', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const clients = [new AbortController(), new AbortController()];
    const pending = clients.map((c) =>
      fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: c.signal })
        .then((r) => r.text())
        .catch(() => 'aborted'),
    );
    while (up.requests.length < 2) await new Promise((r) => setImmediate(r));
    // Both hanging requests are upstream at once; a third is answered while they still hang.
    const third = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('true', 'false') });
    assert.equal(((await third.json()) as any).choices[0].message.content, 'third');
    for (const c of clients) c.abort();
    await Promise.all(pending);
    await up.closed(0);
    await up.closed(1);
  } finally {
    await srv.close();
    await up.close();
  }
});
