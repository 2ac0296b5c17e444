// End to end in a real terminal (tmux): the real server-everything asks the user through vmlx chat. Its
// elicitation form is filled (with a rejected value first) and accepted, or declined; its URL elicitation
// opens $BROWSER only after 'y'; its sampling request is shown, approved and answered by the chat's model
// (the scripted test model), then denied. Every request and answer is an audit row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/agent/audit/index.js';
import { call, VMLX_BIN } from '../agent/fixtures.js';
import { EVERYTHING_SERVER } from '../mcp/helpers.js';
import { ensureTmux, TmuxSession } from './tmux.js';

interface Chat {
  root: string;
  term: TmuxSession;
}

/** vmlx chat with server-everything as 'ev' and a scripted model that plays `rounds`. */
async function startChat(rounds: string[], env: Record<string, string> = {}, yes = true): Promise<Chat> {
  ensureTmux();
  const root = mkdtempSync(join(tmpdir(), 'vmlx-host-e2e-'));
  writeFileSync(join(root, 'mcp.json'), JSON.stringify({ mcpServers: { ev: { command: 'node', args: [EVERYTHING_SERVER] } } }));
  writeFileSync(join(root, 'script.json'), JSON.stringify({ rounds }));
  const term = new TmuxSession(root);
  const cmd = [process.execPath, VMLX_BIN, 'chat', '--scripted-model', join(root, 'script.json'), '--mcp-config', join(root, 'mcp.json'), ...(yes ? ['--yes'] : [])]
    .map((a) => `'${a}'`)
    .join(' ');
  term.start(cmd, { VMLX_HOME: join(root, 'home'), FORCE_COLOR: '0', ...env });
  await term.waitFor('the REPL to be ready', (s) => /ready \(context \d+ tokens\)/.test(s) && /mcp 1 connected/.test(s));
  return { root, term };
}

async function ask(term: TmuxSession, prompt: string): Promise<void> {
  term.type(prompt);
  await term.waitFor('the typed prompt', (s) => s.includes(prompt));
  term.key('Enter');
}

async function exit(chat: Chat): Promise<void> {
  chat.term.type('/exit');
  await chat.term.waitFor('the typed command', (s) => s.includes('/exit'));
  chat.term.key('Enter');
  assert.equal(await chat.term.waitForExit(), 0);
}

function auditRows(root: string, tool: string) {
  const audit = AuditLog.open(join(root, 'home', 'audit.db'));
  try {
    return audit.query({ limit: 50 }).filter((r) => r.tool === tool);
  } finally {
    audit.close();
  }
}

test('an elicitation form is filled in the terminal: a bad value is refused, then accepted and sent', async () => {
  const chat = await startChat([call('ev__trigger-elicitation-request', {}), 'The server has your details.']);
  try {
    await ask(chat.term, 'fill the form');
    await chat.term.waitFor('the form', (s) => s.includes("MCP server 'ev' asks for input") && s.includes('› String*'));
    const focusOn = (title: string) => chat.term.waitFor(`the focus on ${title}`, (s) => s.includes(`› ${title}`));
    chat.term.type('Ada Lovelace');
    await chat.term.waitFor('the name', (s) => s.includes('Ada Lovelace'));
    chat.term.key('Enter');
    await focusOn('Boolean');
    chat.term.key('Space'); // Boolean: toggled to yes
    await chat.term.waitFor('the toggle', (s) => s.includes('‹ yes ›'));
    chat.term.key('Enter');
    await focusOn('String with default');
    chat.term.key('Enter'); // kept
    await focusOn('String with email format');
    chat.term.type('not-an-email');
    await chat.term.waitFor('the email', (s) => s.includes('not-an-email'));
    chat.term.key('Enter');
    await chat.term.waitFor('the email error', (s) => s.includes('not an email address'));
    chat.term.key('C-u');
    chat.term.type('ada@example.com');
    await chat.term.waitFor('the email', (s) => s.includes('ada@example.com'));
    // Down to the last field, then Enter on it accepts the form.
    // One key at a time: keys sent together reach the app as one unreadable chunk.
    for (const title of ['String with uri format', 'String with date format', 'Integer', 'Number in range', 'Untitled Single', 'Untitled Multiple', 'Titled Single', 'Titled Multiple', 'Legacy Titled']) {
      chat.term.key('Down');
      await focusOn(title);
    }
    chat.term.key('Enter');
    const done = await chat.term.waitFor('the answer', (s) => s.includes('The server has your details.') && !s.includes('esc to cancel'));
    assert.match(done, /✓ ev · trigger-elicitation-request done/);
    assert.doesNotMatch(done, /asks for input/);
    await exit(chat);
    const [row] = auditRows(chat.root, 'elicitation/create');
    assert.equal(row?.success, true);
    const args = row!.arguments as { answer: { action: string; content: Record<string, unknown> } };
    assert.equal(args.answer.action, 'accept');
    assert.equal(args.answer.content.name, 'Ada Lovelace');
    assert.equal(args.answer.content.check, true);
    assert.equal(args.answer.content.email, 'ada@example.com');
    assert.equal(args.answer.content.integer, 42, 'defaults filled');
    assert.deepEqual(args.answer.content.titledMultipleSelectEnum, ['fish-1']);
  } finally {
    chat.term.kill();
  }
});

test('an elicitation form declined with ctrl-d tells the server so', async () => {
  const chat = await startChat([call('ev__trigger-elicitation-request', {}), 'You declined.']);
  try {
    await ask(chat.term, 'fill the form');
    await chat.term.waitFor('the form', (s) => s.includes("MCP server 'ev' asks for input"));
    chat.term.key('C-d');
    await chat.term.waitFor('the answer', (s) => s.includes('You declined.') && !s.includes('esc to cancel'));
    await exit(chat);
    const [row] = auditRows(chat.root, 'elicitation/create');
    assert.equal(row?.rule, 'elicitation:decline');
    assert.equal(row?.success, false);
  } finally {
    chat.term.kill();
  }
});

test('a URL elicitation opens $BROWSER only after the user agrees', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmlx-browser-'));
  const opened = join(root, 'opened.txt');
  const browser = join(root, 'browser.sh');
  writeFileSync(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`);
  chmodSync(browser, 0o755);
  const url = 'https://example.com/consent?x=1';
  const chat = await startChat([call('ev__trigger-url-elicitation', { url, message: 'Approve the payment' }), 'Thanks for approving.'], { BROWSER: browser });
  try {
    await ask(chat.term, 'approve it');
    const prompt = await chat.term.waitFor('the URL prompt', (s) => s.includes("MCP server 'ev' asks you to open a URL"));
    assert.match(prompt, /Approve the payment/);
    assert.equal(existsSync(opened), false, 'nothing opened before the answer');
    chat.term.key('y');
    await chat.term.waitFor('the answer', (s) => s.includes('Thanks for approving.') && !s.includes('esc to cancel'));
    await chat.term.waitFor('the browser notice', (s) => s.includes(`opened ${url}`));
    assert.equal(readFileSync(opened, 'utf8').trim(), url);
    await exit(chat);
    const [row] = auditRows(chat.root, 'elicitation/create');
    assert.equal(row?.rule, 'elicitation:accept');
  } finally {
    chat.term.kill();
  }
});

test('a sampling request is shown, approved and answered by the chat model; the next one is denied', async () => {
  const chat = await startChat([
    call('ev__trigger-sampling-request', { prompt: 'name a colour', maxTokens: 50 }),
    'Teal.',
    'The model said teal.',
    call('ev__trigger-sampling-request', { prompt: 'name another', maxTokens: 50 }),
    'The server was refused.',
  ], {}, false);
  try {
    await ask(chat.term, 'sample once');
    const prompt = await chat.term.waitFor('the sampling prompt', (s) => s.includes("MCP server 'ev' wants to use the model"));
    assert.match(prompt, /1 message, up to 50 tokens, temperature 0\.7/);
    assert.match(prompt, /system: You are a helpful test server\./);
    assert.match(prompt, /user: Resource trigger-sampling-request context: name a colour/);
    chat.term.key('y');
    const answered = await chat.term.waitFor('the answer', (s) => s.includes('The model said teal.') && !s.includes('esc to cancel'));
    assert.match(answered, /✓ ev · trigger-sampling-request done/);

    await ask(chat.term, 'sample again');
    await chat.term.waitFor('the second prompt', (s) => s.includes("MCP server 'ev' wants to use the model") && s.includes('name another'));
    chat.term.key('n');
    await chat.term.waitFor('the refusal', (s) => s.includes('The server was refused.') && !s.includes('esc to cancel'));
    await exit(chat);
    const rows = auditRows(chat.root, 'sampling/createMessage');
    assert.deepEqual(rows.map((r) => r.rule).sort(), ['sampling:user-allow', 'sampling:user-deny']);
    const allowed = rows.find((r) => r.rule === 'sampling:user-allow')!;
    assert.equal(allowed.resultPreview, 'Teal.');
  } finally {
    chat.term.kill();
  }
});
