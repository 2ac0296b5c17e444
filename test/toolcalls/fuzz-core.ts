// Fuzzing every registered parser: random and mutated inputs (fixture mutations: truncation, marker insertion
// and deletion, random unicode, duplication) in both modes. Counts exceptions, scanner failures caught by the
// driver, stream inconsistencies and any difference between assembled stream deltas and parseModelOutput.
import { listToolParsers, listReasoningParsers, parseModelOutput, type ParserOptions } from '../../src/agent/toolcalls/index.js';
import { seededRandom } from '../../src/agent/toolcalls/util/ids.js';
import { assemble, randomChunks, shape } from './harness.js';
import { TOOLS } from './fixtures/common.js';
import { isDeepStrictEqual } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allFixtures } from './collect.js';

export interface FuzzReport {
  runs: number;
  exceptions: number;
  scannerFailures: number;
  inconsistencies: number;
  mismatches: number;
  perParser: Record<string, number>;
  /** Failures (any kind) per parser. */
  failuresByParser: Record<string, number>;
  examples: string[];
}

const EXTRA_MARKERS = [
  '<tool_call>', '</tool_call>', '<think>', '</think>', '[THINK]', '[/THINK]', '[TOOL_CALLS]', '[ARGS]', '[CALL_ID]',
  '<|python_tag|>', '<|python_start|>', '<|python_end|>', '<function=', '</function>', '<parameter=', '</parameter>', '```json\n', '```',
  'functools', '<|tool_call|>', '{', '}', '[', ']', '(', ')', '"', "'", '\\', ',', ':', ';', '=', '\n', ' ', '{"name": "get_time", "arguments": ',
  '"name"', '"arguments"', 'get_weather(', 'city=', 'True', 'None', '12.5', '-', 'e', 'null', 'tr',
];
const UNICODE = ['é', '東', '😀', '\u0000', '\ud83d', '\ude00', '\u2028', '｜', '▁', '\t', '\r\n', 'ß'];

function markersOfAllParsers(): string[] {
  const set = new Set<string>(EXTRA_MARKERS);
  for (const f of listToolParsers()) for (const m of [...f.markers, ...(f.altMarkers ?? []).flat()]) set.add(m);
  for (const r of listReasoningParsers()) for (const m of r.markers ?? []) set.add(m);
  return [...set];
}

export function mutate(input: string, rand: () => number, markers: string[]): string {
  let s = input;
  const steps = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < steps; k++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = Math.floor(rand() * 7);
    if (op === 0) s = s.slice(0, at); // truncation
    else if (op === 1) s = s.slice(0, at) + markers[Math.floor(rand() * markers.length)] + s.slice(at); // marker insertion
    else if (op === 2) {
      // deletion of a marker occurrence or of a random slice
      const m = markers[Math.floor(rand() * markers.length)];
      const i = s.indexOf(m);
      s = i >= 0 ? s.slice(0, i) + s.slice(i + m.length) : s.slice(0, at) + s.slice(at + Math.floor(rand() * 6));
    } else if (op === 3) s = s.slice(0, at) + UNICODE[Math.floor(rand() * UNICODE.length)] + s.slice(at);
    else if (op === 4) s = s.slice(0, at) + s.slice(Math.floor(rand() * s.length), Math.floor(rand() * s.length)) + s.slice(at); // duplication
    else if (op === 5) s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 95)) + s.slice(at + 1); // replace a char
    else s = s.slice(at) + s.slice(0, at); // rotation
  }
  return s;
}

function randomInput(rand: () => number, markers: string[]): string {
  let s = '';
  const n = Math.floor(rand() * 14);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.5) s += markers[Math.floor(rand() * markers.length)];
    else if (r < 0.8) s += 'abc xyz Paris 42 '.slice(Math.floor(rand() * 10), 10 + Math.floor(rand() * 7));
    else s += UNICODE[Math.floor(rand() * UNICODE.length)];
  }
  return s;
}

/**
 * Run `count` inputs, each through EVERY registered parser, parsed whole and streamed with one random chunking
 * (the same chunks for every parser).
 */
export function runFuzz(seed: number, count: number, corpus: string[]): FuzzReport {
  const rand = seededRandom(seed);
  const markers = markersOfAllParsers();
  const parsers = listToolParsers().map((f) => f.name);
  const report: FuzzReport = { runs: 0, exceptions: 0, scannerFailures: 0, inconsistencies: 0, mismatches: 0, perParser: {}, failuresByParser: {}, examples: [] };
  let current = '';
  const note = (what: string, parser: string, input: string): void => {
    report.failuresByParser[parser] = (report.failuresByParser[parser] ?? 0) + 1;
    if (report.failuresByParser[parser] <= 2 && report.examples.length < 40) report.examples.push(`${what} [${parser}] ${JSON.stringify(input)} ${current}`);
  };
  for (let i = 0; i < count; i++) {
    const input = rand() < 0.2 ? randomInput(rand, markers) : mutate(corpus[Math.floor(rand() * corpus.length)], rand, markers);
    const base = {
      tools: rand() < 0.8 ? TOOLS : undefined,
      toolChoice: (rand() < 0.05 ? 'none' : 'auto') as ParserOptions['toolChoice'],
      startsInReasoning: rand() < 0.1,
      idSeed: 3,
    };
    const chunks = rand() < 0.03 ? [...input] : randomChunks(input, Math.floor(rand() * 1e9), 2 + Math.floor(rand() * 40));
    current = JSON.stringify({ tools: !!base.tools, toolChoice: base.toolChoice, startsInReasoning: base.startsInReasoning, chunks });
    for (const parser of parsers) checkOne(parser, input, chunks, { ...base, toolParser: parser });
  }
  return report;

  function checkOne(parser: string, input: string, chunks: string[], opts: ParserOptions): void {
    report.runs++;
    report.perParser[parser] = (report.perParser[parser] ?? 0) + 1;
    try {
      const whole = parseModelOutput(input, opts);
      const streamed = assemble(chunks, opts);
      const all = [...whole.warnings, ...streamed.result.warnings];
      if (all.some((w) => w.code === 'malformed_call' && /^(reasoning )?parser .* failed:/.test(w.message))) {
        report.scannerFailures++;
        note('scanner threw', parser, input);
      }
      if (all.some((w) => w.code === 'stream_inconsistency')) {
        report.inconsistencies++;
        note('inconsistent', parser, input);
      }
      const { result, ...got } = streamed;
      if (!isDeepStrictEqual(got, shape(whole)) || !isDeepStrictEqual(shape(result), shape(whole))) {
        report.mismatches++;
        note('mismatch', parser, input);
      }
    } catch (err) {
      report.exceptions++;
      note(`exception ${(err as Error).message}`, parser, input);
    }
  }
}

/** Inputs per quarter; the four fuzz-N.fuzz.ts files (npm run test:fuzz, in parallel) make 100,000 inputs per parser. */
export const QUARTER_INPUTS = 25_000;
/** Inputs of the sample that npm test runs (fuzz-sample.test.ts): every parser, in a few seconds. */
export const SAMPLE_INPUTS = 2_000;

/**
 * Registers quarter `n` of the fuzz test: QUARTER_INPUTS inputs (seed n01), each through every registered parser,
 * parsed whole and streamed. Zero exceptions, scanner failures, stream inconsistencies and mismatches.
 */
export function fuzzQuarter(n: number, inputs = QUARTER_INPUTS, label = `fuzz quarter ${n}`): void {
  const QUARTER_INPUTS = inputs;
  test(`${label}: ${QUARTER_INPUTS.toLocaleString('en')} inputs through every parser, both modes`, async (t) => {
    const corpus = (await allFixtures()).map((f) => f.input);
    const started = process.hrtime.bigint();
    const r = runFuzz(n * 100 + 1, QUARTER_INPUTS, corpus);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const parsers = listToolParsers();
    t.diagnostic(`${r.runs} runs (${QUARTER_INPUTS} inputs × ${parsers.length} parsers) in ${ms.toFixed(0)} ms`);
    assert.equal(r.runs, QUARTER_INPUTS * parsers.length);
    for (const f of parsers) assert.equal(r.perParser[f.name], QUARTER_INPUTS, `parser ${f.name} under-fuzzed`);
    const failures = { exceptions: r.exceptions, scannerFailures: r.scannerFailures, inconsistencies: r.inconsistencies, mismatches: r.mismatches };
    assert.deepEqual(failures, { exceptions: 0, scannerFailures: 0, inconsistencies: 0, mismatches: 0 }, r.examples.join('\n'));
  });
}
