// The serving bench's requests, reproducible from a seed: prompts of mixed length around a target (half to one and
// a half times it), and, like agents that share one long system prompt, a share of requests opening with the same
// system prompt. Text is drawn from common English words, which are about one token each in BPE vocabularies;
// the servers' own usage figures report the real counts.
import type { ChatBody } from './sse-client.js';
import { seededRandom } from '../../seeded-random.js';

const WORDS = (
  'the of and to in is was for on that with as by at from his her this which or had are not but be have they one you ' +
  'all were we when there can an your their if has more about would will up out so what into time them some could ' +
  'other than then now its only first new also after two way work may like just over such well even most made back ' +
  'many where much through before right too any same take year good day long little world while place old great ' +
  'three small thing point house water under city tool file read write list search result open close start stop ' +
  'agent model server request answer question number value field table query data build test check run step'
).split(' ');

export function words(rand: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  return out.join(' ');
}

export interface WorkloadOptions {
  /** Mean prompt length in words (≈ tokens); each request's is drawn from [0.5, 1.5) × this. */
  promptTokens: number;
  genTokens: number;
  /** Words of the system prompt that `sharedShare` of the requests open with (0 = none). */
  sharedPrefixTokens: number;
  sharedShare: number;
  seed: number;
  model: string;
}

/** `count` requests for one run; the same options and seed give the same requests. */
export function makeRequests(count: number, o: WorkloadOptions): ChatBody[] {
  const rand = seededRandom(o.seed);
  const system = o.sharedPrefixTokens > 0 ? words(seededRandom(o.seed ^ 0x5eed), o.sharedPrefixTokens) : '';
  const out: ChatBody[] = [];
  for (let i = 0; i < count; i++) {
    const len = Math.max(1, Math.round(o.promptTokens * (0.5 + rand())));
    const shared = system !== '' && rand() < o.sharedShare;
    out.push({
      model: o.model,
      messages: [...(shared ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: words(rand, len) }],
      max_tokens: o.genTokens,
      temperature: 0,
    });
  }
  return out;
}
