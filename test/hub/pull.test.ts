// `vmlx pull` against the loopback hub emulator: the cache layout it writes, reuse, only the needed files, resume
// after a dropped connection and from a leftover .incomplete, checksum mismatch, refusal before any weight moves,
// revisions, and two processes pulling the same model at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitId, gitBlobId, HubEmulator, singleCommitRepo } from './emulator.js';
import { bytesOf, fakeModelFiles, hubEnv, qwen3Config, runVmlx, sha256Hex, startVmlx, tempHfHome, type HfHome } from './helpers.js';

const hub = new HubEmulator();
before(async () => {
  await hub.start();
});
after(async () => hub.close());

function withHome(fn: (hf: HfHome) => Promise<void>): () => Promise<void> {
  return async () => {
    const hf = tempHfHome();
    try {
      await fn(hf);
    } finally {
      hf.cleanup();
    }
  };
}

const repoDir = (hf: HfHome, id: string) => join(hf.cache, `models--${id.replace('/', '--')}`);

test('pull writes the standard cache layout, fetches only the model files, and a second pull downloads nothing', withHome(async (hf) => {
  const files = fakeModelFiles();
  const repo = hub.addRepo(singleCommitRepo('org/basic', files));
  const commit = repo.refs.main!;
  const r = await runVmlx(['pull', 'org/basic', '--json'], hubEnv(hf, hub.url));
  assert.equal(r.code, 0, r.stderr);
  const root = repoDir(hf, 'org/basic');
  assert.equal(readFileSync(join(root, 'refs', 'main'), 'utf8'), commit);
  const snap = join(root, 'snapshots', commit);
  assert.deepEqual(readdirSync(snap).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  // Relative links into blobs/, named by the LFS sha256 or the git blob id, as the Python tools write them.
  assert.equal(readlinkSync(join(snap, 'model.safetensors')), `../../blobs/${sha256Hex(files.get('model.safetensors')!)}`);
  assert.equal(readlinkSync(join(snap, 'config.json')), `../../blobs/${gitBlobId(files.get('config.json')!)}`);
  assert.ok(readFileSync(join(snap, 'model.safetensors')).equals(files.get('model.safetensors')!));
  assert.equal(JSON.parse(r.stdout).dir, snap);
  assert.equal(hub.requests.filter((q) => /README|gguf|pytorch_model/.test(q.path)).length, 0, 'other formats are not fetched');
  assert.match(r.stderr, /model\.safetensors: 300\.0 kB in .* s.*verified/);

  const again = await runVmlx(['pull', 'org/basic'], hubEnv(hf, hub.url));
  assert.equal(again.code, 0, again.stderr);
  assert.equal(hub.lfsDownloads('model.safetensors').filter((q) => q.path.includes(sha256Hex(files.get('model.safetensors')!))).length, 1);
  assert.match(again.stderr, /0 files to download \(0 B\), 4 already cached/);
}));

test('a dropped connection is resumed with a Range request, and the file verifies', withHome(async (hf) => {
  const files = fakeModelFiles({ seed: 'drop' });
  hub.addRepo(singleCommitRepo('org/drop', files));
  hub.faults.dropAfter.set('model.safetensors', 100_000);
  const r = await runVmlx(['pull', 'org/drop'], hubEnv(hf, hub.url));
  assert.equal(r.code, 0, r.stderr);
  const sha = sha256Hex(files.get('model.safetensors')!);
  const gets = hub.requests.filter((q) => q.path.startsWith(`/_lfs/${sha}`));
  assert.equal(gets.length, 2, JSON.stringify(gets));
  assert.equal(gets[0]!.range, undefined);
  const start = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
  assert.ok(start > 0 && start <= 100_000, `resumed at ${gets[1]!.range}`);
  assert.match(r.stderr, /model\.safetensors: connection dropped after \d+ of 300000 bytes.*retrying \(attempt 2\)/);
  assert.ok(readFileSync(join(repoDir(hf, 'org/drop'), 'blobs', sha)).equals(files.get('model.safetensors')!));
}));

test('a pull resumes what an interrupted one left in blobs/<sha>.incomplete', withHome(async (hf) => {
  const files = fakeModelFiles({ seed: 'partial' });
  hub.addRepo(singleCommitRepo('org/partial', files));
  const weights = files.get('model.safetensors')!;
  const sha = sha256Hex(weights);
  mkdirSync(join(repoDir(hf, 'org/partial'), 'blobs'), { recursive: true });
  writeFileSync(join(repoDir(hf, 'org/partial'), 'blobs', `${sha}.incomplete`), weights.subarray(0, 123_456));
  const r = await runVmlx(['pull', 'org/partial'], hubEnv(hf, hub.url));
  assert.equal(r.code, 0, r.stderr);
  const gets = hub.requests.filter((q) => q.path.startsWith(`/_lfs/${sha}`));
  assert.deepEqual(gets.map((q) => q.range), ['bytes=123456-']);
  assert.match(r.stderr, /model\.safetensors: resuming at 123\.5 kB of 300\.0 kB/);
  assert.ok(readFileSync(join(repoDir(hf, 'org/partial'), 'blobs', sha)).equals(weights));
  assert.equal(existsSync(join(repoDir(hf, 'org/partial'), 'blobs', `${sha}.incomplete`)), false);
}));

test('a checksum mismatch removes the download and leaves no snapshot', withHome(async (hf) => {
  const files = fakeModelFiles({ seed: 'corrupt' });
  const repo = hub.addRepo(singleCommitRepo('org/corrupt', files));
  hub.faults.corrupt.add('model.safetensors');
  try {
    const r = await runVmlx(['pull', 'org/corrupt'], hubEnv(hf, hub.url));
    assert.equal(r.code, 1);
    const sha = sha256Hex(files.get('model.safetensors')!);
    assert.match(r.stderr, new RegExp(`^vmlx: org/corrupt/model\\.safetensors: sha256 mismatch \\(the hub lists ${sha}, the download has [0-9a-f]{64}, 300000 bytes\\); the download was removed`, 'm'));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const blobs = readdirSync(join(repoDir(hf, 'org/corrupt'), 'blobs'));
    assert.ok(!blobs.some((b) => b.startsWith(sha)), blobs.join(' '));
    assert.equal(existsSync(join(repoDir(hf, 'org/corrupt'), 'snapshots', repo.refs.main!)), false);
  } finally {
    hub.faults.corrupt.delete('model.safetensors');
  }
}));

test('an architecture or bit width vmlx cannot run is refused before any weight is fetched', withHome(async (hf) => {
  hub.addRepo(singleCommitRepo('org/mamba', fakeModelFiles({ config: qwen3Config({ model_type: 'mamba' }), seed: 'mamba' })));
  hub.addRepo(singleCommitRepo('org/seven-bit', fakeModelFiles({ config: qwen3Config({ quantization: { group_size: 64, bits: 7 } }), seed: '7bit' })));
  const [mamba, sevenBit] = await Promise.all([
    runVmlx(['pull', 'org/mamba'], hubEnv(hf, hub.url)),
    runVmlx(['pull', 'org/seven-bit'], hubEnv(hf, hub.url)),
  ]);
  assert.equal(mamba.code, 1);
  assert.match(mamba.stderr, /^vmlx: org\/mamba: vmlx cannot run this model: config\.json: model_type 'mamba' is not supported \(supported: qwen3, qwen2, llama[^)]*\); nothing was downloaded$/m);
  assert.equal(sevenBit.code, 1);
  assert.match(sevenBit.stderr, /org\/seven-bit: vmlx cannot run this model: config\.json: quantization\.bits 7 is not supported/);
  const fetched = hub.requests.filter((q) => /\/(mamba|seven-bit)\/resolve\//.test(q.path)).map((q) => q.path.split('/').pop());
  assert.deepEqual(fetched, ['config.json', 'config.json'], 'only config.json was fetched');
  assert.equal(existsSync(repoDir(hf, 'org/mamba')), false);

  const noTokenizerFiles = fakeModelFiles({ seed: 'no-tok' });
  noTokenizerFiles.delete('tokenizer.json');
  noTokenizerFiles.set('tokenizer.model', Buffer.from('sentencepiece'));
  hub.addRepo(singleCommitRepo('org/no-tokenizer-json', noTokenizerFiles));
  const noTok = await runVmlx(['pull', 'org/no-tokenizer-json'], hubEnv(hf, hub.url));
  assert.equal(noTok.code, 1);
  assert.match(noTok.stderr, /^vmlx: org\/no-tokenizer-json: vmlx cannot run this model: it has no tokenizer\.json \(vmlx reads the tokenizer from it\); nothing was downloaded$/m);
  assert.equal(hub.requests.filter((q) => q.path.startsWith(`/_lfs/${sha256Hex(noTokenizerFiles.get('model.safetensors')!)}`)).length, 0);
}));

test('revisions: a tag and a commit get their own snapshots, refs name the tag, shared blobs are fetched once', withHome(async (hf) => {
  const v1 = fakeModelFiles({ seed: 'v1' });
  const v2 = fakeModelFiles({ seed: 'v2' });
  const c1 = commitId(v1, 'rev1');
  const c2 = commitId(v2, 'rev2');
  hub.addRepo({ id: 'org/revs', refs: { main: c2, v1: c1 }, commits: { [c1]: v1, [c2]: v2 } });
  const tag = await runVmlx(['pull', 'org/revs@v1'], hubEnv(hf, hub.url));
  assert.equal(tag.code, 0, tag.stderr);
  const pinned = await runVmlx(['pull', `org/revs@${c2}`], hubEnv(hf, hub.url));
  assert.equal(pinned.code, 0, pinned.stderr);
  const root = repoDir(hf, 'org/revs');
  assert.equal(readFileSync(join(root, 'refs', 'v1'), 'utf8'), c1);
  assert.deepEqual(readdirSync(join(root, 'refs')), ['v1'], 'a commit revision writes no ref');
  assert.ok(readFileSync(join(root, 'snapshots', c1, 'model.safetensors')).equals(v1.get('model.safetensors')!));
  assert.ok(readFileSync(join(root, 'snapshots', c2, 'model.safetensors')).equals(v2.get('model.safetensors')!));
  // config.json is the same at both commits: one blob, linked twice.
  assert.equal(lstatSync(join(root, 'snapshots', c2, 'config.json')).isSymbolicLink(), true);
  assert.match(pinned.stderr, /1 file to download \(300\.0 kB\), 3 already cached/);
  const missing = await runVmlx(['pull', 'org/revs@nope'], hubEnv(hf, hub.url));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^vmlx: org\/revs@nope: not found on http:\/\/127\.0\.0\.1:\d+ \(Invalid rev id: nope\): check the repository id and revision$/m);
}));

test('a sharded model: only the shards the index names, fetched several at once', withHome(async (hf) => {
  const shard1 = bytesOf(200_000, 'shard1');
  const shard2 = bytesOf(200_000, 'shard2');
  const index = { metadata: {}, weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } };
  const files = new Map([
    ['config.json', Buffer.from(JSON.stringify(qwen3Config()))],
    ['tokenizer.json', Buffer.from('{}')],
    ['model.safetensors.index.json', Buffer.from(JSON.stringify(index))],
    ['model-00001-of-00002.safetensors', shard1],
    ['model-00002-of-00002.safetensors', shard2],
    ['consolidated.safetensors', bytesOf(100_000, 'consolidated')],
  ]);
  const repo = hub.addRepo(singleCommitRepo('org/sharded', files));
  // While the first shard is held halfway, the second one is requested: the downloads overlap.
  const held = hub.hold('model-00001-of-00002.safetensors');
  const pull = startVmlx(['pull', 'org/sharded'], hubEnv(hf, hub.url));
  await held.reached;
  await hub.waitForRequest((q) => q.path === `/_lfs/${sha256Hex(shard2)}/model-00002-of-00002.safetensors`);
  held.release();
  const r = await pull.done;
  assert.equal(r.code, 0, r.stderr);
  const snap = join(repoDir(hf, 'org/sharded'), 'snapshots', repo.refs.main!);
  assert.deepEqual(readdirSync(snap).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
  assert.equal(hub.requests.filter((q) => q.path.includes('consolidated')).length, 0);
}));

test('two processes pulling the same model at once: one downloads each file, both succeed, the cache is intact', withHome(async (hf) => {
  const files = fakeModelFiles({ seed: 'race', weightBytes: 2_000_000 });
  const repo = hub.addRepo(singleCommitRepo('org/race', files));
  // The second process starts while the first is halfway through the weights.
  const held = hub.hold('model.safetensors');
  const first = startVmlx(['pull', 'org/race'], hubEnv(hf, hub.url));
  await held.reached;
  const second = startVmlx(['pull', 'org/race'], hubEnv(hf, hub.url));
  await second.waitFor(/model\.safetensors: another process is downloading it; waiting/);
  held.release();
  const [a, b] = await Promise.all([first.done, second.done]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const sha = sha256Hex(files.get('model.safetensors')!);
  assert.equal(hub.requests.filter((q) => q.path.startsWith(`/_lfs/${sha}`)).length, 1);
  const root = repoDir(hf, 'org/race');
  assert.ok(readFileSync(join(root, 'snapshots', repo.refs.main!, 'model.safetensors')).equals(files.get('model.safetensors')!));
  assert.deepEqual(readdirSync(join(root, 'blobs')).filter((n) => n.includes('.')), [], 'no .incomplete or temporary files');
}));
