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
