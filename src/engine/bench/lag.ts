// Event-loop lag of the Node process while the engine works on its own threads (issue 7: p99 under 20 ms).
//
// perf_hooks.monitorEventLoopDelay is used rather than a JS timer chain: its sampler is a libuv timer handled in C++
// (no JS runs and nothing is allocated per sample, so the probe does not add the lag it measures), it samples at
// 1 ms, and it keeps an HDR histogram. Each sample is the time between two consecutive timer callbacks, which includes
// the 1 ms period itself; the lag reported here is that interval minus the period (an idle loop reads ~0.05-0.2 ms).
// Percentiles are over samples: a single 50 ms stall is one sample, so p99 shows stalls that recur in at least 1% of
// the samples, and max shows the worst single stall.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export const LAG_RESOLUTION_MS = 1;

export interface LagStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export class EventLoopLagMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });

  /**
   * Resolves once the sampler has ticked: its first tick only sets the reference time, so a stall that began before
   * it (e.g. a synchronous tokenizer parse right after start()) would go unrecorded.
   */
  async start(): Promise<void> {
    this.histogram.reset();
    this.histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
  }

  /** Stops sampling without forgetting what was sampled (while a peer process has the CPU, this loop is idle). */
  pause(): void {
    this.histogram.disable();
  }

  async resume(): Promise<void> {
    this.histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
  }

  stop(): LagStats {
    this.histogram.disable();
    const h = this.histogram;
    const lag = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
    if (h.count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
    return { p50Ms: lag(h.percentile(50)), p99Ms: lag(h.percentile(99)), maxMs: lag(h.max), samples: h.count };
  }
}
