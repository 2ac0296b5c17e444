// The prompt share of a step beside decoding sequences, from measured step times (src/engine/scheduler/prefill-pacer.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_REFRESH_STEPS, PrefillPacer } from '../../src/engine/scheduler/prefill-pacer.js';

test('nobody decoding: a prompt gets the whole budget', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 256 });
  assert.equal(p.promptBudget(0), 256);
});

test('beside decoders: first a decode-only step to time, then the initial chunk, then a chunk sized by the measured costs', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 256, initialTokens: 16 });
  assert.equal(p.promptBudget(4), 0, 'nothing timed yet: a decode-only step');
  p.observe(4, 0, 40);
  assert.equal(p.promptBudget(4), 16, 'the decode step is timed, a prompt token not yet');
  // 16 prompt tokens added 80 ms: 5 ms each, and a mixed step may add one decode step's 40 ms.
  p.observe(4, 16, 120);
  assert.equal(p.promptBudget(4), 8);
  // Ratio 3 allows twice the spare time.
  const wide = new PrefillPacer({ stepRatio: 3, maxTokens: 256 });
  wide.observe(4, 0, 40);
  wide.observe(4, 16, 120);
  assert.equal(wide.promptBudget(4), 16);
});

test('the budget never exceeds what the decoders leave of the step budget, and is at least one token', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 10 });
  p.observe(4, 0, 1000);
  p.observe(4, 2, 1000.002);
  assert.equal(p.promptBudget(4), 6, 'cheap prompt tokens: capped by the step budget less the decoders');
  const slow = new PrefillPacer({ stepRatio: 2, maxTokens: 256 });
  slow.observe(2, 0, 10);
  slow.observe(2, 4, 1010);
  assert.equal(slow.promptBudget(2), 1, 'one expensive prompt token still progresses');
});

test('an unmeasured count of decoders uses the nearest measured one', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 256 });
  p.observe(2, 0, 20);
  p.observe(8, 0, 60);
  p.observe(8, 10, 110); // 5 ms per prompt token
  assert.equal(p.promptBudget(7), 12, '60 ms of spare at 5 ms a token');
  assert.equal(p.promptBudget(3), 4, '20 ms of spare at 5 ms a token');
});

test('times are moving averages: one slow step moves the estimate a quarter of the way', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 256 });
  p.observe(1, 0, 40);
  p.observe(1, 0, 200); // 40 + 0.25 * 160 = 80
  p.observe(1, 8, 120); // 5 ms a token against the 80 ms average
  assert.equal(p.promptBudget(1), 16);
});

test('a ratio of 1 or less is refused', () => {
  assert.throws(() => new PrefillPacer({ stepRatio: 1, maxTokens: 8 }), /stepRatio must be greater than 1/);
});

test('after a run of mixed steps one decode-only step times the decoders again, and a slower decode step widens the chunk', () => {
  const p = new PrefillPacer({ stepRatio: 2, maxTokens: 256 });
  p.observe(4, 0, 40);
  p.observe(4, 8, 80); // 5 ms a prompt token
  for (let i = 1; i < DECODE_REFRESH_STEPS; i++) {
    assert.equal(p.promptBudget(4), 8);
    p.observe(4, 8, 80);
  }
  assert.equal(p.promptBudget(4), 0, `after ${DECODE_REFRESH_STEPS} mixed steps: a decode-only step`);
  // The decoders' contexts grew: their step now takes 80 ms (the average moves a quarter of the way, to 50 ms).
  p.observe(4, 0, 80);
  assert.equal(p.promptBudget(4), 10);
});
