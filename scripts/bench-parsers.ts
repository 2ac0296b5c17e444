// npm run bench:parsers [-- --sizes 1,10,100 --parsers hermes,mistral --workloads prose,call --runs 3]
// Streams model outputs of 1, 10 and 100 KB in 4-character chunks through every tool-call parser and prints the
// main-thread cost per KB. The streaming driver resumes each scanner from its last checkpoint, so the cost per
// KB should stay flat as the output grows (a driver that re-scanned everything would grow linearly per KB).
// Workloads: "prose" (a reasoning block, then long Markdown prose with code), "call" (a short preamble, then one
// call whose "content" argument carries the long text, like an agent writing a file).
import { listToolParsers, resolveParsers } from '../src/agent/toolcalls/index.js';
import { createStreamDriver } from '../src/agent/toolcalls/stream.js';
import type { ToolCallFormat } from '../src/agent/toolcalls/types.js';
import type { ToolDefinition } from '../src/engine/types.js';

const CHUNK = 4;
const TOOLS: ToolDefinition[] = [
  { type: 'function', function: { name: 'write_file', parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } } } },
];

const LINE = 'The parser reads `code` and prose alike; a = b + c; if (x < y) { return [1, 2]; }\n';

function filler(bytes: number): string {
  return LINE.repeat(Math.ceil(bytes / LINE.length)).slice(0, bytes);
}

const json = (content: string): string => JSON.stringify({ path: 'out.txt', content });
const jsonArgs = (content: string): string => JSON.stringify({ path: 'out.txt', content });
const envelope = (content: string): string => JSON.stringify({ name: 'write_file', arguments: { path: 'out.txt', content } });
const xmlParams = (content: string, open: (k: string) => string, close: string): string =>
  `${open('path')}out.txt${close}${open('content')}\n${content}\n${close}`;

const START_ONLY = new Set(['pythonic', 'xlam']);

/** One write_file call carrying `content`, in each format's own markup. */
const CALLS: Record<string, (content: string) => string> = {
  hermes: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  granite4: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  auto: (c) => `<tool_call>\n${envelope(c)}\n</tool_call>`,
  qwen3_coder: (c) => `<tool_call>\n<function=write_file>\n${xmlParams(c, (k) => `<parameter=${k}>\n`, '\n</parameter>\n')}</function>\n</tool_call>`,
  llama3: (c) => `<|python_tag|>${JSON.stringify({ name: 'write_file', parameters: { path: 'out.txt', content: c } })}`,
  pythonic: (c) => `[write_file(path="out.txt", content=${JSON.stringify(c)})]`,
  mistral: (c) => `[TOOL_CALLS]write_file[ARGS]${jsonArgs(c)}`,
  xlam: (c) => `[${envelope(c)}]`,
  phi4_mini: (c) => `functools[${envelope(c)}]`,
  granite: (c) => `<|tool_call|>[${envelope(c)}]`,
  deepseek_v3: (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n\`\`\`json\n${json(c)}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  deepseek_r1: (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n\`\`\`json\n${json(c)}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  'deepseek_v3.1': (c) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>write_file<｜tool▁sep｜>${json(c)}<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
  'deepseek_v3.2': (c) =>
    `<｜DSML｜function_calls>\n<｜DSML｜invoke name="write_file">\n<｜DSML｜parameter name="path" string="true">out.txt</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${c}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>`,
  kimi_k2: (c) => `<|tool_calls_section_begin|><|tool_call_begin|>functions.write_file:0<|tool_call_argument_begin|>${json(c)}<|tool_call_end|><|tool_calls_section_end|>`,
  nemotron: (c) => `<TOOLCALL>[${envelope(c)}]</TOOLCALL>`,
  functionary: (c) => `>>>write_file\n${json(c)}`,
  'glm4.5': (c) => `<tool_call>write_file\n<arg_key>path</arg_key>\n<arg_value>out.txt</arg_value>\n<arg_key>content</arg_key>\n<arg_value>${c}</arg_value>\n</tool_call>`,
  'glm4.7': (c) => `<tool_call>write_file<arg_key>path</arg_key><arg_value>out.txt</arg_value><arg_key>content</arg_key><arg_value>${c}</arg_value></tool_call>`,
  minimax_m2: (c) => `<minimax:tool_call>\n<invoke name="write_file">\n<parameter name="path">out.txt</parameter>\n<parameter name="content">${c}</parameter>\n</invoke>\n</minimax:tool_call>`,
  harmony: (c) => `<|channel|>commentary to=functions.write_file <|constrain|>json<|message|>${json(c)}<|call|>`,
  gemma4: (c) => `<|tool_call>call:write_file{path:<|"|>out.txt<|"|>,content:<|"|>${c}<|"|>}<tool_call|>`,
  functiongemma: (c) => `<start_function_call>call:write_file{path:<escape>out.txt<escape>,content:<escape>${c}<escape>}<end_function_call>`,
  gemma3: (c) => `\`\`\`tool_code\nwrite_file(path="out.txt", content=${JSON.stringify(c)})\n\`\`\``,
  lfm2: (c) => `<|tool_call_start|>[write_file(path="out.txt", content=${JSON.stringify(c)})]<|tool_call_end|>`,
  seed_oss: (c) => `<seed:tool_call>\n<function=write_file>\n${xmlParams(c, (k) => `<parameter=${k}>`, '</parameter>\n')}</function>\n</seed:tool_call>`,
  command_r7b: (c) => `<|START_ACTION|>[\n    ${JSON.stringify({ tool_call_id: '0', tool_name: 'write_file', parameters: { path: 'out.txt', content: c } })}\n]<|END_ACTION|>`,
  apertus: (c) => `<|tools_prefix|>[${JSON.stringify({ write_file: { path: 'out.txt', content: c } })}]<|tools_suffix|>`,
  apriel: (c) => `<tool_calls>[${envelope(c)}]</tool_calls>`,
  minicpm5: (c) => `<function name="write_file">${xmlParams(c, (k) => `<param name="${k}">`, '</param>')}</function>`,
  kimi_k3: (c) =>
    `<|open|>tools<|sep|><|open|>call tool="write_file" index="1"<|sep|>${xmlParams(c, (k) => `<|open|>argument key="${k}" type="string"<|sep|>`, '<|close|>argument<|sep|>')}<|close|>call<|sep|><|close|>tools<|sep|>`,
  minimax_m3: (c) => `]<]minimax[>[<tool_call>\n]<]minimax[>[<invoke name="write_file">]<]minimax[>[<path>out.txt]<]minimax[>[</path>]<]minimax[>[<content>${c}]<]minimax[>[</content>]<]minimax[>[</invoke>\n]<]minimax[>[</tool_call>`,
  gigachat3: (c) => `<|function_call|>${envelope(c)}`,
};

function output(parser: string, workload: string, bytes: number): string | null {
  if (workload === 'prose') return `<think>\nPlanning the answer.\n</think>\n\n${filler(bytes)}`;
  const render = CALLS[parser];
  if (!render) return null;
  // pythonic and xlam read a bare call list only at the start of the output.
  return START_ONLY.has(parser) ? render(filler(bytes)) : `I will write the file.\n${render(filler(bytes))}`;
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
