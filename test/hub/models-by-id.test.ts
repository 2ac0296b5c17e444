// End to end with a generated tiny model: a cache written by hand in the Python tools' layout used offline by
// generate and listed by `vmlx models`; `vmlx pull` from the emulator, then chat --print and serve by id; chat with
// an id that is not cached pulls it first; `vmlx models rm`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestModel } from '../helpers/test-models.js';
import { commitId, gitBlobId, HubEmulator, readDirFiles, sha256, singleCommitRepo } from './emulator.js';
import { hubEnv, runVmlx, startVmlx, tempHfHome, type HfHome } from './helpers.js';

const hub = new HubEmulator();
let files: Map<string, Buffer>;
const homes: HfHome[] = [];
const home = () => {
  const h = tempHfHome();
  homes.push(h);
  return h;
};

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  files = readDirFiles(dir);
  await hub.start();
  hub.addRepo(singleCommitRepo('mlx-community/Tiny-Qwen3-4bit', files));
});
after(async () => {
  await hub.close();
  for (const h of homes) h.cleanup();
});

/** What huggingface_hub leaves after a download: blobs named by etag, refs/main, relative links in snapshots/. */
function writePythonLayoutCache(cache: string, repoId: string, modelFiles: Map<string, Buffer>): string {
  const root = join(cache, `models--${repoId.replace('/', '--')}`);
  const commit = commitId(modelFiles, 'by-hand');
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(join(root, 'refs'), { recursive: true });
  mkdirSync(join(root, 'snapshots', commit), { recursive: true });
  writeFileSync(join(root, 'refs', 'main'), commit);
  for (const [name, bytes] of modelFiles) {
    const etag = name.endsWith('.safetensors') || bytes.length > 1_000_000 ? sha256(bytes) : gitBlobId(bytes);
    writeFileSync(join(root, 'blobs', etag), bytes);
    symlinkSync(`../../blobs/${etag}`, join(root, 'snapshots', commit, name));
  }
  return commit;
}

test('a cache laid out by the Python tools is used offline, and listed by vmlx models', async () => {
  const hf = home();
  const commit = writePythonLayoutCache(hf.cache, 'mlx-community/Hand-Made-4bit', files);
  // No hub at all: an endpoint nobody listens on.
  const env = hubEnv(hf, 'http://127.0.0.1:9', { HF_HUB_OFFLINE: '1' });
  const gen = await runVmlx(['generate', '--model', 'mlx-community/Hand-Made-4bit', '--max-tokens', '3', '--temp', '0', 'Hello'], env);
  assert.equal(gen.code, 0, gen.stderr);
  assert.match(gen.stderr, /generated: \d+ tokens/);
  assert.doesNotMatch(gen.stderr, /vmlx pull|download/);

  const list = await runVmlx(['models', '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { cacheDir: string; models: Array<Record<string, unknown>> };
  assert.equal(listed.cacheDir, hf.cache);
  assert.equal(listed.models.length, 1);
  assert.deepEqual(
    { ...listed.models[0], sizeBytes: undefined },
    { repoId: 'mlx-community/Hand-Made-4bit', commit, refs: ['main'], sizeBytes: undefined, architecture: 'qwen3', quantization: '4-bit affine g64', runnable: true },
  );
  assert.equal(listed.models[0]!.sizeBytes, [...files.values()].reduce((s, b) => s + b.length, 0));
  const table = await runVmlx(['models'], env);
  assert.match(table.stdout, /^ID +REVISION +SIZE +ARCH +QUANT +RUNS\nmlx-community\/Hand-Made-4bit +main +[\d.]+ [kM]B +qwen3 +4-bit affine g64 +yes$/m);
});

test('vmlx pull, then chat --print and serve by id, with no further download', async () => {
  const hf = home();
  const env = hubEnv(hf, hub.url);
  const pull = await runVmlx(['pull', 'mlx-community/Tiny-Qwen3-4bit'], env);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stderr, /vmlx pull: model\.safetensors: [\d.]+ [kM]B in [\d.]+ s .*verified/);
  const lfsAfterPull = hub.requests.filter((q) => q.path.startsWith('/_lfs/')).length;

  const chat = await runVmlx(['chat', '--model', 'mlx-community/Tiny-Qwen3-4bit', '--print', 'Hello', '--max-tokens', '4', '--temp', '0'], env);
  assert.equal(chat.code, 0, chat.stderr);
  assert.ok(chat.stdout.length > 0, 'an answer on stdout');

  const serve = startVmlx(['serve', 'mlx-community/Tiny-Qwen3-4bit', '--port', '0', '--max-context', '512'], env);
  try {
    const [, url] = await serve.waitFor(/vmlx serve: mlx-community\/Tiny-Qwen3-4bit on (http:\/\/\S+)/);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(models.data.map((m) => m.id), ['mlx-community/Tiny-Qwen3-4bit']);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mlx-community/Tiny-Qwen3-4bit', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, temperature: 0 }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    assert.ok(body.usage.completion_tokens > 0);
  } finally {
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  }
  assert.equal(hub.requests.filter((q) => q.path.startsWith('/_lfs/')).length, lfsAfterPull, 'chat and serve used the cache');
});

test('chat with an id that is not cached pulls it first, with the pull progress on stderr', async () => {
  const hf = home();
  const r = await runVmlx(['chat', '--model', 'mlx-community/Tiny-Qwen3-4bit', '--print', 'Hello', '--max-tokens', '4', '--temp', '0'], hubEnv(hf, hub.url));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^vmlx: \d+ files to download \([\d.]+ [kM]B\)$/m);
  assert.match(r.stderr, /^vmlx: model\.safetensors: [\d.]+ [kM]B in [\d.]+ s .*verified$/m);
  assert.ok(existsSync(join(hf.cache, 'models--mlx-community--Tiny-Qwen3-4bit', 'refs', 'main')));
});

test('vmlx models rm asks first (refuses without a terminal unless --yes), then deletes the whole repository', async () => {
  const hf = home();
  writePythonLayoutCache(hf.cache, 'org/to-delete', new Map([['config.json', Buffer.from('{}')]]));
  const env = hubEnv(hf, hub.url);
  const refused = await runVmlx(['models', 'rm', 'org/to-delete'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^vmlx: models rm: not deleting org\/to-delete without confirmation: stdin is not a terminal, pass --yes$/m);
  assert.ok(existsSync(join(hf.cache, 'models--org--to-delete')));
  const absent = await runVmlx(['models', 'rm', 'org/never-cached', '--yes'], env);
  assert.equal(absent.code, 1);
  assert.match(absent.stderr, /models rm: org\/never-cached is not in the Hugging Face cache/);
  const done = await runVmlx(['models', 'rm', 'org/to-delete', '--yes'], env);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(existsSync(join(hf.cache, 'models--org--to-delete')), false);
});
