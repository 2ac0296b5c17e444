// End to end in a real terminal (tmux): an MCP prompt run as a slash command (completed with Tab), an @ resource
// and an @ file attached, /mcp, all against server-everything; and a 200-tool server whose schemas are deferred.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, REPO, VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';

const EVERYTHING = join(REPO, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const MANY_TOOLS = fileURLToPath(new URL('../mcp/fixtures/many-tools-server.js', import.meta.url));
const ARCHITECTURE_DOC = join(REPO, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'docs', 'architecture.md');

interface Recorded {
  messages: Array<{ role: string; content: string }>;
  toolNames: string[];
}

function start(root: string, servers: Record<string, unknown>, rounds: unknown[], contextLength = 32768): TmuxSession {
  writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: servers }));
  writeFileSync(join(root, 'script.json'), JSON.stringify({ recordTo: 'requests.jsonl', contextLength, rounds }));
  const term = new TmuxSession(root);
  const cmd = [process.execPath, VMLX_BIN, 'chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json')]
    .map((a) => `'${a}'`)
    .join(' ');
  term.start(`cd '${root}' && ${cmd}`, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' });
  return term;
}

function requests(root: string): Recorded[] {
  return readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Recorded);
}

const lastUser = (r: Recorded) => r.messages.filter((m) => m.role === 'user').at(-1)!.content;

test('tmux: /everything:simple-prompt (Tab-completed), /mcp, then @resource and @file attached', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-mcp-'));
  writeFileSync(join(root, 'notes.txt'), 'remember the milk\n');
  const term = start(root, { everything: { command: 'node', args: [EVERYTHING] } }, ['The prompt arrived.', 'Both are attached.']);
  try {
    await term.waitFor('the REPL', (s) => /ready \(context \d+ tokens\)/.test(s) && /mcp 1 connected/.test(s));
    term.type('/everything:simple-p');
    // Tab completes once the server's prompts are listed (they load right after it connects): press it again
    // after each screen that shows no completion, at most every 300 ms so a loaded machine is not flooded.
    let lastTab = 0;
    await term.waitFor('the completed prompt name', (s) => {
      if (s.includes('/everything:simple-prompt')) return true;
      if (Date.now() - lastTab > 300) {
        term.key('Tab');
        lastTab = Date.now();
      }
      return false;
    });
    term.key('Enter');
    const answered = await term.waitFor('the answer', (s) => s.includes('The prompt arrived.') && !s.includes('esc to cancel'));
    assert.match(answered, /\/everything:simple-prompt: sent the prompt's text/);
    assert.equal(lastUser(requests(root)[0]!), 'This is a simple prompt without arguments.');

    term.type('/mcp');
    await term.waitFor('the typed command', (s) => s.includes('› /mcp'));
    term.key('Enter');
    const panel = await term.waitFor('the /mcp panel', (s) => s.includes('reconnect one with /mcp reconnect NAME'));
    assert.match(panel, /everything +stdio +connected \(.+\) — \d+ tools · [1-9]\d* prompts · [1-9]\d* resources · policy: /);

    term.type('compare @everything:demo://resource/static/document/architecture.md with @notes.txt');
    await term.waitFor('the typed message', (s) => s.includes('@notes.txt'));
    term.key('Enter');
    const attached = await term.waitFor('the second answer', (s) => s.includes('Both are attached.') && !s.includes('esc to cancel'));
    assert.match(attached, /attached @everything:demo:\/\/resource\/static\/document\/architecture\.md \(\d/);
    assert.match(attached, /attached @notes\.txt \(18 B\)/);
    const sent = lastUser(requests(root)[1]!);
    assert.ok(sent.startsWith('compare @everything:'), sent.slice(0, 80));
    assert.ok(sent.includes('<resource server="everything" uri="demo://resource/static/document/architecture.md">'));
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
    assert.ok(sent.includes(doc.slice(0, 200)), 'the document text is attached');
    assert.match(sent, /<file path="notes\.txt">\nremember the milk\n\n<\/file>$/);

    term.type('/exit');
    await term.waitFor('the typed command', (s) => s.includes('› /exit'));
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});

test('tmux: 200 tools in an 8k context are reached through search_tools/call_tool, and the status line says so', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-many-'));
  const term = start(
    root,
    { many: { command: 'node', args: [MANY_TOOLS] } },
    [call('search_tools', { query: 'create invoice' }), call('call_tool', { name: 'many__invoice_create', arguments: { owner: 'ada' } }), 'Invoice created for Ada.'],
    8192,
  );
  try {
    await term.waitFor('the REPL', (s) => /ready \(context 8192 tokens\)/.test(s) && /mcp 1 connected/.test(s) && s.includes('200 tools via search_tools'));
    term.type('make an invoice for ada');
    await term.waitFor('the typed prompt', (s) => s.includes('for ada'));
    term.key('Enter');
    const answered = await term.waitFor('the answer', (s) => s.includes('Invoice created for Ada.') && !s.includes('esc to cancel'));
    assert.match(answered, /search_tools/);
    assert.match(answered, /many · invoice_create done/);
    const recorded = requests(root);
    assert.deepEqual(recorded[0]!.toolNames, ['search_tools', 'call_tool']);
    const toolMessages = recorded[2]!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    assert.match(toolMessages[1]!, /invoice_create ran with \{"owner":"ada"\}/);
    term.type('/exit');
    await term.waitFor('the typed command', (s) => s.includes('› /exit'));
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
