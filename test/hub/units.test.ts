// Unit tests of the hub modules: references, settings from the environment, the compatibility check following the
// engine's registry, the progress display (live and line-per-file), the lock's takeover of a dead owner's lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelReference, parseRepoSpec } from '../../src/engine/hub/reference.js';
import { hubSettings, readToken } from '../../src/engine/hub/settings.js';
import { checkCompatibility, describeConfig } from '../../src/engine/hub/compatibility.js';
import { withFileLock } from '../../src/engine/hub/lock.js';
import { SUPPORTED_MODEL_TYPES, SUPPORTED_QUANTS } from '../../src/engine/config.js';
import { PullProgress, formatBytes, formatDuration } from '../../src/cli/pull-progress.js';
import { qwen3Config, tempHfHome } from './helpers.js';

test('references: an existing directory wins, then org/name[@revision]; path-like arguments stay directories', () => {
  const hf = tempHfHome();
  try {
    mkdirSync(join(hf.home, 'org', 'name'), { recursive: true });
    const cwd = process.cwd();
    process.chdir(hf.home);
    try {
      assert.deepEqual(parseModelReference('org/name'), { kind: 'dir', path: join(hf.home, 'org', 'name') });
    } finally {
      process.chdir(cwd);
    }
    assert.deepEqual(parseModelReference('mlx-community/Qwen3-4B-4bit'), { kind: 'hub', repoId: 'mlx-community/Qwen3-4B-4bit', revision: 'main' });
    assert.deepEqual(parseModelReference('org/m@v1.0'), { kind: 'hub', repoId: 'org/m', revision: 'v1.0' });
    assert.deepEqual(parseRepoSpec('org/m@refs/pr/1'), { repoId: 'org/m', revision: 'refs/pr/1' });
    assert.deepEqual(parseModelReference('./missing/dir'), { kind: 'dir', path: join(process.cwd(), 'missing', 'dir') });
    for (const bad of ['org', 'a/b/c', 'org/na--me', 'org/.hidden', 'org/m@', 'org/m@a..b', '-org/m']) {
      assert.equal(parseRepoSpec(bad), null, bad);
    }
    assert.throws(() => parseModelReference('Qwen3-4B'), /model 'Qwen3-4B': no such model directory, and not a Hugging Face id/);
    writeFileSync(join(hf.home, 'file'), 'x');
    assert.throws(() => parseModelReference(join(hf.home, 'file')), /is a file, not a model directory/);
  } finally {
    hf.cleanup();
  }
});

test('settings: cache HF_HUB_CACHE > HF_HOME/hub; HF_ENDPOINT; HF_TOKEN > HF_TOKEN_PATH > HF_HOME/token; offline flag values', () => {
  const hf = tempHfHome();
  try {
    writeFileSync(join(hf.home, 'token'), '  hf_from_file\n');
    writeFileSync(join(hf.home, 'other-token'), 'hf_other\n');
    const base = { HOME: '/home/u', HF_HOME: hf.home };
    assert.equal(hubSettings({}, base).cacheDir, join(hf.home, 'hub'));
    assert.equal(hubSettings({}, { ...base, HF_HUB_CACHE: '/c' }).cacheDir, '/c');
    assert.equal(hubSettings({}, { HOME: '/home/u', XDG_CACHE_HOME: '/x' }).cacheDir, '/x/huggingface/hub');
    assert.equal(hubSettings({}, { ...base, HF_ENDPOINT: 'http://mirror.test/' }).endpoint, 'http://mirror.test');
    assert.equal(readToken(base), 'hf_from_file');
    assert.equal(readToken({ ...base, HF_TOKEN_PATH: join(hf.home, 'other-token') }), 'hf_other');
    assert.equal(readToken({ ...base, HF_TOKEN: 'hf_env' }), 'hf_env');
    assert.equal(readToken({ HF_HOME: join(hf.home, 'none') }), undefined);
    for (const v of ['1', 'true', 'YES', 'on']) assert.equal(hubSettings({}, { ...base, HF_HUB_OFFLINE: v }).offline, true, v);
    for (const v of ['0', 'false', '']) assert.equal(hubSettings({}, { ...base, HF_HUB_OFFLINE: v }).offline, false, v);
    assert.equal(hubSettings({ offline: true }, base).offline, true);
  } finally {
    hf.cleanup();
  }
});

test("compatibility follows the engine's registry: every supported architecture and bit width passes, others are named", () => {
  for (const modelType of SUPPORTED_MODEL_TYPES) {
    for (const bits of SUPPORTED_QUANTS.affine) {
      // A multimodal wrapper (mistral3, gemma3, gemma4) carries its text model in text_config, as mlx-community's files do.
      const textType = ({ mistral3: 'mistral', gemma3: 'gemma3_text', gemma4: 'gemma4_text' } as Record<string, string>)[modelType];
      const config = textType
        ? { model_type: modelType, text_config: { ...qwen3Config(), model_type: textType }, quantization: { group_size: 64, bits } }
        : qwen3Config({ model_type: modelType, quantization: { group_size: 64, bits } });
      assert.deepEqual(checkCompatibility(config), { runnable: true }, `${modelType} ${bits}-bit`);
    }
  }
  const bert = checkCompatibility(qwen3Config({ model_type: 'bert' }));
  assert.equal(bert.runnable, false);
  assert.match((bert as { reason: string }).reason, new RegExp(`model_type 'bert' is not supported \\(supported: ${SUPPORTED_MODEL_TYPES.join(', ')}\\)`));
  const fp8 = checkCompatibility(qwen3Config({ quantization: { group_size: 32, bits: 8, mode: 'fp8' } }));
  assert.match((fp8 as { reason: string }).reason, /quantization\.mode 'fp8' is not supported/);
  assert.deepEqual(describeConfig(qwen3Config()), { architecture: 'qwen3', quantization: '4-bit affine g64' });
  assert.deepEqual(describeConfig({ model_type: 'llama', torch_dtype: 'bfloat16' }), { architecture: 'llama', quantization: 'bfloat16' });
});

test('progress: bytes, speed and ETA per file and in total on a terminal; a line per file otherwise', () => {
  let t = 1_000_000;
  const now = () => t;
  const events = (p: PullProgress) => {
    p.onEvent({ type: 'resolved', repoId: 'org/m', revision: 'main', commit: 'a'.repeat(40) });
    p.onEvent({ type: 'plan', files: [{ path: 'model.safetensors', size: 4_000_000, cached: false, partial: 0 }, { path: 'config.json', size: 100, cached: true, partial: 0 }], downloadBytes: 4_000_000 });
    p.onEvent({ type: 'file-start', path: 'model.safetensors', size: 4_000_000, resumedFrom: 0 });
    t += 2000;
    p.onEvent({ type: 'file-bytes', path: 'model.safetensors', bytes: 1_000_000 });
  };
  const live: string[] = [];
  const tty = new PullProgress({ write: (s: string) => live.push(s), isTTY: true }, { now });
  events(tty);
  assert.deepEqual(tty.liveRows(), [
    '  model.safetensors  1.00 MB / 4.00 MB 25%  500.0 kB/s  ETA 0:06',
    '  total  1.00 MB / 4.00 MB  500.0 kB/s  ETA 0:06',
  ]);
  tty.onEvent({ type: 'file-retry', path: 'model.safetensors', attempt: 1, reason: 'connection dropped' });
  tty.stop();
  const text = live.join('');
  assert.match(text, /\x1b\[2A\x1b\[J/, 'the live block is redrawn in place');
  assert.match(text, /vmlx: model\.safetensors: connection dropped; retrying \(attempt 2\)\n/);

  const lines: string[] = [];
  const plain = new PullProgress({ write: (s: string) => lines.push(s), isTTY: false }, { now });
  events(plain);
  t += 6000;
  plain.onEvent({ type: 'file-bytes', path: 'model.safetensors', bytes: 3_000_000 });
  plain.onEvent({ type: 'file-done', path: 'model.safetensors', size: 4_000_000, downloaded: true });
  plain.onEvent({ type: 'done', commit: 'a'.repeat(40), dir: '/c/snap' });
  assert.deepEqual(lines, [
    'vmlx: org/m@main is commit aaaaaaaaaaaa\n',
    'vmlx: 1 file to download (4.00 MB), 1 already cached\n',
    'vmlx: model.safetensors: 4.00 MB in 8.0 s (500.0 kB/s), verified\n',
    'vmlx: ready: /c/snap\n',
  ]);
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1_234_567_890), '1.23 GB');
  assert.equal(formatDuration(3725), '1:02:05');
});

test("lock: a lock left by a process that no longer exists is taken over; a live owner's lock is waited for", async () => {
  const hf = tempHfHome();
  try {
    const path = join(hf.home, 'x.vmlx.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path, dead);
    assert.equal(await withFileLock(path, async () => existsSync(path)), true);
    assert.equal(existsSync(path), false, 'released');

    // Held by this process (alive): a second taker waits until the first releases.
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    let waiting!: () => void;
    const secondWaits = new Promise<void>((r) => (waiting = r));
    const first = withFileLock(path, async () => {
      order.push('first in');
      await firstHolds;
      order.push('first out');
    });
    const second = withFileLock(path, async () => void order.push('second in'), { onWait: waiting });
    await secondWaits;
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second in']);
  } finally {
    hf.cleanup();
  }
});
