// Messages between the engine (main thread) and the grammar worker (grammar-worker.ts).
import { z } from 'zod';

/** What a constrained generation must produce. Built by src/engine/grammar/constraints.ts from API requests. */
export const GrammarSpec = z.discriminatedUnion('kind', [
  /** Any JSON object. */
  z.object({ kind: z.literal('json_object') }),
  /** A JSON value matching the schema (a boolean schema or an object). */
  z.object({ kind: z.literal('json_schema'), schema: z.union([z.boolean(), z.record(z.string(), z.unknown())]) }),
  /**
   * An XGrammar structural tag (tool-call formats: tags, triggers, sequences). `steer`: how the budget rule closes
   * what is open (JSON and XML are recognised from the tag; Gemma 4's delimited strings are named).
   */
  z.object({ kind: z.literal('structural_tag'), tag: z.record(z.string(), z.unknown()), steer: z.enum(['gemma']).optional() }),
]);
export type GrammarSpec = z.infer<typeof GrammarSpec>;

export interface GrammarWorkerData {
  /** The model directory (its tokenizer.json is read in the worker). */
  dir: string;
  /** The model's vocabulary size (logit rows), which may exceed the tokenizer's. */
  vocabSize: number;
  stopTokenIds: number[];
}

export type GrammarRequest =
  | { op: 'compile'; id: number; spec: GrammarSpec }
  | { op: 'start'; id: number; job: number; spec: GrammarSpec; maxTokens: number }
  | { op: 'accept'; id: number; job: number; token: number }
  | { op: 'end'; id: number; job: number };

/**
 * A step's decision: a token bitmask (bit i of word i>>5 = token i allowed), or 'done' once the grammar has ended
 * (the job then runs free; the stop token that ended it has already been sampled). `steering` tells that the budget
 * rule is picking the shortest completion.
 */
export type GrammarReply = { id: number } & (
  | { ok: true; compileMs: number; cached: boolean }
  | { mask: Int32Array; steering: boolean; maskMs: number }
  | { done: true }
  | { error: string }
);
