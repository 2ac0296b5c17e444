// Checks an event sequence against the order each protocol documents, so a stream that skips or reorders an
// event (a missing *.done, a delta outside its block) fails the test that produced it.
import assert from 'node:assert/strict';

export interface SseEvent {
  event: string | null;
  data: any;
}

/** Parses a raw SSE body into named events with JSON data. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      const joined = data.join('\n');
      return { event, data: joined === '[DONE]' ? joined : JSON.parse(joined) };
    });
}

/**
 * Anthropic Messages: message_start, [ping], then per block content_block_start, content_block_delta*,
 * content_block_stop (indexes 0, 1, ... in order, deltas matching the block's type), then message_delta, message_stop.
 */
export function assertAnthropicOrder(events: Array<{ type: string; index?: number; content_block?: any; delta?: any }>): void {
  const types = events.map((e) => e.type).filter((t) => t !== 'ping');
  assert.equal(types[0], 'message_start', types.join(','));
  assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop'], types.join(','));
  const deltaFor: Record<string, string> = { text: 'text_delta', thinking: 'thinking_delta', tool_use: 'input_json_delta' };
  let open: { index: number; type: string } | null = null;
  let next = 0;
  for (const e of events.slice(1, -2)) {
    if (e.type === 'ping') continue;
    if (e.type === 'content_block_start') {
      assert.equal(open, null, 'a block started before the previous one stopped');
      assert.equal(e.index, next++, 'blocks are numbered in order');
      open = { index: e.index!, type: e.content_block.type };
    } else if (e.type === 'content_block_delta') {
      assert.ok(open, 'a delta outside a block');
      assert.equal(e.index, open.index);
      assert.equal(e.delta.type, deltaFor[open.type], `a ${e.delta.type} in a ${open.type} block`);
    } else if (e.type === 'content_block_stop') {
      assert.ok(open, 'a stop without a start');
      assert.equal(e.index, open.index);
      open = null;
    } else assert.fail(`unexpected ${e.type} between message_start and message_delta`);
  }
  assert.equal(open, null, 'a block was never stopped');
}

/**
 * OpenAI Responses: response.created, response.in_progress; per output item output_item.added, its
 * content_part.added (message, reasoning), deltas, the *.done events, output_item.done; then response.completed or
 * response.incomplete. sequence_number counts up from 0.
 */
export function assertResponsesOrder(events: Array<{ type: string; sequence_number: number; output_index?: number; item?: any }>): void {
  const types = events.map((e) => e.type);
  events.forEach((e, i) => assert.equal(e.sequence_number, i, `sequence_number of ${e.type}`));
  assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress'], types.join(','));
  assert.ok(['response.completed', 'response.incomplete'].includes(types.at(-1)!), types.join(','));
  const expected = (itemType: string): string[] =>
    itemType === 'message'
      ? ['response.content_part.added', 'response.output_text.delta*', 'response.output_text.done', 'response.content_part.done']
      : itemType === 'reasoning'
        ? ['response.content_part.added', 'response.reasoning_text.delta*', 'response.reasoning_text.done', 'response.content_part.done']
        : itemType === 'mcp_call'
          ? ['response.mcp_call.in_progress', 'response.mcp_call_arguments.done', 'response.mcp_call.completed|response.mcp_call.failed']
          : ['response.function_call_arguments.delta*', 'response.function_call_arguments.done'];
  let i = 2;
  let outputIndex = 0;
  while (i < events.length - 1) {
    const added = events[i];
    assert.equal(added.type, 'response.output_item.added', `at ${i}: ${types.join(',')}`);
    assert.equal(added.output_index, outputIndex);
    i++;
    for (const step of expected(added.item.type)) {
      if (step.endsWith('*')) {
        while (events[i].type === step.slice(0, -1)) {
          assert.equal(events[i].output_index, outputIndex);
          i++;
        }
      } else {
        assert.ok(step.split('|').includes(events[i].type), `at ${i}: expected ${step}: ${types.join(',')}`);
        assert.equal(events[i].output_index, outputIndex);
        i++;
      }
    }
    assert.equal(events[i].type, 'response.output_item.done', `at ${i}: ${types.join(',')}`);
    assert.equal(events[i].output_index, outputIndex);
    assert.equal(events[i].item.id, added.item.id);
    i++;
    outputIndex++;
  }
}
