// `vmlx tools parsers` lists the tool-call and reasoning parsers; `vmlx tools parse` parses model output from stdin.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { MODEL_ARG_HELP, OFFLINE_OPTION, resolveModelArg } from '../model-arg.js';
import {
  createStreamParser,
  listReasoningParsers,
  listToolParsers,
  parseModelOutput,
  resolveParsers,
  type ParseResult,
  type ParserOptions,
} from '../../agent/toolcalls/index.js';
import { readModelTemplate } from '../../agent/toolcalls/template-source.js';
import { seededRandom } from '../../agent/toolcalls/util/ids.js';

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
const toolsArraySchema = z.array(toolSchema);
const toolsObjectSchema = z.object({ tools: toolsArraySchema });

function readToolsFile(path: string): z.infer<typeof toolSchema>[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`--tools: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UserError(`--tools: ${path} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = Array.isArray(json) ? toolsArraySchema.safeParse(json) : toolsObjectSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new UserError(`--tools: ${path}: ${where}: ${issue?.message ?? 'invalid'} (expected [{"type": "function", "function": {"name", "parameters"}}])`);
  }
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.tools;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UserError('tools parse: pipe the model output into stdin (e.g. echo "..." | vmlx tools parse)');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Stream `text` in random chunks of 1..16 characters and assemble the deltas into a result. */
function parseStreamed(text: string, opts: ParserOptions, seed: number): ParseResult {
  const rand = seededRandom(seed);
  const p = createStreamParser(opts);
  const out: ParseResult = { content: null, reasoning_content: null, tool_calls: [], unfinished_calls: [], warnings: [] };
  const apply = (deltas: ReturnType<typeof p.push>): void => {
    for (const d of deltas) {
      if (d.type === 'content') out.content = (out.content ?? '') + d.text;
      else if (d.type === 'reasoning') out.reasoning_content = (out.reasoning_content ?? '') + d.text;
      else if (d.type === 'warning') out.warnings.push(d.warning);
      else {
        if (d.id !== undefined) out.tool_calls[d.index] = { id: d.id, type: 'function', function: { name: d.name ?? '', arguments: '' } };
        if (d.arguments !== undefined) out.tool_calls[d.index].function.arguments += d.arguments;
      }
    }
  };
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * 16);
    apply(p.push(text.slice(i, i + n)));
    i += n;
  }
  apply(p.finish());
  // What only the final result knows (unknown names, calls that never finished) comes from result().
  const final = p.result();
  const unknown = new Set(final.tool_calls.filter((c) => c.unknown).map((c) => c.id));
  for (const c of out.tool_calls) if (c && unknown.has(c.id)) c.unknown = true;
  out.unfinished_calls = final.unfinished_calls;
  const cut = new Set(final.unfinished_calls.map((u) => u.index));
  out.tool_calls = out.tool_calls.filter((_, i) => !cut.has(i));
  return out;
}

interface ParseCmdOpts {
  parser: string;
  reasoning: string;
  model?: string;
  tools?: string;
  toolChoice?: string;
  stream?: boolean;
  seed?: string;
  startsInReasoning?: boolean;
  offline?: boolean;
}

export function registerToolsCommands(program: Command): void {
  const tools = program.command('tools').description('Tool-call parsers: list them, or parse model output');
  tools
    .command('parsers')
    .description('List the tool-call and reasoning parsers (names, aliases, families, detection markers)')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const toolRows = listToolParsers().map((f) => ({
        name: f.name,
        aliases: f.aliases,
        family: f.family,
        markers: f.markers,
        altMarkers: f.altMarkers ?? [],
        reasoning: f.inlineReasoning ? 'inline' : (f.defaultReasoning ?? 'auto'),
        idStyle: f.idStyle ?? 'openai',
      }));
      const reasoningRows = listReasoningParsers().map((r) => ({ name: r.name, aliases: r.aliases, markers: r.markers ?? [] }));
      if (o.json) {
        process.stdout.write(JSON.stringify({ tool: toolRows, reasoning: reasoningRows }, null, 2) + '\n');
        return;
      }
      const lines = ['TOOL PARSER      FAMILY         REASONING  ALIASES / MARKERS'];
      for (const r of toolRows) {
        lines.push(`${r.name.padEnd(16)} ${r.family.padEnd(14)} ${r.reasoning.padEnd(10)} ${r.aliases.join(', ') || '-'}`);
        const markers = [r.markers, ...r.altMarkers].filter((m) => m.length).map((m) => m.join(' + '));
        if (markers.length) lines.push(`${''.padEnd(43)} markers: ${markers.join(' | ')}`);
      }
      lines.push('', 'REASONING PARSER ALIASES / MARKERS');
      for (const r of reasoningRows) lines.push(`${r.name.padEnd(16)} ${r.aliases.join(', ')}  markers: ${r.markers.join(' ')}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  tools
    .command('parse')
    .description('Parse model output from stdin into {content, reasoning_content, tool_calls, warnings} JSON')
    .option('--parser <name>', "tool parser name or alias, or 'auto'", 'auto')
    .option('--reasoning <name>', "reasoning parser name, 'auto' or 'none'", 'auto')
    .option('--model <model>', `${MODEL_ARG_HELP}, whose chat template 'auto' reads`)
    .option(...OFFLINE_OPTION)
    .option('--tools <file>', 'JSON file with the request tools (array, or {"tools": [...]})')
    .option('--tool-choice <choice>', 'auto | none | required | a function name', 'auto')
    .option('--starts-in-reasoning', 'the prompt already opened the reasoning block')
    .option('--stream', 'feed the text through the streaming path in random-size chunks')
    .option('--seed <n>', 'seed of the random chunking (with --stream)')
    .action(async (o: ParseCmdOpts) => {
      const opts: ParserOptions = { toolParser: o.parser, reasoningParser: o.reasoning, startsInReasoning: o.startsInReasoning };
      if (o.model) Object.assign(opts, readModelTemplate((await resolveModelArg(o.model, { offline: o.offline })).dir));
      if (o.tools) opts.tools = readToolsFile(o.tools);
      const choice = o.toolChoice ?? 'auto';
      opts.toolChoice = ['auto', 'none', 'required'].includes(choice) ? (choice as 'auto' | 'none' | 'required') : { type: 'function', function: { name: choice } };
      if (o.seed !== undefined && !/^\d+$/.test(o.seed)) throw new UserError(`--seed: expected a whole number, got '${o.seed}'`);
      resolveParsers(opts); // unknown parser names fail here, before reading stdin
      const text = await readStdin();
      const result = o.stream ? parseStreamed(text, opts, o.seed === undefined ? Date.now() % 1e9 : Number(o.seed)) : parseModelOutput(text, opts);
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
