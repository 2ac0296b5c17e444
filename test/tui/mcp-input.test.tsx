// The REPL's MCP input through ink-testing-library: Tab completes a prompt name, the prompt command sends the
// prompt's text (the transcript shows what was typed), and a refused @ path is reported and not sent.
import './interactive-ink.js';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import type { InputCatalog } from '../../src/agent/input/types.js';
import type { ReplBackend } from '../../src/tui/backend.js';
import { Repl } from '../../src/tui/Repl.js';
import { FakeExecutor } from '../agent/fake-executor.js';
import { flush, keys, waitForFrame } from './helpers.js';

afterEach(() => cleanup());

const catalog: InputCatalog = {
  prompts: () => [{ server: 'docs', name: 'summarise', arguments: [{ name: 'topic', required: true }] }],
  resources: () => [{ server: 'docs', uri: 'docs://intro', name: 'intro' }],
  getPrompt: async (_s, _n, args) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Summarise ${args.topic}.` } }] }),
  readResource: async (_s, uri) => ({ contents: [{ uri, text: 'intro text' }] }),
};

function setup(cwd: string) {
  const model = new ScriptedModel({ rounds: ['Summary done.'], contextLength: 4096 });
  const executor = new FakeExecutor([]);
  const session = new ChatSession({ model, executor });
  const backend: ReplBackend = {
    session,
    modelName: 'tiny-model',
    modelInfo: model.info,
    statuses: () => executor.statuses(),
    tools: () => executor.listTools(),
    onChange: () => () => undefined,
    recentAudit: () => [],
    notices: [{ level: 'info', text: 'tiny-model ready' }],
    onNotice: () => () => undefined,
    input: { catalog, servers: ['docs'], cwd, maxAttachmentBytes: 1024 },
  };
  return { model, backend };
}

async function write(r: ReturnType<typeof render>, data: string): Promise<void> {
  await flush();
  r.stdin.write(data);
  await flush();
}

test('Tab completes /docs:summ, Enter sends the prompt text; a path outside the directory is refused', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vmlx-tui-input-'));
  writeFileSync(join(cwd, 'a.txt'), 'a');
  try {
    const { model, backend } = setup(cwd);
    const r = render(<Repl backend={backend} onExit={() => undefined} />);
    await waitForFrame(r, (t) => t.includes('tiny-model ready'), 'the ready notice');
    // Text and Tabs in one chunk (typed faster than the app reads) still complete, and insert no tab characters.
    await write(r, '/docs:summ\t\t');
    await waitForFrame(r, (t) => t.includes('/docs:summarise'), 'the completed name');
    await write(r, 'topic=ink');
    await write(r, keys.enter);
    const done = await waitForFrame(r, (t) => t.includes('Summary done.'), 'the answer');
    assert.match(done, /› \/docs:summarise topic=ink/);
    assert.match(done, /\/docs:summarise: sent the prompt's text/);
    assert.equal(model.requests[0]!.messages.at(-1)!.content, 'Summarise ink.');
    await write(r, 'read @../etc/passwd');
    await write(r, keys.enter);
    const refused = await waitForFrame(r, (t) => t.includes('refused'), 'the refusal');
    assert.match(refused, /@\.\.\/etc\/passwd: refused, it is outside the working directory/);
    assert.equal(model.requests.length, 1, 'nothing was sent');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
