// node dist/scripts/moe-routing-probe.js --model DIR --gguf FILE [--prompt 32] [--greedy 32]
// A developer's look at a greedy split between vmlx and llama.cpp on an MoE test model (a directory from make-model
// and its F32 GGUF twin): finds where the two greedy continuations of the parity prompt first differ, then runs the
// float64 reference forward pass over that prefix and prints the router's closest k-th/(k+1)-th calls per layer and
// position, the three engines' log-probabilities of the two tokens, and what the reference gives when the closest
// call goes the other way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/engine/model.js';
import { TEXT } from '../test/parity/parity-check.js';
import { LlamaPeer } from '../test/parity/llama-peer.js';
import { ReferenceModel } from '../test/testmodel/reference.js';
import type { RouteRecord } from '../test/testmodel/reference-moe.js';

interface Call {
  layer: number;
  pos: number;
  /** The k-th and (k+1)-th experts by the reference's softmax, and their log-probability gap (= logit gap). */
  kth: number;
  next: number;
  gap: number;
}

function closestCall(k: number, layer: number, pos: number, r: RouteRecord): Call {
  const order = [...r.probs.keys()].sort((a, b) => r.probs[b] - r.probs[a]);
  const kth = order[k - 1], next = order[k];
  return { layer, pos, kth, next, gap: r.logits[kth] - r.logits[next] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, gguf: { type: 'string' }, prompt: { type: 'string', default: '32' }, greedy: { type: 'string', default: '32' } },
  });
  if (!values.model || !values.gguf) throw new Error('--model DIR and --gguf FILE are required');
  const promptTokens = Number(values.prompt), greedyTokens = Number(values.greedy);
  if (!Number.isInteger(promptTokens) || promptTokens < 1) throw new Error(`--prompt must be a positive integer (got ${values.prompt})`);
  if (!Number.isInteger(greedyTokens) || greedyTokens < 1) throw new Error(`--greedy must be a positive integer (got ${values.greedy})`);
  const k = topKOf(values.model);
  const model = await loadModel(values.model, { threads: 2, maxContext: 512, activations: 'float' });
  const peer = await LlamaPeer.open(values.gguf, 512);
  try {
    const prompt = model.encode(TEXT, { addSpecialTokens: true }).slice(0, promptTokens);
    const theirs = await peer.greedy(prompt, greedyTokens);
    const mine: number[] = [];
    for await (const ev of model.generate(prompt, { temperature: 0, maxTokens: greedyTokens, ignoreEos: true })) {
      if (ev.type === 'text') mine.push(...ev.tokens);
    }
    const split = mine.findIndex((id, i) => id !== theirs[i]);
    console.log(`llama.cpp greedy: ${theirs.join(' ')}`);
    console.log(`vmlx greedy:      ${mine.join(' ')}`);
    if (split < 0) {
      console.log('the greedy continuations are identical');
      return;
    }
    const prefix = [...prompt, ...theirs.slice(0, split)];
    const a = mine[split], b = theirs[split];
    console.log(`split after ${prefix.length} tokens: vmlx ${a}, llama.cpp ${b}`);

    const last = prefix.length - 1;
    const ev = await model.evaluate(prefix, 10);
    const top = Array.from(ev.ids.subarray(last * 10, last * 10 + 10));
    const vm = (id: number) => ev.logprobs[last * 10 + top.indexOf(id)];
    const lp = (await peer.evaluate(prefix, prefix.map((_, i) => (i === last ? [a, b] : []))))[last].logprobs;

    const ref = ReferenceModel.load(values.model);
    const calls: Call[] = [];
    const t0 = Date.now();
    const base = ref.logprobs(prefix, { from: last, onRoute: (layer, pos, r) => calls.push(closestCall(k, layer, pos, r)) })[0];
    console.log(`reference forward over ${prefix.length} tokens: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    calls.sort((x, y) => x.gap - y.gap);
    console.log('closest router calls (k-th vs (k+1)-th expert, float64 logit gap):');
    for (const c of calls.slice(0, 6)) console.log(`  layer ${c.layer} position ${c.pos}: experts ${c.kth} / ${c.next}, gap ${c.gap.toExponential(3)}`);
    const row = (name: string, f: (id: number) => number) =>
      console.log(`  ${name.padEnd(34)} ${a}: ${f(a).toFixed(6)}  ${b}: ${f(b).toFixed(6)}  gap ${(f(a) - f(b)).toExponential(3)}`);
    console.log(`log-probabilities at position ${last}:`);
    row('vmlx (float activations)', vm);
    row('llama.cpp (F32 twin)', (id) => lp.get(id)!);
    row('float64 reference', (id) => base[id]);
    // The closest call taken the other way: which engine does that reproduce?
    const c = calls[0];
    const swapped = ref.logprobs(prefix, {
      from: last,
      onRoute: (layer, pos, r) => {
        if (layer === c.layer && pos === c.pos) r.chosen = r.chosen.map((e) => (e === c.kth ? c.next : e));
      },
    })[0];
    row(`reference, call L${c.layer}@${c.pos} swapped`, (id) => swapped[id]);

    // The reference with ggml's CPU flash-attention roundings (f16 Q and V sum: llama.cpp's kernel for batches of
    // fewer than 64 queries): how far they move the router logits, and which calls they turn.
    ref.llamaFlashF16 = true;
    const exact = new Map<string, RouteRecord>();
    ref.llamaFlashF16 = false;
    ref.logprobs(prefix, { from: last, onRoute: (layer, pos, r) => exact.set(`${layer}@${pos}`, r) });
    ref.llamaFlashF16 = true;
    // Only the calls no turned call reaches measure rounding: a turned call at (l, p) changes every later layer at
    // positions from p on.
    let moved = 0;
    const turned: { layer: number; pos: number }[] = [];
    const f16 = ref.logprobs(prefix, {
      from: last,
      onRoute: (layer, pos, r) => {
        const e = exact.get(`${layer}@${pos}`)!;
        if (!turned.some((t) => t.layer < layer && t.pos <= pos))
          for (let i = 0; i < r.logits.length; i++) moved = Math.max(moved, Math.abs(r.logits[i] - e.logits[i]));
        if (r.chosen.some((x) => !e.chosen.includes(x))) turned.push({ layer, pos });
      },
    })[0];
    console.log(`flash-attention f16 roundings move router logits by up to ${moved.toExponential(3)} (calls no turned call reaches); ` +
      `calls turned: ${turned.map((t) => `L${t.layer}@${t.pos}`).join(' ') || 'none'}`);
    row('reference with f16 flash attention', (id) => f16[id]);
  } finally {
    await peer.dispose();
    await model.dispose();
  }
}

function topKOf(dir: string): number {
  const k = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { num_experts_per_tok?: unknown }).num_experts_per_tok;
  if (typeof k !== 'number') throw new Error(`${join(dir, 'config.json')}: no num_experts_per_tok (not a mixture-of-experts model)`);
  return k;
}

main().catch((err: unknown) => {
  console.error(`moe-routing-probe: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
