// Turns parser deltas into OpenAI chat.completion.chunk deltas, merging what one model step released.
import { randomUUID } from 'node:crypto';
import type { StreamDelta } from '../agent/toolcalls/types.js';

export interface ChunkToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: ChunkToolCallDelta[];
}

/** Merges one batch of parser deltas into a single chunk delta; null when nothing visible changed. */
export function mergeDeltas(deltas: StreamDelta[]): ChunkDelta | null {
  const out: ChunkDelta = {};
  let any = false;
  for (const d of deltas) {
    if (d.type === 'content') {
      out.content = (out.content ?? '') + d.text;
      any = true;
    } else if (d.type === 'reasoning') {
      out.reasoning_content = (out.reasoning_content ?? '') + d.text;
      any = true;
    } else if (d.type === 'tool_call') {
      const calls = (out.tool_calls ??= []);
      const last = calls[calls.length - 1];
      if (last && last.index === d.index && d.id === undefined) {
        if (d.arguments) last.function.arguments = (last.function.arguments ?? '') + d.arguments;
      } else {
        const call: ChunkToolCallDelta = { index: d.index, function: {} };
        if (d.id !== undefined) {
          call.id = d.id;
          call.type = 'function';
        }
        if (d.name !== undefined) call.function.name = d.name;
        call.function.arguments = d.arguments ?? '';
        calls.push(call);
      }
      any = true;
    }
  }
  return any ? out : null;
}

/** The ids and envelopes of one chat completion, streamed (chunks) or whole. */
export class ChatCompletionShapes {
  readonly id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly model: string) {}

  chunk(delta: object, extra: Record<string, unknown> = {}): object {
    return this.envelope('chat.completion.chunk', [{ index: 0, delta, logprobs: null, finish_reason: null, ...extra }]);
  }

  /** The final chunk of stream_options.include_usage: no choices, just usage. */
  usageChunk(usage: object): object {
    return { ...this.envelope('chat.completion.chunk', []), usage };
  }

  completion(message: object, finishReason: string, usage: object, logprobs: object | null = null): object {
    return { ...this.envelope('chat.completion', [{ index: 0, message, logprobs, finish_reason: finishReason }]), usage };
  }

  private envelope(object: string, choices: object[]): Record<string, unknown> {
    return { id: this.id, object, created: this.created, model: this.model, system_fingerprint: 'vmlx', choices };
  }
}
