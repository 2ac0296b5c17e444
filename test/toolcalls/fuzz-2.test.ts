// Fuzz, quarter 2 of 4 (the quarters run in parallel): 25,000 random and mutated inputs, each through EVERY
// registered parser, parsed whole and streamed in random chunks; with the other quarters, 100,000 inputs per parser.
// Zero exceptions, zero scanner failures, zero stream inconsistencies, zero streaming/non-streaming mismatches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listToolParsers } from '../../src/agent/toolcalls/index.js';
import { allFixtures } from './collect.js';
import { runFuzz } from './fuzz-core.js';

const INPUTS = 25_000;

test('fuzz quarter 2: 25,000 inputs through every parser, both modes', async (t) => {
  const corpus = (await allFixtures()).map((f) => f.input);
  const started = process.hrtime.bigint();
  const r = runFuzz(201, INPUTS, corpus);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const parsers = listToolParsers();
  t.diagnostic(`${r.runs} runs (${INPUTS} inputs × ${parsers.length} parsers) in ${ms.toFixed(0)} ms`);
  assert.equal(r.runs, INPUTS * parsers.length);
  for (const f of parsers) assert.equal(r.perParser[f.name], INPUTS, `parser ${f.name} under-fuzzed`);
  const failures = { exceptions: r.exceptions, scannerFailures: r.scannerFailures, inconsistencies: r.inconsistencies, mismatches: r.mismatches };
  assert.deepEqual(failures, { exceptions: 0, scannerFailures: 0, inconsistencies: 0, mismatches: 0 }, r.examples.join('\n'));
});
