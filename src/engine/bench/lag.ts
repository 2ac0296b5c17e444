// Event-loop lag of the Node process while the engine works on its own threads (issue 7: p99 under 20 ms).
//
// perf_hooks.monitorEventLoopDelay is used rather than a JS timer chain: its sampler is a libuv timer handled in C++
// (no JS runs and nothing is allocated per sample, so the probe does not add the lag it measures), it samples at
// 1 ms, and it keeps an HDR histogram. Each sample is the time between two consecutive timer callbacks, which includes
// the 1 ms period itself; the lag reported here is that interval minus the period (an idle loop reads ~0.05-0.2 ms).
// Percentiles are over samples: a single 50 ms stall is one sample, so p99 shows stalls that recur in at least 1% of
// the samples, and max shows the worst single stall.
import { createHistogram, monitorEventLoopDelay, type IntervalHistogram, type RecordableHistogram } from 'node:perf_hooks';

export const LAG_RESOLUTION_MS = 1;

export interface LagStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export class EventLoopLagMonitor {
  private histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  /**
   * The samples of the segments before a pause. A re-enabled sampler would record the whole pause as one interval
   * (it keeps its last tick's time), so each segment has its own sampler and they are merged here.
   */
  private earlier: RecordableHistogram = createHistogram();

  /**
   * Resolves once the sampler has ticked: its first tick only sets the reference time, so a stall that began before
   * it (e.g. a synchronous tokenizer parse right after start()) would go unrecorded.
   */
  async start(): Promise<void> {
    this.histogram.disable();
    this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.earlier = createHistogram();
    this.histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
  }

  /** Stops sampling without forgetting what was sampled (while a peer process has the CPU, this loop is idle). */
  pause(): void {
    this.histogram.disable();
    this.keepSegment();
  }

  async resume(): Promise<void> {
    this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
  }

  stop(): LagStats {
    this.histogram.disable();
    this.keepSegment();
    const h = this.earlier;
    const lag = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
    if (h.count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
    return { p50Ms: lag(h.percentile(50)), p99Ms: lag(h.percentile(99)), maxMs: lag(h.max), samples: h.count };
  }

  /** Moves the current sampler's samples into `earlier` (an interval histogram cannot be added to another). */
  private keepSegment(): void {
    const h = this.histogram;
    if (h.count === 0) return;
    // Its distribution at every 0.1%, each point weighted by its share of the samples, and its exact max.
    const per = h.count / 1000;
    let carried = 0;
    for (let q = 1; q <= 1000; q++) {
      carried += per;
      const n = Math.floor(carried);
      carried -= n;
      const value = Math.max(1, Math.round(h.percentile(q / 10)));
      for (let i = 0; i < n; i++) this.earlier.record(value);
    }
    this.earlier.record(Math.max(1, Math.round(h.max)));
    h.reset();
  }
}
