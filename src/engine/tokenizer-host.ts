// A model's tokenizer hosted by a worker thread. Building the JS tokenizer takes about half a second for a 150k
// vocabulary and churns through ~100 MB of short-lived objects; in a worker, model load leaves the event loop free
// (the weights load on the addon's threads meanwhile) and the main heap never grows to hold that garbage.
// Calls stay synchronous, as the LanguageModel interface wants: the caller posts a request and sleeps on a shared
// flag (Atomics.wait) until the worker has queued its reply, then takes it with receiveMessageOnPort.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ModelFileMissingError, ModelFormatError } from './errors.js';
import { TokenBytesCache } from './token-bytes.js';
import { stopTokenIdsOf, type TextTokenizer, type TokenizerConfig } from './tokenizer.js';

export interface HostBoot {
  dir: string;
  signal: SharedArrayBuffer;
  port: MessagePort;
}

export type HostRequest =
  | { op: 'encode'; text: string; addSpecialTokens: boolean }
  | { op: 'decode'; ids: number[]; skipSpecialTokens: boolean }
  | { op: 'tokenToId'; token: string }
  | { op: 'idToToken'; id: number };

export type HostReply =
  | { ok: true; ids: Int32Array }
  | { ok: true; text: string }
  | { ok: true; id: number | null }
  | { ok: true; token: string | null }
  | { ok: false; message: string };

export interface HostReady {
  type: 'ready';
  config: TokenizerConfig;
  bosTokenId: number | null;
  eosTokenId: number | null;
  byteLevel: boolean;
  addedTokens: Array<[number, { content: string; special: boolean }]>;
}

export interface HostFailure {
  type: 'failed';
  name: string;
  message: string;
  file: string | null;
}

/** The tokenizer thread died or stopped answering: an engine fault, not a user mistake. */
export class TokenizerThreadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerThreadError';
  }
}

/** The tokenizer refused a call (as the in-thread tokenizer would have thrown). */
export class TokenizerCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerCallError';
  }
}

/**
 * How long a call may wait for its reply. The worker only dies without a word on an out-of-memory or a native
 * crash; a wait is then ended by this bound instead of blocking forever (encoding a whole 128k context takes ~1 s).
 */
const REPLY_TIMEOUT_MS = 120_000;

/**
 * The worker's young generation: V8 grows it to 32 MB while the JSON is parsed and keeps it resident afterwards;
 * 4 MB cost no measurable build time and keeps ~15 MB less resident (measured on Qwen3's tokenizer.json).
 */
const YOUNG_GENERATION_MB = 4;

/** A load failure the worker reported, rebuilt as the typed error the in-thread load would have thrown. */
function loadError(f: HostFailure): Error {
  const detail = f.file !== null && f.message.startsWith(`${f.file}: `) ? f.message.slice(f.file.length + 2) : f.message;
  if (f.file !== null && f.name === 'ModelFileMissingError') return new ModelFileMissingError(f.file, detail.replace(/ not found$/, ''));
  if (f.file !== null) return new ModelFormatError(f.file, detail);
  return new TokenizerThreadError(`tokenizer thread: ${f.message}`);
}

export class TokenizerHost implements TextTokenizer {
  readonly config: TokenizerConfig;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly byteLevel: boolean;
  readonly addedTokens: ReadonlyMap<number, { content: string; special: boolean }>;
  private readonly bytes: TokenBytesCache;
  private readonly flag: Int32Array;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
    ready: HostReady,
  ) {
    this.flag = new Int32Array(signal);
    this.config = ready.config;
    this.bosToken = ready.config.bos_token ?? null;
    this.eosToken = ready.config.eos_token ?? null;
    this.bosTokenId = ready.bosTokenId;
    this.eosTokenId = ready.eosTokenId;
    this.byteLevel = ready.byteLevel;
    this.addedTokens = new Map(ready.addedTokens);
    this.bytes = new TokenBytesCache(this.addedTokens, (id) => this.idToToken(id));
    worker.on('exit', (code) => {
      this.failure ??= new TokenizerThreadError(`tokenizer thread exited (code ${code})`);
    });
  }

  /** Starts the worker and resolves once it has built the tokenizer of `dir` (typed load errors as in-thread). */
  static async start(dir: string): Promise<TokenizerHost> {
    const signal = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const boot: HostBoot = { dir, signal, port: port2 };
    const worker = new Worker(new URL('./tokenizer-host-worker.js', import.meta.url), { workerData: boot, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    const ready = await new Promise<HostReady>((resolve, reject) => {
      worker.once('message', (m: HostReady | HostFailure) => (m.type === 'ready' ? resolve(m) : reject(loadError(m))));
      worker.once('error', (err) => reject(new TokenizerThreadError(`tokenizer thread: ${err.message}`)));
      worker.once('exit', (code) => reject(new TokenizerThreadError(`tokenizer thread exited (code ${code}) before it was ready`)));
    }).catch(async (err: unknown) => {
      port1.close();
      await worker.terminate();
      throw err;
    });
    worker.unref(); // an idle tokenizer must not keep the process alive
    return new TokenizerHost(worker, port1, signal, ready);
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    const reply = this.call({ op: 'encode', text, addSpecialTokens: opts.addSpecialTokens ?? true });
    return Array.from((reply as { ids: Int32Array }).ids);
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return (this.call({ op: 'decode', ids, skipSpecialTokens: opts.skipSpecialTokens ?? false }) as { text: string }).text;
  }

  tokenToId(token: string): number | undefined {
    return (this.call({ op: 'tokenToId', token }) as { id: number | null }).id ?? undefined;
  }

  idToToken(id: number): string | undefined {
    return (this.call({ op: 'idToToken', id }) as { token: string | null }).token ?? undefined;
  }

  tokenBytes(id: number): Uint8Array {
    return this.bytes.get(id);
  }

  stopTokenIds(): number[] {
    return stopTokenIdsOf(this);
  }

  async close(): Promise<void> {
    this.failure ??= new TokenizerThreadError('tokenizer was closed');
    this.port.close();
    await this.worker.terminate();
  }

  private call(req: HostRequest): HostReply {
    if (this.failure) throw this.failure;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    const deadline = performance.now() + REPLY_TIMEOUT_MS;
    let received = receiveMessageOnPort(this.port);
    while (!received) {
      // A wake-up with no reply on the port is the previous call's notify arriving late (the worker was
      // descheduled between flipping the flag and notifying): the flag was reset since, so wait again.
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        this.failure = new TokenizerThreadError(`tokenizer thread did not answer within ${REPLY_TIMEOUT_MS / 1000} s`);
        void this.worker.terminate();
        throw this.failure;
      }
      received = receiveMessageOnPort(this.port);
    }
    const reply = received.message as HostReply;
    if (!reply.ok) throw new TokenizerCallError(reply.message);
    return reply;
  }
}
