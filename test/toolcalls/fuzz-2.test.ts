// Fuzz, half 2 of 2 (the halves run in parallel): 50,000 random and mutated inputs spread evenly over every
// registered parser, each parsed whole and streamed in random chunks. Zero exceptions, zero scanner failures,
// zero stream inconsistencies, zero streaming/non-streaming mismatches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listToolParsers } from '../../src/agent/toolcalls/index.js';
import { allFixtures } from './collect.js';
import { runFuzz } from './fuzz-core.js';

test('fuzz half 2: 50,000 inputs through every parser, both modes', async (t) => {
  const corpus = (await allFixtures()).map((f) => f.input);
  const started = process.hrtime.bigint();
  const r = runFuzz(202, 50_000, corpus);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.diagnostic(`${r.runs} runs over ${Object.keys(r.perParser).length} parsers in ${ms.toFixed(0)} ms`);
  assert.equal(r.runs, 50_000);
  for (const f of listToolParsers()) assert.ok((r.perParser[f.name] ?? 0) >= Math.floor(50_000 / listToolParsers().length), `parser ${f.name} under-fuzzed`);
  const failures = { exceptions: r.exceptions, scannerFailures: r.scannerFailures, inconsistencies: r.inconsistencies, mismatches: r.mismatches };
  assert.deepEqual(failures, { exceptions: 0, scannerFailures: 0, inconsistencies: 0, mismatches: 0 }, r.examples.join('\n'));
});
