// The worker-hosted tokenizer answers exactly as the in-thread one, keeps the event loop free while it builds, and
// reports load failures with the same typed one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import { TokenizerCallError, TokenizerHost, TokenizerThreadError } from '../../src/engine/tokenizer-host.js';
import { ModelFileMissingError, ModelFormatError } from '../../src/engine/errors.js';
import { fixtureDir } from './helpers/fixtures.js';
import { tempDir } from './helpers/tiny-dirs.js';
import { HARD } from './helpers/tokenizer-corpus.js';

for (const name of ['qwen3', 'llama3_1', 'llama3_2'] as const) {
  test(`${name}: the hosted tokenizer gives the in-thread tokenizer's ids, text, tokens and bytes`, async () => {
    const dir = fixtureDir(name);
    const local = ModelTokenizer.fromDir(dir);
    const host = await TokenizerHost.start(dir);
    try {
      assert.deepEqual(
        [host.bosToken, host.eosToken, host.bosTokenId, host.eosTokenId, host.byteLevel],
        [local.bosToken, local.eosToken, local.bosTokenId, local.eosTokenId, local.byteLevel],
      );
      assert.deepEqual([...host.addedTokens], [...local.addedTokens]);
      assert.deepEqual(host.config, local.config);
      assert.deepEqual(host.stopTokenIds(), local.stopTokenIds());
      for (const text of HARD) {
        for (const addSpecialTokens of [false, true]) {
          const ids = local.encode(text, { addSpecialTokens });
          assert.deepEqual(host.encode(text, { addSpecialTokens }), ids, `${name} add=${addSpecialTokens}: ${JSON.stringify(text)}`);
          for (const skipSpecialTokens of [false, true]) {
            assert.equal(host.decode(ids, { skipSpecialTokens }), local.decode(ids, { skipSpecialTokens }));
          }
          for (const id of ids) {
            assert.deepEqual(host.tokenBytes(id), local.tokenBytes(id));
            const token = local.idToToken(id)!;
            assert.equal(host.idToToken(id), token);
            assert.equal(host.tokenToId(token), id);
          }
        }
      }
      assert.equal(host.tokenToId('no such token in any vocabulary'), undefined);
      assert.equal(host.idToToken(10_000_000), undefined);
    } finally {
      await host.close();
    }
  });
}

test('the event loop keeps turning while the tokenizer thread builds', async () => {
  let turns = 0;
  let turning = true;
  const spin = () => {
    turns++;
    if (turning) setImmediate(spin);
  };
  setImmediate(spin);
  const host = await TokenizerHost.start(fixtureDir('qwen3'));
  turning = false;
  try {
    // Built on this thread, the ~150k-entry maps would leave room for one turn at most.
    assert.ok(turns > 20, `only ${turns} event-loop turns while the tokenizer was built`);
  } finally {
    await host.close();
  }
});

test('a refused call is a typed error with the in-thread message; a closed host says so', async () => {
  const dir = fixtureDir('qwen3');
  const host = await TokenizerHost.start(dir);
  let inThread = '';
  try {
    ModelTokenizer.fromDir(dir).decode([]);
  } catch (err) {
    inThread = (err as Error).message;
  }
  assert.ok(inThread.length > 0);
  assert.throws(() => host.decode([]), (e: unknown) => e instanceof TokenizerCallError && e.message === inThread);
  assert.deepEqual(host.encode('still answering', { addSpecialTokens: false }).length > 0, true);
  await host.close();
  assert.throws(() => host.encode('hi'), (e: unknown) => e instanceof TokenizerThreadError && /closed/.test(e.message));
});

test('load failures are the typed one-line errors of the in-thread load', async () => {
  const t = tempDir();
  try {
    await assert.rejects(
      TokenizerHost.start(t.dir),
      (e: unknown) => e instanceof ModelFileMissingError && e.message === `${join(t.dir, 'tokenizer.json')}: tokenizer.json not found`,
    );
    writeFileSync(join(t.dir, 'tokenizer.json'), '{"model": ');
    let expected = '';
    try {
      ModelTokenizer.fromDir(t.dir);
    } catch (err) {
      expected = (err as Error).message;
    }
    await assert.rejects(TokenizerHost.start(t.dir), (e: unknown) => e instanceof ModelFormatError && e.message === expected && !e.message.includes('\n'));
  } finally {
    t.cleanup();
  }
});

test('a wake-up without a reply (a late notify from the previous call) makes the caller wait on, not fail', async () => {
  const dir = fixtureDir('qwen3');
  const local = ModelTokenizer.fromDir(dir);
  const host = await TokenizerHost.start(dir);
  // Another thread notifies the host's flag over and over: each wake-up of a waiting call that finds no reply is
  // what the worker's own notify does when it lands after the caller has started its next call.
  const flag = (host as unknown as { flag: Int32Array }).flag;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const notifier = new Worker(
    `const { workerData } = require('node:worker_threads');
     const [flag, stop] = workerData;
     while (Atomics.load(stop, 0) === 0) Atomics.notify(flag, 0);`,
    { eval: true, workerData: [flag, stop] },
  );
  try {
    await new Promise((resolve) => notifier.once('online', resolve));
    for (let i = 0; i < 2000; i++) {
      const id = 100 + i;
      assert.equal(host.idToToken(id), local.idToToken(id));
    }
  } finally {
    Atomics.store(stop, 0, 1);
    await new Promise((resolve) => notifier.once('exit', resolve));
    await host.close();
  }
});
