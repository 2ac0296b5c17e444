// Scheduler and KV cache figures: the cache part of /health, and /metrics in the Prometheus text format. Each
// server has its own registry (two servers in one process do not share counters); values are read when scraped.
import { Counter, Gauge, Registry } from 'prom-client';
import type { CacheFigures, SchedulerFigures } from '../engine/types.js';
import type { ServerContext } from './context.js';

/** /health's "engine" object: the scheduler's sequences (null for an engine without one: a remote engine). */
export function engineHealth(f: SchedulerFigures | undefined): Record<string, number> | null {
  return f ? { running: f.running, waiting: f.waiting, preemptions: f.preemptions } : null;
}

/** /health's "cache" object (null without a paged pool: a remote engine, or kvCacheMemory 'off'). */
export function cacheHealth(f: CacheFigures | null): Record<string, number> | null {
  if (!f) return null;
  return {
    blocks_total: f.blocks,
    blocks_used: f.blocks - f.freeBlocks,
    blocks_free: f.freeBlocks,
    blocks_in_requests: f.sequenceBlockRefs,
    block_tokens: f.blockTokens,
    cached_prefix_blocks: f.cachedBlocks,
    recurrent_checkpoints: f.snapshots,
    lookups: f.lookups,
    hits: f.hits,
    hit_rate: f.lookups > 0 ? f.hits / f.lookups : 0,
    prompt_tokens: f.promptTokens,
    cached_tokens: f.cachedTokens,
    evictions: f.evictions,
    out_of_memory: f.outOfMemory,
  };
}

type Totals = Pick<CacheFigures, 'lookups' | 'hits' | 'promptTokens' | 'cachedTokens' | 'evictions' | 'outOfMemory'>;

export class ServerMetrics {
  readonly registry = new Registry();

  constructor(ctx: Pick<ServerContext, 'queue' | 'model'>) {
    const reg = [this.registry];
    const figures = () => ctx.model.cacheFigures?.() ?? null;
    new Gauge({ name: 'vmlx_requests_running', help: 'Generation requests running', registers: reg, collect() { this.set(ctx.queue.running); } });
    new Gauge({ name: 'vmlx_requests_waiting', help: 'Generation requests waiting for a slot', registers: reg, collect() { this.set(ctx.queue.pending); } });
    // The engine's view: a request admitted by the queue may be waiting in the scheduler (preempted, or prefilling
    // behind the step budget).
    const engine = () => ctx.model.schedulerFigures?.();
    new Gauge({ name: 'vmlx_engine_sequences_running', help: 'Sequences the engine scheduler runs (sharing each forward pass)', registers: reg, collect() { const f = engine(); if (f) this.set(f.running); } });
    new Gauge({ name: 'vmlx_engine_sequences_waiting', help: 'Sequences waiting in the engine scheduler (new or preempted)', registers: reg, collect() { const f = engine(); if (f) this.set(f.waiting); } });
    let lastPreemptions = 0;
    new Counter({
      name: 'vmlx_engine_preemptions_total',
      help: 'Sequences preempted (dropped and recomputed later) because the KV cache ran out',
      registers: reg,
      collect() {
        const f = engine();
        if (!f || f.preemptions <= lastPreemptions) return;
        this.inc(f.preemptions - lastPreemptions);
        lastPreemptions = f.preemptions;
      },
    });
    const gauge = (name: string, help: string, value: (f: CacheFigures) => number) =>
      new Gauge({ name, help, registers: reg, collect() { const f = figures(); if (f) this.set(value(f)); } });
    gauge('vmlx_kv_cache_blocks', 'Blocks of the paged KV pool (one attention layer x block_tokens positions)', (f) => f.blocks);
    gauge('vmlx_kv_cache_blocks_used', 'Pool blocks referenced by a request or by the prefix cache', (f) => f.blocks - f.freeBlocks);
    gauge('vmlx_kv_cache_blocks_free', 'Pool blocks free', (f) => f.freeBlocks);
    gauge('vmlx_kv_cache_request_block_refs', 'Block references held by running requests', (f) => f.sequenceBlockRefs);
    gauge('vmlx_kv_cache_bytes', 'Bytes of the paged KV pool (the --kv-cache-memory budget, less checkpoints)', (f) => f.blocks * f.blockBytes);
    gauge('vmlx_prefix_cache_blocks', 'Token blocks held by the prefix cache', (f) => f.cachedBlocks);
    gauge('vmlx_prefix_cache_checkpoints', 'Recurrent-state checkpoints held by the prefix cache', (f) => f.snapshots);
    gauge('vmlx_prefix_cache_hit_rate', 'Share of prompts that reused a cached prefix', (f) => (f.lookups > 0 ? f.hits / f.lookups : 0));
    // Counters follow the engine's totals: each scrape adds what changed since the last one.
    const last: Totals = { lookups: 0, hits: 0, promptTokens: 0, cachedTokens: 0, evictions: 0, outOfMemory: 0 };
    const counter = (name: string, help: string, key: keyof Totals) =>
      new Counter({
        name,
        help,
        registers: reg,
        collect() {
          const f = figures();
          if (!f || f[key] <= last[key]) return;
          this.inc(f[key] - last[key]);
          last[key] = f[key];
        },
      });
    counter('vmlx_prefix_cache_lookups_total', 'Prompts looked up in the prefix cache', 'lookups');
    counter('vmlx_prefix_cache_hits_total', 'Prompts that reused a cached prefix', 'hits');
    counter('vmlx_prompt_tokens_total', 'Prompt tokens of the looked-up prompts', 'promptTokens');
    counter('vmlx_prompt_tokens_cached_total', 'Prompt tokens reused from the prefix cache instead of computed', 'cachedTokens');
    counter('vmlx_prefix_cache_evictions_total', 'Prefix-cache blocks evicted to make room', 'evictions');
    counter('vmlx_kv_cache_out_of_memory_total', 'Allocations refused with the pool full of blocks in use', 'outOfMemory');
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
