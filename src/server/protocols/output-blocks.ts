// Parser deltas → the ordered output blocks both agent protocols stream (Anthropic content blocks, Responses output
// items): a block opens when its kind of output starts, takes deltas, and closes when another block begins or the
// output ends. Tool calls are one block each; their deltas are the JSON argument fragments as the parser made them.
import type { StreamDelta } from '../../agent/toolcalls/types.js';
import type { ExecutedCall } from '../auto-run.js';

export type OutputBlock =
  | { kind: 'text'; index: number; text: string }
  | { kind: 'reasoning'; index: number; text: string }
  | { kind: 'tool_call'; index: number; callIndex: number; id: string; name: string; arguments: string }
  /** A call mcp_auto_execute ran (added whole, once it finished), and, for protocols that split them, its result. */
  | { kind: 'mcp_call'; index: number; call: ExecutedCall }
  | { kind: 'mcp_result'; index: number; call: ExecutedCall };

export type BlockEvent =
  | { type: 'open'; block: OutputBlock }
  | { type: 'delta'; block: OutputBlock; text: string }
  | { type: 'close'; block: OutputBlock };

export class BlockAssembler {
  readonly blocks: OutputBlock[] = [];
  private open: OutputBlock | null = null;
  private readonly calls = new Map<number, OutputBlock & { kind: 'tool_call' }>();

  push(deltas: StreamDelta[]): BlockEvent[] {
    const events: BlockEvent[] = [];
    for (const d of deltas) {
      if (d.type === 'content' || d.type === 'reasoning') {
        const kind = d.type === 'content' ? 'text' : 'reasoning';
        const block = this.open?.kind === kind ? this.open : this.start(events, { kind, index: this.blocks.length, text: '' });
        block.text += d.text;
        events.push({ type: 'delta', block, text: d.text });
      } else if (d.type === 'tool_call') {
        let block = this.calls.get(d.index);
        if (!block) {
          block = { kind: 'tool_call', index: this.blocks.length, callIndex: d.index, id: d.id ?? '', name: d.name ?? '', arguments: '' };
          this.calls.set(d.index, block);
          this.start(events, block);
        } else if (d.name && !block.name) block.name = d.name;
        if (d.arguments) {
          block.arguments += d.arguments;
          events.push({ type: 'delta', block, text: d.arguments });
        }
      }
    }
    return events;
  }

  /** Adds a block that is complete as it is: it opens and closes at once. */
  whole(block: { kind: 'mcp_call' | 'mcp_result'; call: ExecutedCall }): BlockEvent[] {
    const events: BlockEvent[] = [];
    const added = this.start(events, { ...block, index: this.blocks.length });
    this.open = null;
    events.push({ type: 'close', block: added });
    return events;
  }

  /** Closes the open block (end of output). */
  finish(): BlockEvent[] {
    const events: BlockEvent[] = [];
    if (this.open) events.push({ type: 'close', block: this.open });
    this.open = null;
    return events;
  }

  private start<B extends OutputBlock>(events: BlockEvent[], block: B): B {
    if (this.open) events.push({ type: 'close', block: this.open });
    this.blocks.push(block);
    this.open = block;
    events.push({ type: 'open', block });
    return block;
  }
}
