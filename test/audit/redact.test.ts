// Redaction: sensitive keys at any depth and case, secrets inside strings, size limits with markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redact, redactString, truncate } from '../../src/agent/mcp/redact.js';

test('values under sensitive keys are redacted at any depth and in any case', () => {
  const input = {
    path: '/tmp/x',
    Password: 'hunter2',
    nested: { deeper: [{ API_KEY: 'k1', list: [{ accessToken: { a: 1 } }] }, { clientSecret: 's' }] },
    AUTHORIZATION: 'Basic abc',
    credentials: ['a', 'b'],
    count: 3,
    ok: true,
    nothing: null,
  };
  const out = redact(input) as Record<string, unknown>;
  assert.deepEqual(out, {
    path: '/tmp/x',
    Password: REDACTED,
    nested: { deeper: [{ API_KEY: REDACTED, list: [{ accessToken: REDACTED }] }, { clientSecret: REDACTED }] },
    AUTHORIZATION: REDACTED,
    credentials: REDACTED,
    count: 3,
    ok: true,
    nothing: null,
  });
  assert.equal(input.Password, 'hunter2', 'input is not mutated');
});

test('secrets inside strings are masked', () => {
  const cases: Array<[string, string]> = [
    ['Authorization: Bearer abcdef123456.xyz', 'Authorization: Bearer [REDACTED]'],
    ['curl -H "Bearer abcdef123456"', 'curl -H "Bearer [REDACTED]"'],
    ['key sk-proj-ABCDEFGHIJKLMNOPQRSTUV123 used', 'key [REDACTED] used'],
    ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz', '[REDACTED]'],
    ['gh ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'gh [REDACTED]'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnop', '[REDACTED]'],
    ['slack xoxb-1234567890-abcdefghij', 'slack [REDACTED]'],
    ['aws AKIAIOSFODNN7EXAMPLE!', 'aws [REDACTED]!'],
    ['https://api.example.com/v1?token=deadbeefcafebabe&page=2', 'https://api.example.com/v1?token=[REDACTED]&page=2'],
    ['api_key=0123456789abcdef0123456789abcdef', 'api_key=[REDACTED]'],
    ['postgresql://admin:s3cr3t@db.example:5432/app', 'postgresql://admin:[REDACTED]@db.example:5432/app'],
    ['{"password": "hunter2", "user": "bob"}', '{"password": [REDACTED], "user": "bob"}'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'jwt [REDACTED]'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '[REDACTED PRIVATE KEY]'],
    ['nothing secret here: /tmp/file.txt', 'nothing secret here: /tmp/file.txt'],
  ];
  for (const [input, expected] of cases) assert.equal(redactString(input), expected, input);
  assert.deepEqual(redact({ note: 'use Bearer abcdefghijkl' }), { note: `use Bearer ${REDACTED}` });
});

test('long strings and arrays are cut with a marker; deep nesting and cycles are bounded', () => {
  assert.equal(truncate('abcdef', 3), 'abc…[truncated 3 chars]');
  const long = redact({ content: 'x'.repeat(5000) }) as { content: string };
  assert.equal(long.content, `${'x'.repeat(2000)}…[truncated 3000 chars]`);
  const arr = redact(Array.from({ length: 250 }, (_, i) => i), { maxItems: 200 }) as unknown[];
  assert.equal(arr.length, 201);
  assert.equal(arr[200], '…[truncated 50 items]');
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < 20; i++) deep = { d: deep };
  assert.match(JSON.stringify(redact(deep)), /\[truncated: nested too deep\]/);
  const cyc: Record<string, unknown> = { a: 1 };
  cyc.self = cyc;
  assert.deepEqual(redact(cyc), { a: 1, self: '[circular]' });
});

// Issue 19: secrets recognised by their shape, not only by the key they sit under, at any depth and inside strings.
const SHAPES: Array<[label: string, text: string, secret: string]> = [
  ['short bearer token in a header', 'Authorization: Bearer xyz', 'xyz'],
  ['one-character bearer token', 'curl -H "Authorization: Bearer q" https://h.example', '"Authorization: Bearer q"'],
  ['bare short bearer', 'sent Bearer abc to the API', 'abc'],
  ['basic credential', 'Authorization: Basic dTpw', 'dTpw'],
  ['authorization header with another scheme', 'Authorization: Digest username="bob", response="6629fae4"', '6629fae4'],
  ['cookie header', 'Cookie: sid=31d4d96e407aad42; theme=dark', '31d4d96e407aad42'],
  ['set-cookie header', 'Set-Cookie: session=abc123; Path=/; HttpOnly', 'abc123'],
  ['cookie header inside curl', "curl -H 'Cookie: sid=s3ss10n' https://h.example", 's3ss10n'],
  ['cookie header in JSON text', '{"headers": {"Cookie": "sid=j50n"}}', 'j50n'],
  ['x-api-key header', 'X-Api-Key: k1', 'k1'],
  ['curl -u user:password', 'curl -u alice:hunter2 https://h.example', 'hunter2'],
  ['curl -uuser:password (glued)', 'curl -ualice:hunter3 https://h.example', 'hunter3'],
  ['curl --user=user:password', 'curl --user=alice:hunter4 https://h.example', 'hunter4'],
  ['curl --proxy-user user:password', 'curl --proxy-user bob:pr0xy https://h.example', 'pr0xy'],
  ['quoted -u value', 'curl -u "alice:quoted pw" x', 'quoted'],
  ['--password value', 'mysql --password s3cret -h db', 's3cret'],
  ['--api-key value', 'tool --api-key abc123 run', 'abc123'],
];

test('secret shapes are masked inside strings', () => {
  for (const [label, text, secret] of SHAPES) {
    const out = redactString(text);
    assert.ok(!out.includes(secret), `${label}: ${out}`);
    assert.ok(out.includes(REDACTED), `${label}: ${out}`);
  }
  assert.equal(redactString('Authorization: Bearer xyz'), 'Authorization: Bearer [REDACTED]');
  assert.equal(redactString('curl -u alice:hunter2 https://h.example'), 'curl -u alice:[REDACTED] https://h.example');
  assert.equal(redactString('Cookie: sid=1; a=2'), 'Cookie: [REDACTED]');
  // Words that only look like the start of a shape stay.
  for (const plain of ['the token limit is 4096', 'use -u to update', 'a cookie recipe', 'ls -la /tmp', 'Bearer of bad news'.toLowerCase()]) {
    assert.equal(redactString(plain), plain);
  }
});

test('secret shapes are masked at any depth, and in the list element after their flag or header name', () => {
  const input = {
    command: 'curl',
    args: ['-s', '-u', 'alice:hunter2', '-H', 'Cookie: sid=abc', 'https://h.example'],
    deep: { a: [{ b: { c: ['x', 'Authorization: Bearer xyz'] } }] },
    headerPairs: [['Cookie', 'sid=pairsecret'], ['Authorization', 'Bearer t0k'], ['Accept', 'text/plain']],
    argv: ['--token', 'tok3n', '--user', 'bob:pw9', '--password', 'pw10', '--verbose', 'yes'],
  };
  const out = JSON.stringify(redact(input));
  for (const secret of ['hunter2', 'sid=abc', 'xyz"', 'pairsecret', 't0k', 'tok3n', 'pw9', 'pw10']) assert.ok(!out.includes(secret), `${secret} in ${out}`);
  const r = redact(input) as typeof input;
  assert.deepEqual(r.args, ['-s', '-u', `alice:${REDACTED}`, '-H', `Cookie: ${REDACTED}`, 'https://h.example']);
  assert.deepEqual(r.headerPairs, [['Cookie', REDACTED], ['Authorization', `Bearer ${REDACTED}`], ['Accept', 'text/plain']]);
  assert.deepEqual(r.argv, ['--token', REDACTED, '--user', `bob:${REDACTED}`, '--password', REDACTED, '--verbose', 'yes']);
});
