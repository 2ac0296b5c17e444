// The session store and its recorder: a conversation is saved as it changes (appends, compaction, an
// over-long message taken back, /clear), read back as it was, and found by id or unique prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ChatSession } from '../../src/agent/loop/chat-session.js';
import { StoreRecorder } from '../../src/agent/sessions/recorder.js';
import { SessionStore, SessionStoreError, UnknownSessionError, titleOf } from '../../src/agent/sessions/store.js';
import { SESSION_MIGRATIONS } from '../../src/agent/sessions/schema.js';
import { ScriptedModel } from '../../src/agent/scripted-model.js';
import { FakeExecutor } from './fake-executor.js';

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) void _;
}

function tempDb() {
  const dir = mkdtempSync(join(tmpdir(), 'vmlx-sessions-'));
  return { file: join(dir, 'sessions.db'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a chat session is saved turn by turn and read back by a new process opening the file', async () => {
  const db = tempDb();
  try {
    const store = SessionStore.open(db.file);
    const recorder = new StoreRecorder(store, { model: 'm', cwd: '/w' }, 'aaaa1111-0000-0000-0000-000000000000');
    const model = new ScriptedModel({ rounds: ['first answer', 'second answer'] });
    const session = new ChatSession({ model, executor: new FakeExecutor([]), systemPrompt: 'be brief', recorder });
    assert.equal(store.list().length, 0, 'nothing said yet: no session');
    const turn = session.send('hello\nmore lines');
    await turn.next(); // the turn has started: the user's message is already on disk
    assert.deepEqual(store.messages(recorder.id).map((m) => m.role), ['system', 'user']);
    await drain(turn);
    await drain(session.send('again'));
    store.close();

    const reopened = SessionStore.open(db.file);
    const [summary] = reopened.list();
    assert.equal(summary!.id, recorder.id);
    assert.equal(summary!.title, 'hello');
    assert.equal(summary!.messageCount, 5);
    assert.deepEqual(reopened.messages(recorder.id), session.messages);
    reopened.close();
  } finally {
    db.done();
  }
});

test('compaction, a refused over-long message and /clear rewrite only what changed; /clear starts a new session', async () => {
  const db = tempDb();
  try {
    const store = SessionStore.open(db.file);
    const recorder = new StoreRecorder(store, { model: 'm', cwd: '/w' });
    const model = new ScriptedModel({ rounds: ['a1', 'a2', 'the summary', 'a3'], contextLength: 200 });
    const session = new ChatSession({ model, executor: new FakeExecutor([]), recorder });
    await drain(session.send('q1'));
    await drain(session.send('q2'));
    await session.compact();
    assert.deepEqual(store.messages(recorder.id), session.messages, 'the summary replaced the older turn on disk too');
    await drain(session.send('x'.repeat(5000))); // refused: does not fit 200 tokens, and not kept
    assert.deepEqual(store.messages(recorder.id), session.messages);
    assert.ok(!store.messages(recorder.id).some((m) => m.content === 'x'.repeat(5000)));
    const first = recorder.id;
    session.reset();
    assert.notEqual(recorder.id, first);
    await drain(session.send('q3'));
    assert.equal(store.list().length, 2);
    assert.equal(store.messages(first).length, 4, 'the old conversation stays stored');
    store.close();
  } finally {
    db.done();
  }
});

test('resume continues a stored conversation under its id; find takes a unique prefix; rm removes the messages too', async () => {
  const db = tempDb();
  try {
    const store = SessionStore.open(db.file);
    store.save('abc-1', { model: 'm', cwd: '/w' }, [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'uno' }], 0);
    store.save('abd-2', { model: 'm', cwd: '/w' }, [{ role: 'user', content: 'two' }], 0);
    assert.equal(store.find('abc').id, 'abc-1');
    assert.throws(() => store.find('ab'), (e: Error) => e instanceof UnknownSessionError && /ambiguous \(2 sessions/.test(e.message));
    assert.throws(() => store.find('zz'), /no session 'zz' \(vmlx sessions list shows the saved ones\)/);
    assert.throws(() => store.find('a%'), UnknownSessionError, 'LIKE wildcards are literal');

    const recorder = new StoreRecorder(store, { model: 'm', cwd: '/w' });
    const model = new ScriptedModel({ rounds: ['tres'] });
    const session = new ChatSession({ model, executor: new FakeExecutor([]), recorder });
    session.resume('abc-1', store.messages('abc-1'));
    await drain(session.send('three'));
    assert.deepEqual(model.requests[0]!.messages.map((m) => m.content), ['one', 'uno', 'three'], 'the model sees the stored turns');
    assert.deepEqual(store.messages('abc-1').map((m) => m.content), ['one', 'uno', 'three', 'tres']);
    assert.equal(store.latest()!.id, 'abc-1');

    assert.equal(store.remove('abc-1'), true);
    assert.equal(store.remove('abc-1'), false);
    assert.deepEqual(store.messages('abc-1'), []);
    store.close();
  } finally {
    db.done();
  }
});

test('the store migrates with user_version, refuses a newer file and names a corrupt message', () => {
  const db = tempDb();
  try {
    SessionStore.open(db.file).close();
    const raw = new Database(db.file);
    assert.equal(raw.pragma('user_version', { simple: true }), SESSION_MIGRATIONS.at(-1)!.version);
    raw.prepare("INSERT INTO sessions VALUES ('s', 0, 0, 'm', '/', 't')").run();
    raw.prepare("INSERT INTO messages VALUES ('s', 0, 0, '{\"role\":\"robot\"}')").run();
    raw.close();
    const store = SessionStore.open(db.file);
    assert.throws(() => store.messages('s'), (e: Error) => e instanceof SessionStoreError && /session s, message 1 is not a valid chat message/.test(e.message));
    store.close();

    const newer = new Database(db.file);
    newer.pragma('user_version = 99');
    newer.close();
    assert.throws(() => SessionStore.open(db.file), /schema version 99, newer than this vmlx understands/);
    writeFileSync(db.file, 'not a database at all, just text that is long enough to be read as a header....');
    assert.throws(() => SessionStore.open(db.file), (e: Error) => e instanceof SessionStoreError && e.message.startsWith(db.file));
  } finally {
    db.done();
  }
});

test('titleOf: the first line of the first user message, shortened', () => {
  assert.equal(titleOf([{ role: 'system', content: 's' }, { role: 'user', content: '  fix the build\nthen test' }]), 'fix the build');
  assert.equal(titleOf([{ role: 'user', content: 'x'.repeat(100) }]).length, 60);
});

test('a failed save is reported once and the chat goes on; the next successful save catches up', async () => {
  const db = tempDb();
  try {
    const store = SessionStore.open(db.file);
    const errors: string[] = [];
    const recorder = new StoreRecorder(store, { model: 'm', cwd: '/w' }, 'id-1', (m) => errors.push(m));
    const messages = [{ role: 'user' as const, content: 'a' }];
    const realSave = store.save.bind(store);
    store.save = () => {
      throw new Error('disk full');
    };
    recorder.sync(messages);
    messages.push({ role: 'user', content: 'b' });
    recorder.sync(messages);
    assert.deepEqual(errors, [`the conversation could not be saved to ${db.file}: disk full`]);
    store.save = realSave;
    recorder.sync(messages);
    assert.deepEqual(store.messages('id-1').map((m) => m.content), ['a', 'b']);
    store.close();
  } finally {
    db.done();
  }
});
