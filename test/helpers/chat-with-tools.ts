// `vmlx chat --print` on a random-weights model with the filesystem MCP server's tools offered: one round, a few
// tokens. Shared by the tiny-family tests (npm test) and the real-shape suite; it checks that the run ended cleanly.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FS_SERVER, REPO } from '../agent/fixtures.js';
import { runVmlx } from './vmlx-cli.js';

/** Writes under `root` a files/ directory with hello.txt and an mcp.json serving it with the filesystem server. */
export function writeFilesystemMcpConfig(root: string): string {
  const files = join(root, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello\n');
  const mcp = join(root, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, files] } } }));
  return mcp;
}

export async function chatWithFilesystemTools(dir: string, o: { chatArgs?: string[]; deadlineMs: number; label: string }): Promise<{ code: number | null; toolCalls: number }> {
  const root = mkdtempSync(join(tmpdir(), `vmlx-${o.label}-chat-`));
  try {
    const mcp = writeFilesystemMcpConfig(root);
    const chat = await runVmlx(
      ['chat', '--model', dir, '--mcp-config', mcp, '--temp', '0', '--max-tokens', '12', '--max-rounds', '1', ...(o.chatArgs ?? []), '-p', 'List the files'],
      { cwd: REPO, env: { VMLX_HOME: join(root, 'home') }, deadlineMs: o.deadlineMs },
    );
    // Random weights write random text; a call they happen to make still runs through the loop.
    assert.ok(chat.code === 0 || /stopped after 1 rounds/.test(chat.stderr), `exit ${chat.code}: ${chat.stderr}`);
    assert.doesNotMatch(chat.stderr, /internal error|generation failed|template failed/);
    assert.doesNotMatch(chat.stderr, /\n\s+at /);
    assert.ok(chat.stdout.length > 0 || /\[tool\]/.test(chat.stderr), 'the model produced output');
    return { code: chat.code, toolCalls: (chat.stderr.match(/\[tool\]/g) ?? []).length };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
