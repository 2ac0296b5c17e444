// --print takes MCP prompt commands and @ mentions like the REPL (real CLI, real MCP server with prompts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVmlx } from '../helpers/vmlx-cli.js';

const CATALOG_SERVER = fileURLToPath(new URL('../mcp/fixtures/catalog-server.js', import.meta.url));

async function print(prompt: string): Promise<{ code: number | null; stderr: string; sent: string | null }> {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-print-input-'));
  try {
    const cwd = join(root, 'work');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'todo.txt'), 'water the plants\n');
    writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { cat: { command: 'node', args: [CATALOG_SERVER] } } }));
    writeFileSync(join(root, 'script.json'), JSON.stringify({ recordTo: 'requests.jsonl', rounds: ['ok'] }));
    const r = await runVmlx(['chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json'), '-p', prompt], {
      cwd,
      env: { VMLX_HOME: join(root, 'home') },
    });
    let sent: string | null = null;
    try {
      const request = JSON.parse(readFileSync(join(root, 'requests.jsonl'), 'utf8').split('\n')[0]!) as { messages: Array<{ role: string; content: string }> };
      sent = request.messages.filter((m) => m.role === 'user').at(-1)!.content;
    } catch {
      // nothing was sent
    }
    return { code: r.code, stderr: r.stderr, sent };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('chat -p "/cat:greet who=Ada" sends the prompt text; -p with @file attaches it', async () => {
  const greet = await print('/cat:greet who=Ada');
  assert.equal(greet.code, 0, greet.stderr);
  assert.equal(greet.sent, 'Say hello to Ada.');
  const file = await print('what is in @todo.txt and @cat:memo://notes/today');
  assert.equal(file.code, 0, file.stderr);
  assert.match(file.sent!, /<file path="todo\.txt">\nwater the plants\n\n<\/file>/);
  assert.match(file.sent!, /<resource server="cat" uri="memo:\/\/notes\/today">\nbuy milk\ncall ada\n<\/resource>/);
});

test('chat -p with a path outside the directory or a missing prompt argument: one line, nothing sent', async () => {
  const outside = await print('read @../mcp.json');
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /chat: @\.\.\/mcp\.json: refused, it is outside the working directory/);
  assert.equal(outside.sent, null);
  const missing = await print('/cat:greet');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /chat: \/cat:greet needs who/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});
