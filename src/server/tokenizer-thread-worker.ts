// Worker thread: tokenizes big prompts with the model's own tokenizer.json, so the server's event loop
// keeps answering meanwhile. Counts in slices first, so a prompt far past the context is not encoded whole.
import { parentPort, workerData } from 'node:worker_threads';
import { ModelTokenizer } from '../engine/tokenizer.js';
import { textSlices } from './text-slices.js';
import type { TokenizeReply, TokenizeRequest } from './tokenizer-thread.js';

const tokenizer = ModelTokenizer.fromDir((workerData as { dir: string }).dir);

parentPort!.on('message', (req: TokenizeRequest) => {
  let reply: TokenizeReply;
  try {
    reply = { id: req.id, ...encodeWithin(req) };
  } catch (err) {
    reply = { id: req.id, error: (err as Error).message };
  }
  if ('ids' in reply) parentPort!.postMessage(reply, [reply.ids.buffer as ArrayBuffer]);
  else parentPort!.postMessage(reply);
});

function encodeWithin(req: TokenizeRequest): { ids: Int32Array } | { tokens: number; chars: number } {
  let counted = 0;
  for (const { end, slice } of textSlices(req.text)) {
    counted += tokenizer.encode(slice, { addSpecialTokens: false }).length;
    if (counted >= req.limit) return { tokens: counted, chars: end };
  }
  return { ids: Int32Array.from(tokenizer.encode(req.text, { addSpecialTokens: req.addSpecialTokens })) };
}
