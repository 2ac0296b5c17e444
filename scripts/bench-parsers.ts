// npm run bench:parsers [-- --sizes 1,10,100 --parsers hermes,mistral --workloads prose,call --runs 3]
// Streams model outputs of 1, 10 and 100 KB in 4-character chunks through every tool-call parser and prints the
// main-thread cost per KB. The streaming driver resumes each scanner from its last checkpoint, so the cost per
// KB should stay flat as the output grows (a driver that re-scanned everything would grow linearly per KB).
// Workloads: "prose" (a reasoning block, then long Markdown prose with code), "call" (a short preamble, then one
// call whose "content" argument carries the long text, like an agent writing a file).
import { listToolParsers, resolveParsers } from '../src/agent/toolcalls/index.js';
import { createStreamDriver } from '../src/agent/toolcalls/stream.js';
import type { ToolCallFormat } from '../src/agent/toolcalls/types.js';
import { callOutput, WRITE_FILE_TOOLS as TOOLS } from './parser-workloads.js';

const CHUNK = 4;

const LINE = 'The parser reads `code` and prose alike; a = b + c; if (x < y) { return [1, 2]; }\n';

function filler(bytes: number): string {
  return LINE.repeat(Math.ceil(bytes / LINE.length)).slice(0, bytes);
}

function output(parser: string, workload: string, bytes: number): string | null {
  if (workload === 'prose') return `<think>\nPlanning the answer.\n</think>\n\n${filler(bytes)}`;
  return callOutput(parser, filler(bytes));
}

interface Row {
  parser: string;
  workload: string;
  perKb: number[];
  /** Characters handed to the scanner per output character, at the largest size. */
  scannedPerChar: number;
  calls: number;
}

/** CPU time of this process (user + system), in ms: unlike wall time, other processes' load does not add to it. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Streams `text` through the parser; returns the CPU time and the characters handed to its scanner. */
function run(parser: string, text: string): { ms: number; scanned: number; calls: number } {
  const { tool, reasoning } = resolveParsers({ toolParser: parser });
  let scanned = 0;
  const counting: ToolCallFormat = {
    ...tool,
    scan: (t, ctx) => {
      scanned += t.length;
      return tool.scan(t, ctx);
    },
  };
  const p = createStreamDriver({ tool: counting, reasoning, tools: TOOLS, toolsGiven: true, toolChoice: 'auto', startsInReasoning: false, idStyle: 'openai', idSeed: 1 });
  const t0 = cpuMs();
  for (let i = 0; i < text.length; i += CHUNK) p.push(text.slice(i, i + CHUNK));
  p.finish();
  const ms = cpuMs() - t0;
  return { ms, scanned, calls: p.result().tool_calls.length };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const sizes = (flag('sizes') ?? '1,10,100').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isFinite(n) || n <= 0)) {
    process.stderr.write('bench:parsers: --sizes must be a comma-separated list of positive KB sizes\n');
    process.exit(2);
  }
  const known = listToolParsers().map((f) => f.name);
  const wanted = flag('parsers')?.split(',').map((s) => s.trim()) ?? known;
  const unknown = wanted.filter((p) => !known.includes(p));
  if (unknown.length) {
    process.stderr.write(`bench:parsers: unknown parser(s) ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
    process.exit(2);
  }
  const workloads = (flag('workloads') ?? 'prose,call').split(',').map((s) => s.trim());
  if (workloads.some((w) => w !== 'prose' && w !== 'call')) {
    process.stderr.write('bench:parsers: --workloads takes prose and/or call\n');
    process.exit(2);
  }
  const runs = Number(flag('runs') ?? '3');
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('bench:parsers: --runs must be a positive integer\n');
    process.exit(2);
  }
  const rows: Row[] = [];
  process.stdout.write(`chunk ${CHUNK} chars; CPU ms per KB at ${sizes.map((s) => `${s} KB`).join(' / ')}; growth = last / first\n`);
  for (const parser of wanted) {
    for (const workload of workloads) {
      const perKb: number[] = [];
      let calls = 0;
      let scannedPerChar = 0;
      let skipped = false;
      for (const kb of sizes) {
        const text = output(parser, workload, kb * 1024);
        if (text === null) {
          skipped = true;
          break;
        }
        run(parser, text.slice(0, 2048)); // warm up the JIT on this parser
        // The best of several runs: the machine's other load only ever adds time.
        let r = run(parser, text);
        for (let k = 1; k < runs; k++) {
          const again = run(parser, text);
          if (again.ms < r.ms) r = again;
        }
        perKb.push(r.ms / kb);
        calls = r.calls;
        scannedPerChar = r.scanned / text.length;
      }
      if (skipped) continue;
      rows.push({ parser, workload, perKb, scannedPerChar, calls });
      const growth = perKb[perKb.length - 1] / perKb[0];
      process.stdout.write(
        `${parser.padEnd(14)} ${workload.padEnd(6)} ${perKb.map((v) => v.toFixed(3).padStart(9)).join(' ')}   growth ${growth.toFixed(2)}x   scanned ${scannedPerChar.toFixed(1)} chars/char   calls ${calls}\n`,
      );
    }
  }
  const worst = rows.reduce((m, r) => Math.max(m, r.perKb[r.perKb.length - 1] / r.perKb[0]), 0);
  process.stdout.write(`worst growth of the cost per KB: ${worst.toFixed(2)}x\n`);
}

main();
