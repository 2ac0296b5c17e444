// Worker thread that builds and hosts a model's tokenizer (see tokenizer-host.ts): the build (about half a second
// for a 150k vocabulary) and its garbage stay off the main thread, which calls in synchronously.
import { queryObjects } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ModelLoadError } from './errors.js';
import { ModelTokenizer } from './tokenizer.js';
import type { HostBoot, HostFailure, HostReady, HostReply, HostRequest } from './tokenizer-host.js';

const boot = workerData as HostBoot;
const signal = new Int32Array(boot.signal);

function answer(port: MessagePort, reply: HostReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
  // The reply is queued before the flag flips, so the woken caller always finds it on its port.
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function serve(tokenizer: ModelTokenizer, req: HostRequest): HostReply {
  switch (req.op) {
    case 'encode':
      return { ok: true, ids: Int32Array.from(tokenizer.encode(req.text, { addSpecialTokens: req.addSpecialTokens })) };
    case 'decode':
      return { ok: true, text: tokenizer.decode(req.ids, { skipSpecialTokens: req.skipSpecialTokens }) };
    case 'tokenToId':
      return { ok: true, id: tokenizer.tokenToId(req.token) ?? null };
    case 'idToToken':
      return { ok: true, token: tokenizer.idToToken(req.id) ?? null };
  }
}

function host(tokenizer: ModelTokenizer): void {
  boot.port.on('message', (req: HostRequest) => {
    try {
      const reply = serve(tokenizer, req);
      answer(boot.port, reply, 'ids' in reply ? [reply.ids.buffer as ArrayBuffer] : []);
    } catch (err) {
      answer(boot.port, { ok: false, message: (err as Error).message.split('\n')[0]! });
    }
  });
  const ready: HostReady = {
    type: 'ready',
    config: tokenizer.config,
    bosTokenId: tokenizer.bosTokenId,
    eosTokenId: tokenizer.eosTokenId,
    byteLevel: tokenizer.byteLevel,
    addedTokens: [...tokenizer.addedTokens],
  };
  parentPort!.postMessage(ready);
}

let built: ModelTokenizer | null = null;
try {
  built = ModelTokenizer.fromDir(boot.dir);
} catch (err) {
  // Nothing listens on the port then, so the thread ends once this message is out.
  const e = err as Error;
  const failure: HostFailure = { type: 'failed', name: e.name, message: e.message, file: err instanceof ModelLoadError ? err.file : null };
  parentPort!.postMessage(failure);
}
if (built) {
  // Parsing tokenizer.json leaves ~60 MB of garbage that nothing would collect while the thread idles (no allocation
  // pressure, so no GC). queryObjects runs a full collection before it counts; one tokenizer is what it must find.
  // Its experimental-feature warning is this thread's own business: muted so it never reaches the user's terminal.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  let live: number;
  try {
    live = queryObjects(ModelTokenizer, { format: 'count' });
  } finally {
    process.emitWarning = emitWarning;
  }
  if (live !== 1) throw new Error(`tokenizer thread: expected one tokenizer after the build, found ${live}`);
  host(built);
}
