// End to end: the real `vmlx chat` binary in a real terminal (tmux), with the scripted model and a real
// filesystem MCP server: start, ask, approve a call with y, see the answer, /exit cleanly, nothing left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/agent/audit/index.js';
import { call, FS_SERVER, VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';


/** Processes whose command line mentions `marker` (our temp dir): the MCP server children. */
function processesMentioning(marker: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(marker) && !l.includes('tmux') && !l.includes('ps -eo'));
}

test('vmlx chat in a terminal: ask, approve with y, see the answer, /exit', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const files = join(root, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello\n');
  const target = join(files, 'summary.txt');
  writeFileSync(
    join(root, 'mcp.json'),
    JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, files], toolPolicies: { write_file: 'ask' } } } }),
  );
  writeFileSync(
    join(root, 'script.json'),
    JSON.stringify({
      recordTo: 'requests.jsonl',
      rounds: [
        `I will look first.${call('fs__list_directory', { path: files })}${call('fs__write_file', { path: target, content: 'one file' })}`,
        'Done: the folder has hello.txt, and I saved a summary.',
      ],
    }),
  );
  const term = new TmuxSession(root);
  try {
    const cmd = [process.execPath, VMLX_BIN, 'chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json')]
      .map((a) => `'${a}'`)
      .join(' ');
    term.start(cmd, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' });
    await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s) && /mcp 1 connected/.test(s));

    term.type('what is in the folder? save a summary');
    await term.waitFor('the typed prompt', (s) => s.includes('save a summary'));
    term.key('Enter');
    // The allowed call runs without asking while the risky one waits for the answer.
    const asking = await term.waitFor('the confirmation prompt', (s) => s.includes('Allow this tool call?') && /✓ fs · list_directory done/.test(s));
    assert.match(asking, /server fs/);
    assert.match(asking, /tool {3}write_file/);
    assert.match(asking, /"content": "one file"/);
    assert.equal(existsSync(target), false, 'nothing written before the answer');

    term.key('y');
    const answered = await term.waitFor('the answer', (s) => s.includes('I saved a summary.') && !s.includes('esc to cancel'));
    assert.match(answered, /✓ fs · write_file done/);
    assert.match(answered, /Successfully wrote to/);
    assert.doesNotMatch(answered, /Allow this tool call\?/);
    assert.equal(readFileSync(target, 'utf8'), 'one file');

    term.type('/exit');
    await term.waitFor('the typed command', (s) => s.includes('/exit'));
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
    assert.deepEqual(processesMentioning(files), [], 'no MCP server left running');

    // What the model was sent back: the assistant's calls and both tool results.
    const requests = readFileSync(join(root, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(requests.length, 2);
    const tools = requests[1].messages.filter((m: { role: string }) => m.role === 'tool');
    assert.match(tools[0].content, /^\[tool output of fs__list_directory\]\n\[FILE\] hello\.txt/);
    assert.match(tools[1].content, /^\[tool output of fs__write_file\]\nSuccessfully wrote to/);
    const audit = AuditLog.open(join(root, 'home', 'audit.db'));
    try {
      assert.deepEqual(
        audit.query({ limit: 10 }).map((r) => [r.tool, r.decision, r.success, r.origin]),
        [
          ['list_directory', 'allowed', true, 'chat'],
          ['write_file', 'allowed', true, 'chat'],
        ],
      );
    } finally {
      audit.close();
    }
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});

test('vmlx chat in a terminal: a model that does not load is reported in place, exit 1', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const term = new TmuxSession(root);
  try {
    const missing = join(root, 'no-such-model');
    term.start(`'${process.execPath}' '${VMLX_BIN}' chat --model '${missing}'`, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0' });
    assert.equal(await term.waitForExit(), 1);
    const screen = term.screen();
    assert.match(screen, /error: .*no-such-model: model directory not found/);
    assert.doesNotMatch(screen, /\n\s+at /, 'no stack trace');
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
