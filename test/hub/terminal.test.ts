// In a real terminal (tmux): the pull's live progress block (per-file and total rows, redrawn in place and cleared at
// the end), and `vmlx models rm` asking before it deletes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTmux, TmuxSession } from '../e2e/tmux.js';
import { HubEmulator, singleCommitRepo } from './emulator.js';
import { fakeModelFiles, hubEnv, repoRoot, tempHfHome, type HfHome } from './helpers.js';

const hub = new HubEmulator();
let hf: HfHome;
before(async () => {
  ensureTmux();
  await hub.start();
  hf = tempHfHome();
});
after(async () => {
  await hub.close();
  hf.cleanup();
});

const vmlxCommand = (...args: string[]) => [process.execPath, join(repoRoot, 'bin', 'vmlx.js'), ...args].map((a) => `'${a}'`).join(' ');

test('pull on a terminal: one live block with bytes, speed and ETA per file and in total, cleared when done', async () => {
  hub.addRepo(singleCommitRepo('org/live', fakeModelFiles({ seed: 'live', weightBytes: 400_000 })));
  const held = hub.hold('model.safetensors');
  const term = new TmuxSession(hf.home);
  try {
    term.start(vmlxCommand('pull', 'org/live'), hubEnv(hf, hub.url));
    await held.reached;
    const live = await term.waitFor('the live rows', (s) => /model\.safetensors {2}200\.0 kB \/ 400\.0 kB 50% {2}[\d.]+ [kMG]?B\/s {2}ETA [\d:-]+/.test(s) && /^ {2}total {2}[\d.]+ kB \/ [\d.]+ kB {2}[\d.]+ [kMG]?B\/s {2}ETA /m.test(s));
    assert.equal(live.match(/ {2}total {2}/g)?.length, 1, `one block, redrawn in place:\n${live}`);
    held.release();
    assert.equal(await term.waitForExit(), 0);
    const final = term.screen();
    assert.match(final, /vmlx pull: model\.safetensors: 400\.0 kB in [\d.]+ s .*verified/);
    assert.match(final, /vmlx pull: ready: /);
    assert.doesNotMatch(final, / {2}total {2}/, `the live block is cleared:\n${final}`);
  } finally {
    term.kill();
  }
});

test('models rm on a terminal asks; n keeps the model, y deletes it', async () => {
  const root = join(hf.cache, 'models--org--ask');
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(join(root, 'refs'), { recursive: true });
  mkdirSync(join(root, 'snapshots', 'c'.repeat(40)), { recursive: true });
  writeFileSync(join(root, 'blobs', 'b'.repeat(40)), '{}');
  writeFileSync(join(root, 'refs', 'main'), 'c'.repeat(40));
  symlinkSync(`../../blobs/${'b'.repeat(40)}`, join(root, 'snapshots', 'c'.repeat(40), 'config.json'));
  for (const [answer, kept] of [['n', true], ['y', false]] as const) {
    const term = new TmuxSession(hf.home);
    try {
      term.start(vmlxCommand('models', 'rm', 'org/ask'), hubEnv(hf, hub.url));
      await term.waitFor('the question', (s) => /Delete org\/ask \(1 complete revision, 2 B\) from .*\? \[y\/N\]/.test(s));
      term.type(answer);
      term.key('Enter');
      assert.equal(await term.waitForExit(), 0);
      assert.equal(existsSync(root), kept, answer);
      assert.match(term.screen(), kept ? /nothing deleted/ : /deleted org\/ask \(2 B\)/);
    } finally {
      term.kill();
    }
  }
});
