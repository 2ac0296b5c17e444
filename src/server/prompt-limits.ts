// Big prompts are refused cheaply: by size before the template renders them, and by counting tokens in
// slices that stop as soon as the context is exceeded, so a multi-megabyte prompt neither blocks the server
// for seconds nor is tokenized in full just to be refused. A model with a tokenizer.json has its big
// prompts tokenized on a worker thread; otherwise the slices yield to the event loop between them.
import type { ServerContext } from './context.js';
import { badRequest } from './errors.js';
import { textSlices } from './text-slices.js';
import type { ChatRequestMessage } from './schemas.js';

/**
 * No token of the supported tokenizers covers more characters than this (the longest merges are runs of
 * spaces or punctuation), so a text longer than context × this cannot fit and is refused unread.
 */
export const MAX_CHARS_PER_TOKEN = 64;
/** Texts up to this many characters are tokenized in one call on the main thread (a few milliseconds). */
export const DIRECT_ENCODE_CHARS = 64 * 1024;

const tooLong = (limit: number, detail: string, param: string) =>
  badRequest(`This model's maximum context length is ${limit} tokens, but ${detail}`, param, 'context_length_exceeded');

/** Refuses, before rendering, a request whose text (`chars` characters in all) cannot fit the context. */
export function checkPromptChars(ctx: ServerContext, chars: number, param: string): void {
  const limit = ctx.model.info.contextLength;
  if (chars > limit * MAX_CHARS_PER_TOKEN) {
    throw tooLong(limit, `the prompt has ${chars} characters, more than ${limit} tokens can hold`, param);
  }
}

/** Characters of text a chat request carries (contents, reasoning, tool calls, tool schemas), without copying it. */
export function requestChars(messages: readonly ChatRequestMessage[], extra: readonly unknown[] = []): number {
  let n = 0;
  for (const m of messages) {
    n += contentChars(m.content);
    if (m.role === 'assistant') {
      n += m.reasoning_content?.length ?? 0;
      for (const c of m.tool_calls ?? []) n += c.function.name.length + c.function.arguments.length;
    }
  }
  for (const e of extra) n += JSON.stringify(e ?? null).length;
  return n;
}

function contentChars(content: ChatRequestMessage['content']): number {
  if (content == null) return 0;
  if (typeof content === 'string') return content.length;
  let n = 0;
  for (const part of content) n += part.text.length;
  return n;
}

/**
 * Tokenizes a prompt, refusing it (400 context_length_exceeded) once it is known to exceed the context.
 * Big texts are first counted slice by slice, yielding between slices, and only encoded whole if they fit.
 */
export async function encodeWithinContext(
  ctx: ServerContext,
  text: string,
  opts: { addSpecialTokens: boolean },
  param = 'messages',
): Promise<number[]> {
  const limit = ctx.model.info.contextLength;
  if (text.length <= DIRECT_ENCODE_CHARS) return ctx.model.encode(text, opts);
  if (ctx.tokenizerThread) {
    const r = await ctx.tokenizerThread.encodeWithin(text, opts.addSpecialTokens, limit);
    if ('ids' in r) return r.ids;
    throw tooLong(limit, `the prompt has more than ${r.tokens} tokens (counted in its first ${r.chars} of ${text.length} characters)`, param);
  }
  let counted = 0;
  for (const { end, slice } of textSlices(text)) {
    counted += ctx.model.countTokens(slice);
    if (counted >= limit) {
      throw tooLong(limit, `the prompt has more than ${counted} tokens (counted in its first ${end} of ${text.length} characters)`, param);
    }
    await new Promise<void>((resolve) => setImmediate(resolve)); // let other requests (and /health) run
  }
  return ctx.model.encode(text, opts);
}
