// The elicitation form's key handling (constraints checked before leaving a field and before accepting) and
// the queue of server requests (one at a time, withdrawn when the server cancels, "always" per server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formFields } from '../../src/agent/mcp/elicitation.js';
import { formChunk, formKey, initialForm, type FormKey, type FormState } from '../../src/tui/state/elicitation-form.js';
import { HostRequestQueue } from '../../src/tui/state/host-requests.js';

const NO_KEY: FormKey = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  return: false,
  tab: false,
  shift: false,
  backspace: false,
  delete: false,
  ctrl: false,
  meta: false,
};

const fields = formFields({
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 2 },
    age: { type: 'integer', title: 'Age', minimum: 0, maximum: 150 },
    colour: { type: 'string', title: 'Colour', enum: ['red', 'green'], enumNames: ['Red', 'Green'] },
    ok: { type: 'boolean', title: 'OK' },
  },
  required: ['name', 'age'],
});

function press(state: FormState, input: string, key: Partial<FormKey> = {}) {
  return formKey(state, input, { ...NO_KEY, ...key });
}

function edit(state: FormState, input: string, key: Partial<FormKey> = {}): FormState {
  const step = press(state, input, key);
  assert.equal(step.kind, 'edit');
  return (step as { state: FormState }).state;
}

test('a field that breaks its constraint keeps the focus and says why', () => {
  let s = edit(initialForm(fields), 'A');
  s = edit(s, '', { return: true });
  assert.equal(s.focus, 0);
  assert.equal(s.error, 'Name: at least 2 characters');
  s = edit(s, 'da');
  assert.equal(s.error, null);
  s = edit(s, '', { tab: true });
  assert.equal(s.focus, 1);
  s = edit(s, '200', {});
  s = edit(s, '', { downArrow: true });
  assert.equal(s.error, 'Age: at most 150');
  // Moving back is always allowed (the value is checked again on accept).
  s = edit(s, '', { upArrow: true });
  assert.equal(s.focus, 0);
});

test('enums cycle, booleans toggle, and Enter on the last field accepts only a valid form', () => {
  let s = initialForm(fields);
  s = edit(s, 'Ada');
  s = edit(s, '', { return: true });
  s = edit(s, '', { return: true }); // Age is required and empty
  assert.equal(s.error, 'Age: required');
  s = edit(s, '36');
  s = edit(s, '', { return: true });
  s = edit(s, '', { rightArrow: true });
  assert.equal(s.texts[2], 'Red');
  s = edit(s, '', { rightArrow: true });
  assert.equal(s.texts[2], 'Green');
  s = edit(s, '', { return: true });
  s = edit(s, 'y');
  assert.equal(s.texts[3], 'yes');
  const step = press(s, '', { return: true });
  assert.deepEqual(step, { kind: 'accept', content: { name: 'Ada', age: 36, colour: 'green', ok: true } });
  // The same form with an invalid value goes back to that field instead of accepting.
  const bad = { ...s, texts: ['Ada', '3.5', 'Green', 'yes'] };
  const refused = press(bad, '', { return: true });
  assert.equal(refused.kind, 'edit');
  assert.equal((refused as { state: FormState }).state.focus, 1);
  assert.equal((refused as { state: FormState }).state.error, 'Age: expected a whole number');
});

test('a chunk typed quickly is split into its keys: Ctrl-U clears, Enter moves on, Ctrl-D declines', () => {
  const s = initialForm(fields);
  const step = formChunk({ ...s, texts: ['wrong', '', '', ''] }, '\u0015Ada\r36\u007f5', NO_KEY);
  assert.equal(step.kind, 'edit');
  const state = (step as { state: FormState }).state;
  assert.deepEqual(state.texts.slice(0, 2), ['Ada', '35']);
  assert.equal(state.focus, 1);
  assert.deepEqual(formChunk(state, 'x\u0004', NO_KEY), { kind: 'decline' });
  // A control character never becomes part of a value.
  assert.equal((formChunk(state, '\u0007', NO_KEY) as { state: FormState }).state.texts[1], '35');
});

test('the queue shows one request at a time; a withdrawn request leaves it; "always" skips later prompts', async () => {
  const queue = new HostRequestQueue();
  const changes: number[] = [];
  queue.subscribe(() => changes.push(queue.size));
  const approve = queue.samplingApprover();
  const params = { messages: [], maxTokens: 10 };
  const first = approve({ server: 'a', params }, new AbortController().signal);
  const withdrawn = new AbortController();
  const second = queue.elicitationHandler()({ mode: 'form', server: 'b', message: 'm', fields: [] }, withdrawn.signal);
  assert.equal(queue.size, 2);
  assert.equal(queue.current()?.kind, 'sampling');
  withdrawn.abort();
  assert.deepEqual(await second, { action: 'cancel', reason: 'the server withdrew the request' });
  const current = queue.current();
  assert.equal(current?.kind, 'sampling');
  if (current?.kind === 'sampling') current.respond({ approved: true }, true);
  assert.deepEqual(await first, { approved: true });
  assert.equal(queue.size, 0);
  // 'a' was answered for server a: its next request is approved without a prompt; server c still asks.
  assert.deepEqual(await approve({ server: 'a', params }, new AbortController().signal), { approved: true });
  const third = approve({ server: 'c', params }, new AbortController().signal);
  assert.equal(queue.size, 1);
  queue.cancelAll();
  assert.deepEqual(await third, { approved: false, reason: 'the chat closed' });
  assert.deepEqual(changes, [1, 2, 1, 0, 1, 0]);
});
