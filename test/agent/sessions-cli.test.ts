// `vmlx sessions` and `vmlx chat --print --continue/--resume` through the real binary: a conversation saved by
// one run is continued by the next; unknown ids and bad flags are one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, FS_SERVER, REPO } from './fixtures.js';
import { runVmlx } from '../helpers/vmlx-cli.js';

function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-sessions-cli-'));
  const script = (name: string, rounds: unknown[]) => {
    const p = join(root, name);
    writeFileSync(p, JSON.stringify({ rounds, recordTo: `${name}.requests.jsonl` }));
    return p;
  };
  const vmlx = (args: string[]) => runVmlx(args, { cwd: REPO, env: { VMLX_HOME: join(root, 'home') } });
  return { root, script, vmlx, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('a --print conversation is saved; --continue and --resume ID pick it up; sessions list|show|rm', async () => {
  const ws = workspace();
  try {
    const first = await ws.vmlx(['chat', '--scripted-model', ws.script('a.json', ['Paris.']), '-p', 'capital of France?']);
    assert.equal(first.code, 0, first.stderr);
    const id = /^\[session\] ([0-9a-f-]{36})$/m.exec(first.stderr)?.[1];
    assert.ok(id, first.stderr);

    const mcp = join(ws.root, 'mcp.json');
    writeFileSync(mcp, JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, ws.root] } } }));
    const second = await ws.vmlx(['chat', '--scripted-model', ws.script('b.json', [call('atlas__lookup', { q: 'Germany' }), 'Berlin.']), '--mcp-config', mcp, '--continue', '--output-format', 'json', '-p', 'and Germany?']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).sessionId, id);
    const sent = JSON.parse(readFileSync(join(ws.root, 'b.json.requests.jsonl'), 'utf8').trim().split('\n')[0]!);
    assert.deepEqual(sent.messages.map((m: { content: string }) => m.content), ['capital of France?', 'Paris.', 'and Germany?']);
    // The refused call (no such tool) is audited under the conversation's id.
    const audit = (await ws.vmlx(['audit', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(audit.map((r: { session: string; rule: string }) => [r.session, r.rule]), [[id, 'unknown_tool']]);

    const third = await ws.vmlx(['chat', '--scripted-model', ws.script('c.json', ['Rome.']), '--resume', id!.slice(0, 8), '-p', 'Italy?']);
    assert.equal(third.code, 0, third.stderr);

    const list = await ws.vmlx(['sessions', 'list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`^${id!.slice(0, 8)}  \\S+ \\S+\\s+8 msgs  scripted:c\\.json  capital of France\\?\\n$`));
    const show = await ws.vmlx(['sessions', 'show', id!.slice(0, 5)]);
    assert.match(show.stdout, /› capital of France\?\nParis\.\n› and Germany\?\n\[tool\] atlas__lookup \{"q":"Germany"\}\n {2}│ \[tool call failed: .*\n(.*\n)*?Berlin\.\n› Italy\?\nRome\.\n$/);
    const json = JSON.parse((await ws.vmlx(['sessions', 'show', id!, '--json'])).stdout);
    assert.equal(json.messages.length, 8);

    const unknown = await ws.vmlx(['sessions', 'show', 'deadbeef']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "vmlx: no session 'deadbeef' (vmlx sessions list shows the saved ones)\n");
    const rmBad = await ws.vmlx(['sessions', 'rm', id!, 'nope']);
    assert.equal(rmBad.code, 1, 'one unknown id: nothing is removed');
    assert.match((await ws.vmlx(['sessions', 'list'])).stdout, new RegExp(id!.slice(0, 8)));
    const rm = await ws.vmlx(['sessions', 'rm', id!]);
    assert.equal(rm.stdout, 'removed 1 session\n');
    assert.equal((await ws.vmlx(['sessions', 'list'])).stdout, 'no saved sessions yet (vmlx chat saves every conversation)\n');
  } finally {
    ws.done();
  }
});

test('chat: resume, approval-mode, output-format and settings mistakes are one-line errors', async () => {
  const ws = workspace();
  try {
    const s = ws.script('x.json', ['x']);
    const cases: Array<[string[], string]> = [
      [['chat', '--scripted-model', s, '-p', 'x', '--resume', 'nope'], "vmlx: no session 'nope' (vmlx sessions list shows the saved ones)\n"],
      [['chat', '--scripted-model', s, '-p', 'x', '--continue'], 'vmlx: chat: --continue: there is no saved session yet\n'],
      [['chat', '--scripted-model', s, '-p', 'x', '--resume'], 'vmlx: chat: --resume needs a session id with --print (vmlx sessions list shows them), or use --continue\n'],
      [['chat', '--scripted-model', s, '-p', 'x', '--resume', 'a', '--continue'], 'vmlx: chat: give either --resume or --continue, not both\n'],
      [['chat', '--scripted-model', s, '-p', 'x', '--approval-mode', 'wild'], "vmlx: --approval-mode: 'wild' is not one of default, auto, plan, yolo\n"],
      [['chat', '--scripted-model', s, '-p', 'x', '--output-format', 'xml'], "vmlx: --output-format: 'xml' is not one of text, json, stream-json\n"],
      [['chat', '--scripted-model', s, '-p', 'x', '--auto-compact', '120'], "vmlx: --auto-compact: '120' is not a whole percentage from 0 to 100\n"],
      [['sessions', 'list', '--limit', '0'], "vmlx: --limit: expected a positive whole number, got '0'\n"],
    ];
    for (const [args, expected] of cases) {
      const r = await ws.vmlx(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, expected);
    }
    writeFileSync(join(ws.root, 'home', 'settings.json'), JSON.stringify({ autoCompactPercent: 'lots' }));
    const bad = await ws.vmlx(['chat', '--scripted-model', s, '-p', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^vmlx: .*settings\.json: autoCompactPercent: .*\n$/);
  } finally {
    ws.done();
  }
});
