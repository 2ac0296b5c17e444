// One-line errors and non-zero exits for what goes wrong around the hub: unknown repository, gated without a token
// (and the token from HF_TOKEN or the hf CLI's token file), no network and not cached, offline and not cached,
// a GGUF-only repository, not enough disk space, the disk filling up mid-download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HubEmulator, singleCommitRepo } from './emulator.js';
import { bytesOf, fakeModelFiles, hubEnv, runVmlx, sha256Hex, tempHfHome, type RunResult } from './helpers.js';

const hub = new HubEmulator();
let hf: ReturnType<typeof tempHfHome>;
before(async () => {
  await hub.start();
  hf = tempHfHome();
  hub.addRepo(singleCommitRepo('org/gated', fakeModelFiles({ seed: 'gated' }), 'hf_secret'));
  hub.addRepo(singleCommitRepo('org/gguf-only', new Map([['README.md', Buffer.from('#')], ['model-Q4_K_M.gguf', bytesOf(4000, 'q4')], ['model-Q8_0.gguf', bytesOf(4000, 'q8')]])));
  const huge = singleCommitRepo('org/huge', fakeModelFiles({ seed: 'huge' }));
  hub.addRepo(huge);
  hub.faults.claimSize.set('org/huge/model.safetensors', 2 ** 60);
});
after(async () => {
  await hub.close();
  hf.cleanup();
});

function assertOneLine(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[lines.length - 1]!, pattern);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('vmlx: ')).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** A loopback port with nothing listening (a hub that cannot be reached). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('unknown repository: 404 named, exit 1', async () => {
  const r = await runVmlx(['pull', 'org/does-not-exist'], hubEnv(hf, hub.url));
  assertOneLine(r, /^vmlx: org\/does-not-exist: not found on http:\/\/127\.0\.0\.1:\d+ \(Repository not found\): check the repository id and revision$/);
});

test('gated repository: without a token it says how to set HF_TOKEN; HF_TOKEN and the token file both work', async () => {
  const none = await runVmlx(['pull', 'org/gated'], hubEnv(hf, hub.url));
  assertOneLine(none, /^vmlx: org\/gated: gated or private repository \(HTTP 401\): accept its terms at http:\/\/127\.0\.0\.1:\d+\/org\/gated, then set HF_TOKEN=<your access token> \(or log in with the hf CLI\)$/);
  const wrong = await runVmlx(['pull', 'org/gated'], hubEnv(hf, hub.url, { HF_TOKEN: 'hf_wrong' }));
  assertOneLine(wrong, /^vmlx: org\/gated: the hub refused the token \(HTTP 401\): check HF_TOKEN/);
  const env = await runVmlx(['pull', 'org/gated'], hubEnv(hf, hub.url, { HF_TOKEN: 'hf_secret' }));
  assert.equal(env.code, 0, env.stderr);

  const other = tempHfHome();
  try {
    mkdirSync(other.home, { recursive: true });
    writeFileSync(join(other.home, 'token'), 'hf_secret\n'); // where `hf auth login` keeps it
    const file = await runVmlx(['pull', 'org/gated'], hubEnv(other, hub.url));
    assert.equal(file.code, 0, file.stderr);
    assert.ok(hub.requests.filter((q) => q.path.includes('org/gated')).some((q) => q.authorized));
  } finally {
    other.cleanup();
  }
});

test('no network and not cached: says it is not in the cache and where the cache is', async () => {
  const port = await closedPort();
  const r = await runVmlx(['generate', '--model', 'org/nowhere', 'hi'], hubEnv(hf, `http://127.0.0.1:${port}`));
  assertOneLine(r, new RegExp(`^vmlx: org/nowhere is not in the Hugging Face cache \\(${hf.cache}\\) and cannot reach the hub at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`));
});

test('offline (HF_HUB_OFFLINE=1 or --offline) and not cached: no request is made', async () => {
  const before = hub.requests.length;
  const env = await runVmlx(['generate', '--model', 'org/gated@v9', 'hi'], hubEnv(hf, hub.url, { HF_HUB_OFFLINE: '1' }));
  assertOneLine(env, new RegExp(`^vmlx: org/gated@v9 is not in the cache \\(${hf.cache}\\) and offline mode \\(HF_HUB_OFFLINE or --offline\\) forbids downloading it$`));
  const flag = await runVmlx(['tools', 'parse', '--model', 'org/absent', '--offline'], hubEnv(hf, hub.url), 'hello');
  assertOneLine(flag, /^vmlx: org\/absent is not in the cache .* forbids downloading it$/);
  const pull = await runVmlx(['pull', 'org/gated'], hubEnv(hf, hub.url, { HF_HUB_OFFLINE: 'true' }));
  assertOneLine(pull, /^vmlx: pull: HF_HUB_OFFLINE is set, so nothing can be downloaded$/);
  assert.equal(hub.requests.length, before);
});

test('a GGUF-only repository: says there are no safetensors and what there is', async () => {
  const r = await runVmlx(['pull', 'org/gguf-only'], hubEnv(hf, hub.url));
  assertOneLine(r, /^vmlx: org\/gguf-only has no \.safetensors weights \(it has 2 \.gguf files\): vmlx runs MLX-format safetensors models/);
});

test('not enough disk space: refused before downloading, nothing written to the cache', async () => {
  const r = await runVmlx(['pull', 'org/huge'], hubEnv(hf, hub.url));
  assertOneLine(r, new RegExp(`^vmlx: org/huge: not enough disk space in ${hf.cache}: 1\\.15 EB to download, [\\d.]+ [kMGT]B free$`));
  assert.equal(existsSync(join(hf.cache, 'models--org--huge', 'blobs')), false);
});

test('bad references and ids: one line each', async () => {
  const pull = await runVmlx(['pull', 'not-an-id'], hubEnv(hf, hub.url));
  assertOneLine(pull, /^vmlx: pull: 'not-an-id' is not a Hugging Face id \(org\/name or org\/name@revision\)$/);
  const gen = await runVmlx(['generate', '--model', 'Qwen3', 'hi'], hubEnv(hf, hub.url));
  assertOneLine(gen, /^vmlx: model 'Qwen3': no such model directory, and not a Hugging Face id \(org\/name or org\/name@revision\)$/);
  // A relative path with a typo reads as an id; the error says that neither exists.
  const typo = await runVmlx(['serve', 'models/qwen3-tyni'], hubEnv(hf, hub.url));
  assertOneLine(typo, /^vmlx: models\/qwen3-tyni: not found on .*: check the repository id and revision; there is no directory \/.*\/models\/qwen3-tyni either$/);
});

test('the disk filling up while writing: one line naming the file, the partial download kept for resuming', async () => {
  const files = fakeModelFiles({ seed: 'full' });
  hub.addRepo(singleCommitRepo('org/full', files));
  const other = tempHfHome();
  try {
    // blobs/<sha>.incomplete leads to /dev/full, where every write fails with ENOSPC.
    const blobs = join(other.cache, 'models--org--full', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const partial = join(blobs, `${sha256Hex(files.get('model.safetensors')!)}.incomplete`);
    symlinkSync('/dev/full', partial);
    const r = await runVmlx(['pull', 'org/full'], hubEnv(other, hub.url));
    assertOneLine(r, new RegExp(`^vmlx: disk full while writing ${partial} \\(the partial download stays there and resumes next time\\)$`));
    assert.equal(existsSync(join(other.cache, 'models--org--full', 'snapshots')), false);
  } finally {
    other.cleanup();
  }
});
