// End to end in a real terminal: each approval mode, switched at run time with /approval-mode, with the real
// filesystem MCP server (whose tools carry readOnlyHint/destructiveHint). plan: a write is refused without a
// question; auto: a non-destructive write runs, a destructive one asks; yolo: a banner, then it runs; default:
// it asks, and `s` saves the answer to the MCP config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, FS_SERVER, VMLX_BIN } from '../agent/fixtures.js';
import { ensureTmux, TmuxSession } from './tmux.js';

test('approval modes plan, auto, yolo and default in one chat, switched with /approval-mode', async () => {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-e2e-'));
  const files = join(root, 'files');
  mkdirSync(files);
  const file = (name: string) => join(files, name);
  const mcp = join(root, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({ mcpServers: { fs: { command: 'node', args: [FS_SERVER, files], toolPolicies: { 'write_*': 'ask', create_directory: 'ask' } } } }));
  const write = (name: string) => call('fs__write_file', { path: file(name), content: name });
  writeFileSync(
    join(root, 'script.json'),
    JSON.stringify({
      rounds: [
        write('plan.txt'), 'PLAN-DONE',
        `${call('fs__create_directory', { path: file('sub') })}${write('auto.txt')}`, 'AUTO-DONE',
        write('yolo.txt'), 'YOLO-DONE',
        write('default.txt'), 'DEFAULT-DONE',
      ],
    }),
  );
  const term = new TmuxSession(root);
  const ask = async (prompt: string) => {
    term.type(prompt);
    await term.waitFor(`the typed prompt ${prompt}`, (s) => s.includes(prompt));
    term.key('Enter');
  };
  const idle = (s: string) => !s.includes('esc to cancel');
  try {
    term.start(`'${process.execPath}' '${VMLX_BIN}' chat --scripted-model '${join(root, 'script.json')}' --mcp-config '${mcp}' --approval-mode plan`, {
      VMLX_HOME: join(root, 'home'),
      FORCE_COLOR: '0',
    });
    await term.waitFor('the REPL in plan mode', (s) => s.includes('approval mode plan (/approval-mode to change)') && /json │ plan │ mcp 1 connected/.test(s));

    await ask('plan it');
    const planned = await term.waitFor('the plan-mode answer', (s) => s.includes('PLAN-DONE') && idle(s));
    assert.match(planned, /fs · write_file denied/);
    assert.match(planned, /plan mode: fs\/write_file may change things/);
    assert.doesNotMatch(planned, /Allow this tool call\?/);
    assert.equal(existsSync(file('plan.txt')), false);

    await ask('/approval-mode auto');
    await term.waitFor('the switch to auto', (s) => s.includes('approval mode: auto'));
    await ask('auto it');
    const asking = await term.waitFor('the destructive write to ask', (s) => s.includes('Allow this tool call?') && /✓ fs · create_directory done/.test(s));
    assert.match(asking, /tool {3}write_file/);
    assert.match(asking, /\[s\] always, and save it to the MCP config/);
    assert.ok(existsSync(file('sub')), 'the non-destructive call ran without a question');
    term.key('n');
    await term.waitFor('the auto-mode answer', (s) => s.includes('AUTO-DONE') && idle(s));
    assert.equal(existsSync(file('auto.txt')), false);

    await ask('/approval-mode yolo');
    await term.waitFor('the yolo banner', (s) => s.includes('approval mode yolo: every tool call the sandbox allows runs without asking') && s.includes('│ yolo │ mcp'));
    await ask('yolo it');
    const yolo = await term.waitFor('the yolo answer', (s) => s.includes('YOLO-DONE') && idle(s));
    assert.doesNotMatch(yolo.slice(yolo.indexOf('yolo it')), /Allow this tool call\?/);
    assert.equal(readFileSync(file('yolo.txt'), 'utf8'), 'yolo.txt');

    await ask('/approval-mode default');
    await term.waitFor('the switch to default', (s) => s.includes('approval mode: default'));
    await ask('default it');
    await term.waitFor('the default-mode question', (s) => s.includes('Allow this tool call?') && s.includes('default.txt'));
    term.key('s');
    const saved = await term.waitFor('the default-mode answer', (s) => s.includes('DEFAULT-DONE') && idle(s));
    assert.match(saved, /saved: toolPolicies\.write_file = allow for server fs/);
    assert.equal(readFileSync(file('default.txt'), 'utf8'), 'default.txt');
    const config = JSON.parse(readFileSync(mcp, 'utf8'));
    assert.deepEqual(config.mcpServers.fs.toolPolicies, { 'write_*': 'ask', create_directory: 'ask', write_file: 'allow' });

    const history = term.scrollback();
    for (const marker of ['PLAN-DONE', 'AUTO-DONE', 'YOLO-DONE', 'DEFAULT-DONE']) assert.equal(history.split(marker).length - 1, 1, `${marker} once in the scrollback`);
    term.type('/exit');
    term.key('Enter');
    assert.equal(await term.waitForExit(), 0);
  } finally {
    term.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
