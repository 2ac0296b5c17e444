// vmlx chat --print --tool-choice: the first round must call the named MCP tool (or any, with 'required'), enforced
// by the grammar on the real engine, so even a random-weights model makes that call; a name no server offers is a
// one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestModel } from '../helpers/test-models.js';
import { REPO } from './fixtures.js';
import { writeFilesystemMcpConfig } from '../helpers/chat-with-tools.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

test('--tool-choice NAME on a random-weights model: the first round calls that tool; an unknown name fails clearly', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4, shape: 'tiny' });
  const root = mkdtempSync(join(tmpdir(), 'vmlx-tool-choice-'));
  try {
    const mcp = writeFilesystemMcpConfig(root);
    const env = { VMLX_HOME: join(root, 'home') };
    const base = ['chat', '--model', dir, '--mcp-config', mcp, '--temp', '1', '--max-tokens', '256', '--max-rounds', '1', '--yes'];
    const r = await runVmlx([...base, '--tool-choice', 'fs__list_allowed_directories', '-p', 'hi'], { cwd: REPO, env, deadlineMs: 300_000 });
    assert.match(r.stderr, /\[tool\] fs__list_allowed_directories \{\}/, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|generation failed/);

    const bad = await runVmlx([...base, '--tool-choice', 'nosuch', '-p', 'hi'], { cwd: REPO, env, deadlineMs: 120_000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--tool-choice: no tool is named 'nosuch' \(available: .*fs__read_text_file/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
