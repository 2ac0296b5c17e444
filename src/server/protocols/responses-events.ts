// The Responses API's typed event stream for one response, in the documented order: response.created,
// response.in_progress; per output item response.output_item.added, its content part and deltas
// (response.output_text.delta / response.reasoning_text.delta / response.function_call_arguments.delta), the
// matching *.done events and response.output_item.done; then response.completed (or .incomplete / .failed).
// Every event carries a sequence_number. Codex loses the answer without the *.done events, so none is optional.
import type { SseWriter } from '../sse.js';
import type { BlockEvent, OutputBlock } from './output-blocks.js';
import { newId, outputItem } from './responses-convert.js';

export class ResponseEvents {
  private sequence = 0;
  private readonly itemIds = new Map<OutputBlock, string>();

  constructor(private readonly sse: SseWriter | null) {}

  itemId(block: OutputBlock): string {
    let id = this.itemIds.get(block);
    if (!id) {
      id = newId(block.kind === 'reasoning' ? 'rs' : block.kind === 'text' ? 'msg' : block.kind === 'tool_call' ? 'fc' : 'mcp');
      this.itemIds.set(block, id);
    }
    return id;
  }

  send(type: string, fields: Record<string, unknown>): void {
    this.sse?.event(type, { type, sequence_number: this.sequence++, ...fields });
  }

  block(e: BlockEvent): void {
    const b = e.block;
    const item_id = this.itemId(b);
    const output_index = b.index;
    if (b.kind === 'mcp_call' || b.kind === 'mcp_result') {
      // Added whole once the call finished: the in-progress item, its arguments, the outcome, the done item.
      if (e.type !== 'open') return;
      this.send('response.output_item.added', { output_index, item: outputItem(b, item_id, false) });
      this.send('response.mcp_call.in_progress', { item_id, output_index });
      this.send('response.mcp_call_arguments.done', { item_id, output_index, arguments: JSON.stringify(b.call.arguments ?? {}) });
      this.send(b.call.is_error ? 'response.mcp_call.failed' : 'response.mcp_call.completed', { item_id, output_index });
      this.send('response.output_item.done', { output_index, item: outputItem(b, item_id, true) });
      return;
    }
    if (e.type === 'open') {
      this.send('response.output_item.added', { output_index, item: outputItem(b, item_id, false) });
      if (b.kind === 'text') this.send('response.content_part.added', { item_id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      if (b.kind === 'reasoning') this.send('response.content_part.added', { item_id, output_index, content_index: 0, part: { type: 'reasoning_text', text: '' } });
      return;
    }
    if (e.type === 'delta') {
      if (b.kind === 'text') this.send('response.output_text.delta', { item_id, output_index, content_index: 0, delta: e.text, logprobs: [] });
      else if (b.kind === 'reasoning') this.send('response.reasoning_text.delta', { item_id, output_index, content_index: 0, delta: e.text });
      else this.send('response.function_call_arguments.delta', { item_id, output_index, delta: e.text });
      return;
    }
    if (b.kind === 'text') {
      this.send('response.output_text.done', { item_id, output_index, content_index: 0, text: b.text, logprobs: [] });
      this.send('response.content_part.done', { item_id, output_index, content_index: 0, part: { type: 'output_text', text: b.text, annotations: [] } });
    } else if (b.kind === 'reasoning') {
      this.send('response.reasoning_text.done', { item_id, output_index, content_index: 0, text: b.text });
      this.send('response.content_part.done', { item_id, output_index, content_index: 0, part: { type: 'reasoning_text', text: b.text } });
    } else {
      this.send('response.function_call_arguments.done', { item_id, output_index, name: b.name, arguments: b.arguments });
    }
    this.send('response.output_item.done', { output_index, item: outputItem(b, item_id, true) });
  }

  /** The finished output items, in order. */
  items(blocks: OutputBlock[]): Array<Record<string, unknown>> {
    return blocks.map((b) => outputItem(b, this.itemId(b), true));
  }
}
