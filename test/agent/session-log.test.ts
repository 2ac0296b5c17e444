import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionLog } from '../../src/agent/loop/session-log.js';

test('the session log takes console output while the UI owns the terminal, then gives it back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmlx-log-'));
  try {
    const log = SessionLog.open(join(dir, 'logs'), 'abcdef123456', new Date('2026-03-04T05:06:07Z'));
    assert.equal(log.file, join(dir, 'logs', 'chat-2026-03-04.log'));
    const original = console.log;
    const restore = log.captureConsole();
    assert.notEqual(console.log, original);
    console.log('from a library', { n: 1 });
    console.error(new Error('boom'));
    restore();
    assert.equal(console.log, original);
    log.write('warn', 'two\nlines');
    const text = readFileSync(log.file, 'utf8');
    assert.match(text, /abcdef12 info from a library \{"n":1\}\n/);
    assert.match(text, /abcdef12 error Error: boom\n {4,}at /);
    assert.match(text, /abcdef12 warn two\n {4}lines\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
