// MCP prompts as commands, @ mentions, completion and /mcp, against a real MCP server with prompts and resources
// (test/mcp/fixtures/catalog-server.ts) whose lists change at run time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completeInput } from '../../src/agent/input/completion.js';
import { findMentions } from '../../src/agent/input/mentions.js';
import { needsPreparation, prepareInput } from '../../src/agent/input/prepare.js';
import { parsePromptArgs } from '../../src/agent/input/prompt-command.js';
import { InputError, type InputContext } from '../../src/agent/input/types.js';
import { McpConfigSchema } from '../../src/agent/mcp/config.js';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { describeMcp, mcpCommand } from '../../src/tui/mcp-command.js';

const CATALOG_SERVER = fileURLToPath(new URL('../mcp/fixtures/catalog-server.js', import.meta.url));
let root: string;
let cwd: string;
let manager: McpManager;
let ctx: InputContext;

/** Resolves when the catalog satisfies `cond` (checked now and on every change). */
function catalogWhen(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (cond()) return resolve();
    const off = manager.catalog.onChange(() => {
      if (cond()) {
        off();
        resolve();
      }
    });
  });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vmlx-input-'));
  cwd = join(root, 'work');
  mkdirSync(join(cwd, 'src'), { recursive: true });
  writeFileSync(join(cwd, 'src', 'main.ts'), 'console.log("hi");\n');
  writeFileSync(join(cwd, 'src', 'mode.ts'), 'export const mode = 1;\n');
  writeFileSync(join(cwd, 'blob.bin'), Buffer.from([1, 0, 2]));
  writeFileSync(join(root, 'secret.txt'), 'outside\n');
  symlinkSync(join(root, 'secret.txt'), join(cwd, 'link.txt'));
  const config = McpConfigSchema.parse({
    mcpServers: { cat: { command: 'node', args: [CATALOG_SERVER] }, bad: { command: 'node', args: [join(root, 'missing.js')] } },
  });
  manager = await McpManager.start({ config, logDir: join(root, 'logs'), connectTimeoutMs: 10_000 });
  await catalogWhen(() => manager.catalog.prompts().length === 2 && manager.catalog.resources().length === 2);
  ctx = { catalog: manager.catalog, servers: ['cat', 'bad'], cwd, maxAttachmentBytes: 1024 };
});
after(async () => {
  await manager.close();
  rmSync(root, { recursive: true, force: true });
});

test('prompt command: arguments (quoted), the prompt text, and clear errors for user mistakes', async () => {
  assert.deepEqual(parsePromptArgs(`who="Ada Lovelace" tone='warm' x=1`), { who: 'Ada Lovelace', tone: 'warm', x: '1' });
  assert.throws(() => parsePromptArgs('who'), /'who' is not an argument: write name=value/);
  const greet = await prepareInput('/cat:greet who="Ada Lovelace" tone=warm', ctx);
  assert.equal(greet.text, 'Say hello to Ada Lovelace in a warm tone.');
  assert.equal(greet.prompt, '/cat:greet');
  assert.equal((await prepareInput('/cat:review', ctx)).text, 'Review this.\n\n(assistant) Which file?');
  await assert.rejects(prepareInput('/cat:greet', ctx), (e: Error) => e instanceof InputError && /needs who: \/cat:greet who=… \[tone=…\]/.test(e.message));
  await assert.rejects(prepareInput('/cat:nope', ctx), /no MCP prompt \/cat:nope; prompts: \/cat:greet, \/cat:review/);
  await assert.rejects(prepareInput('/cat:greet who=a mood=b', ctx), /has no argument mood \(it takes: who, tone\)/);
});

test('@server:uri attaches the resource, cut at the cap with a marker', async () => {
  const small = await prepareInput('what is on @cat:memo://notes/today?', ctx);
  assert.equal(small.text, 'what is on @cat:memo://notes/today?\n\n<resource server="cat" uri="memo://notes/today">\nbuy milk\ncall ada\n</resource>');
  const big = await prepareInput('summarise @cat:memo://big', ctx);
  assert.deepEqual(big.attachments, [{ label: 'cat:memo://big', bytes: 100_000, truncated: true }]);
  assert.match(big.text, /\n\[attachment truncated: first 1024 of 100000 bytes\]\n<\/resource>$/);
  await assert.rejects(prepareInput('@cat:memo://none', ctx), /@cat:memo:\/\/none: .*no resource memo:\/\/none/);
});

test('@path attaches files under the working directory and refuses the rest', async () => {
  const file = await prepareInput('explain @src/main.ts, please', ctx);
  assert.match(file.text, /^explain @src\/main\.ts, please\n\n<file path="src\/main\.ts">\nconsole\.log\("hi"\);\n\n<\/file>$/);
  await assert.rejects(prepareInput('read @../secret.txt', ctx), /@\.\.\/secret\.txt: refused, it is outside the working directory/);
  await assert.rejects(prepareInput('read @link.txt', ctx), /@link\.txt: refused, it is outside the working directory/);
  await assert.rejects(prepareInput('read @blob.bin', ctx), /@blob\.bin: a binary file, not attached/);
  await assert.rejects(prepareInput('read @src', ctx), /@src: not a file/);
  await assert.rejects(prepareInput('read @nofile.txt', ctx), /@nofile\.txt: no such file/);
  assert.equal(needsPreparation('ping @someone about it, mail a@b.com', ctx), false);
  assert.deepEqual(findMentions('see @bad:thing', ctx.servers, cwd), [{ kind: 'resource', raw: 'bad:thing', server: 'bad', uri: 'thing' }]);
});

test('Tab completion: slash commands and prompts, resources, files', () => {
  const opts = { catalog: manager.catalog, commands: ['clear', 'compact', 'mcp'], cwd };
  assert.deepEqual(completeInput('/cat:g', 6, opts), { value: '/cat:greet ', cursor: 11, candidates: ['/cat:greet'] });
  const c = completeInput('/c', 2, opts);
  assert.deepEqual(c.candidates, ['/clear', '/compact', '/cat:greet', '/cat:review']);
  assert.equal(c.value, '/c');
  assert.equal(completeInput('see @cat:memo://n', 17, opts).value, 'see @cat:memo://notes/today ');
  assert.equal(completeInput('see @sr', 7, opts).value, 'see @src/');
  const files = completeInput('see @src/m', 10, opts);
  assert.deepEqual(files.candidates, ['@src/main.ts', '@src/mode.ts']);
  assert.equal(files.value, 'see @src/m');
  assert.deepEqual(completeInput('see @zz', 7, opts).candidates, []);
});

test('Tab completion: a prompt\'s arguments, those not given yet, as name=', () => {
  const opts = { catalog: manager.catalog, commands: ['clear'], cwd };
  const both = completeInput('/cat:greet ', 11, opts);
  assert.deepEqual(both.candidates, ['who=', 'tone=']);
  assert.equal(both.value, '/cat:greet ');
  assert.deepEqual(completeInput('/cat:greet w', 12, opts), { value: '/cat:greet who=', cursor: 15, candidates: ['who='] });
  assert.deepEqual(completeInput('/cat:greet who=ann ', 19, opts), { value: '/cat:greet who=ann tone=', cursor: 24, candidates: ['tone='] });
  assert.deepEqual(completeInput('/cat:greet who=ann tone=', 24, opts).candidates, [], 'a value is not an argument name');
  assert.deepEqual(completeInput('/cat:review ', 12, opts).candidates, [], 'a prompt without arguments offers none');
  assert.equal(completeInput('/cat:greet who=x @sr', 20, opts).value, '/cat:greet who=x @src/', 'mentions still complete after the arguments');
});

test('prompts/list_changed and resources/list_changed refresh the lists', async () => {
  const origin = { origin: 'cli' as const };
  assert.equal((await manager.callTool('cat', 'add-prompt', { name: 'fresh' }, origin)).status, 'ok');
  await catalogWhen(() => manager.catalog.prompts().some((p) => p.name === 'fresh'));
  assert.equal((await prepareInput('/cat:fresh', ctx)).text, 'prompt fresh');
  assert.equal((await manager.callTool('cat', 'add-resource', { uri: 'memo://new' }, origin)).status, 'ok');
  await catalogWhen(() => manager.catalog.resources().some((r) => r.uri === 'memo://new'));
  assert.match((await prepareInput('@cat:memo://new', ctx)).text, /content of memo:\/\/new/);
});

test('/mcp: states, counts and policies; reconnect restarts a connected server and reports a failed one\'s error', async () => {
  const text = describeMcp(manager);
  assert.match(text, /^MCP servers \(2\):/);
  assert.match(text, /cat +stdio +connected \(vmlx-catalog 1\.0\.0\) — 2 tools · \d+ prompts · \d+ resources · policy: allow 2/);
  assert.match(text, /bad +stdio +failed — .*log: /);
  assert.deepEqual(mcpCommand(['reconnect'], manager), { kind: 'error', text: 'usage: /mcp [reconnect NAME]' });
  assert.match((mcpCommand(['reconnect', 'zzz'], manager) as { text: string }).text, /no MCP server named 'zzz' \(servers: cat, bad\)/);
  // A connected server is restarted: a new process, and its prompts are listed again from it.
  const oldPid = manager.pidOf('cat');
  const restarted = mcpCommand(['reconnect', 'cat'], manager);
  assert.equal(restarted.kind, 'pending');
  assert.deepEqual(await (restarted as { done: Promise<unknown> }).done, { ok: true, text: 'cat: reconnected, 2 tools' });
  assert.notEqual(manager.pidOf('cat'), oldPid);
  await catalogWhen(() => manager.catalog.prompts().length === 2);
  assert.equal((await prepareInput('/cat:greet who=Bo', ctx)).text, 'Say hello to Bo.');
  const pending = mcpCommand(['reconnect', 'bad'], manager);
  assert.equal(pending.kind, 'pending');
  const done = await (pending as { done: Promise<{ ok: boolean; text: string }> }).done;
  assert.equal(done.ok, false);
  assert.match(done.text, /^bad: failed — /);
  assert.deepEqual(mcpCommand([], undefined), { kind: 'error', text: '/mcp: this chat has no MCP manager' });
});
