// The bench's event-loop lag monitor: a stall while sampling is recorded; the time a peer runs while the monitor is
// paused is not (a re-enabled sampler would record the whole pause as one interval).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopLagMonitor } from '../../src/engine/bench/lag.js';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test('a stall while sampling is the max; a longer block while paused is not recorded', async () => {
  const m = new EventLoopLagMonitor();
  await m.start();
  await tick();
  block(40);
  await tick();
  m.pause();
  block(400);
  await m.resume();
  await tick();
  const s = m.stop();
  assert.ok(s.samples > 0);
  assert.ok(s.maxMs >= 35 && s.maxMs < 300, `max ${s.maxMs} ms: the 40 ms stall, not the 400 ms paused block`);
  assert.ok(s.p50Ms < 35, `p50 ${s.p50Ms} ms`);
});
