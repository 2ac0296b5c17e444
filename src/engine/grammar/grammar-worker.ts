// The grammar thread: XGrammar's tokenizer info (about 1.5 s for a 150k vocabulary), schema compilation and the
// per-token masks all run here, never on the main thread. One worker per loaded model.
import { parentPort, workerData } from 'node:worker_threads';
import { ModelTokenizer } from '../tokenizer.js';
import type { GrammarReply, GrammarRequest, GrammarSpec, GrammarWorkerData } from './protocol.js';
import { BudgetSteer, STEER_CLOSER, STEER_ORDER, tokenClasses } from './steer.js';
import { loadXGrammar } from './xgrammar.js';
import { qwenXmlLayout, qwenXmlSchema } from './qwen-xml.js';
import { jsonSafeStrings } from './json-strings.js';
import { Utf8Masks, Utf8State, vocabBytes } from './utf8-masks.js';

type XG = ReturnType<typeof loadXGrammar>;
type Compiled = InstanceType<XG['CompiledGrammar']>;
type Matcher = Awaited<ReturnType<XG['GrammarMatcher']['createGrammarMatcher']>>;

const data = workerData as GrammarWorkerData;
// XGrammar reports why it rejects a grammar on the console ("[FATAL] file:line: reason"), then aborts with a bare
// "Aborted()": its lines are kept (not printed) so that the error can say why. Set before the module binds them.
let engineLines: string[] = [];
for (const method of ['log', 'error', 'warn'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (/^\[(FATAL|WARNING)\]|^Aborted\(/.test(line)) engineLines.push(line);
    else original(...args);
  };
}
/** The engine's last FATAL reason, without its source path. */
function engineReason(): string | null {
  const fatal = engineLines.filter((l) => l.startsWith('[FATAL]')).pop();
  engineLines = [];
  return fatal ? fatal.replace(/^\[FATAL\]\s*\S+:\d+:\s*/, '') : null;
}
const xg = loadXGrammar();
const tokenizer = ModelTokenizer.fromDir(data.dir);

// The encoded vocabulary as XGrammar wants it: each id's raw token string (byte-level pieces stay encoded).
function encodedVocab(): string[] {
  const out: string[] = new Array<string>(data.vocabSize);
  for (let id = 0; id < data.vocabSize; id++) out[id] = tokenizer.addedTokens.get(id)?.content ?? tokenizer.idToToken(id) ?? '';
  return out;
}

const ready = (async () => {
  const info = await xg.TokenizerInfo.createTokenizerInfo(
    encodedVocab(),
    tokenizer.byteLevel ? 'byte_level' : 'byte_fallback',
    false,
    data.vocabSize,
    data.stopTokenIds,
  );
  const compiler = await xg.GrammarCompiler.createGrammarCompiler(info, true);
  const classes = tokenClasses(data.vocabSize, (id) => tokenizer.decode([id]), new Set(data.stopTokenIds));
  const utf8 = new Utf8Masks(data.vocabSize, vocabBytes(tokenizer));
  return { compiler, classes, utf8 };
})();

/** Compiled grammars by request shape (the spec's JSON): a repeated schema compiles once. */
const compiled = new Map<string, Compiled>();
const MAX_COMPILED = 64;

async function compile(spec: GrammarSpec): Promise<{ grammar: Compiled; cached: boolean; compileMs: number }> {
  const key = JSON.stringify(spec);
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit); // most recently used last
    return { grammar: hit, cached: true, compileMs: 0 };
  }
  const { compiler } = await ready;
  const t0 = performance.now();
  // JSON is written compactly with ", " and ": " (no free whitespace: a random model cannot pad forever, and the
  // budget rule's shortest completion stays short).
  const grammar =
    spec.kind === 'structural_tag'
      ? await compiler.compileStructuralTag((await compactJson(spec.tag)) as Record<string, unknown>)
      : await compiler.compileGrammar(await jsonEbnf(spec.kind === 'json_object' ? { type: 'object' } : spec.schema));
  const compileMs = performance.now() - t0;
  compiled.set(key, grammar);
  if (compiled.size > MAX_COMPILED) {
    const oldest = compiled.keys().next().value as string;
    compiled.get(oldest)?.dispose();
    compiled.delete(oldest);
  }
  return { grammar, cached: false, compileMs };
}

/** Same separators everywhere: ", " and ": ", no other whitespace. */
const SEPARATORS: [string, string] = [', ', ': '];

/** The schema as compact JSON (the same grammar alone and inside a structural tag), strings kept valid JSON. */
async function jsonEbnf(schema: unknown): Promise<string> {
  return jsonSafeStrings(await xg.Testings._jsonSchemaToEBNF(JSON.stringify(schema), false, -1, SEPARATORS, true));
}

/**
 * A structural tag's JSON parts as compact-JSON grammars: XGrammar's own json_schema format inside a tag allows
 * any whitespace, which a random model pads forever; its EBNF for the schema with fixed separators does not.
 */
async function compactJson(node: unknown): Promise<unknown> {
  if (Array.isArray(node)) return Promise.all(node.map(compactJson));
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (o.type === 'json_schema' && 'json_schema' in o) return { type: 'grammar', grammar: await jsonEbnf(o.json_schema) };
  if (o.type === 'qwen_xml_parameter' && 'json_schema' in o) {
    const ebnf = await xg.Testings._jsonSchemaToEBNF(JSON.stringify(qwenXmlSchema(o.json_schema)), false, -1, SEPARATORS, true, undefined, 'xml');
    return { type: 'grammar', grammar: qwenXmlLayout(ebnf) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'json_schema' ? v : await compactJson(v);
  return out;
}

interface Job {
  matcher: Matcher;
  steer: BudgetSteer;
  utf8: Utf8Masks;
  /** Where the output's bytes stand in the UTF-8 automaton. */
  utf8State: number;
}
const jobs = new Map<number, Job>();

async function nextMask(job: Job): Promise<{ mask: Int32Array; steering: boolean; maskMs: number }> {
  const t0 = performance.now();
  // A copy: the returned array may view the WebAssembly heap, and this one is transferred to the main thread.
  const mask = new Int32Array(await job.matcher.getNextTokenBitmask());
  // Only well-formed UTF-8 (before the budget rule picks from the mask, so its pick is well-formed too).
  job.utf8.narrow(job.utf8State, mask);
  const steering = await job.steer.apply(job.matcher, mask);
  return { mask, steering, maskMs: performance.now() - t0 };
}

async function handle(req: GrammarRequest): Promise<GrammarReply> {
  if (req.op === 'compile') {
    const r = await compile(req.spec);
    return { id: req.id, ok: true, compileMs: r.compileMs, cached: r.cached };
  }
  if (req.op === 'start') {
    const { grammar } = await compile(req.spec);
    const { classes, utf8 } = await ready;
    const matcher = await xg.GrammarMatcher.createGrammarMatcher(grammar, data.stopTokenIds, false, BudgetSteer.MAX_PATH + 1);
    const style =
      req.spec.kind === 'structural_tag' && req.spec.steer ? req.spec.steer : JSON.stringify(req.spec).includes('"qwen_xml_parameter"') ? 'xml' : 'json';
    const steer = new BudgetSteer(classes, req.maxTokens, STEER_ORDER[style], STEER_CLOSER[style]);
    const job: Job = { matcher, steer, utf8, utf8State: Utf8State.Start };
    jobs.set(req.job, job);
    return { id: req.id, ...(await nextMask(job)) };
  }
  const job = jobs.get(req.job);
  if (req.op === 'end') {
    job?.matcher.dispose();
    jobs.delete(req.job);
    return { id: req.id, done: true };
  }
  if (!job) return { id: req.id, error: `no grammar job ${req.job}` };
  if (!job.matcher.acceptToken(req.token)) return { id: req.id, error: `the grammar rejected token ${req.token}` };
  job.steer.accepted(req.token);
  job.utf8State = job.utf8.advance(job.utf8State, req.token);
  if (job.matcher.isTerminated()) return { id: req.id, done: true };
  return { id: req.id, ...(await nextMask(job)) };
}

// Requests are handled one at a time, in order: a job's accept must see the matcher its start created.
let chain: Promise<void> = Promise.resolve();
parentPort!.on('message', (req: GrammarRequest) => {
  chain = chain.then(async () => {
    let reply: GrammarReply;
    try {
      reply = await handle(req);
    } catch (err) {
      reply = { id: req.id, error: engineReason() ?? (err instanceof Error ? err.message : String(err)) };
    }
    engineLines = [];
    parentPort!.postMessage(reply, 'mask' in reply ? [reply.mask.buffer as ArrayBuffer] : []);
  });
});
