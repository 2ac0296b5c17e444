// --audit-retention-days on the commands that write the audit log (mcp call, chat, serve): default 90 days,
// 0 keeps every row, a bad value is a one-line error naming the flag.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/agent/audit/index.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { FIXTURE_SERVER, REPO_ROOT, tempDir } from '../mcp/helpers.js';

const VMLX = join(REPO_ROOT, 'bin', 'vmlx.js');
const home = tempDir('vmlx-retention-cli-');
after(() => rmSync(home, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '', HOME: home, VMLX_HOME: home };
const config = join(home, 'mcp.json');
writeFileSync(config, JSON.stringify({ mcpServers: { fixture: { command: 'node', args: [FIXTURE_SERVER] } } }));
const DAY = 86_400_000;

/** A database holding one row per age (in days), tool named after the age. */
function seed(name: string, ages: number[]): string {
  const path = join(home, name);
  const log = AuditLog.open(path);
  for (const age of ages) log.record({ time: Date.now() - age * DAY, origin: 'cli', server: 's', tool: `age${age}`, arguments: {}, decision: 'allowed', rule: 'allowed', success: true });
  log.close();
  return path;
}

function seededTools(path: string): string[] {
  const log = AuditLog.open(path);
  try {
    return log.query({ limit: 1000 }).map((r) => r.tool).filter((t) => t.startsWith('age'));
  } finally {
    log.close();
  }
}

/** Runs the CLI; the runs of one test go side by side to keep the file fast. */
function vmlx(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VMLX, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('mcp call: rows past the retention are pruned, 90 days by default', async () => {
  const byDefault = seed('default.db', [200, 100, 30, 1]);
  const thirty = seed('thirty.db', [200, 60, 10]);
  const call = (db: string, ...flags: string[]) => vmlx(['mcp', 'call', '--mcp-config', config, '--audit-db', db, ...flags, 'fixture', 'echo', '{"text":"x"}']);
  for (const r of await Promise.all([call(byDefault), call(thirty, '--audit-retention-days', '30')])) {
    assert.equal(r.status, 0, r.stderr);
  }
  assert.deepEqual(seededTools(byDefault), ['age30', 'age1']);
  assert.deepEqual(seededTools(thirty), ['age10']);
});

test('a bad --audit-retention-days is a one-line error naming the flag', async () => {
  const bad = ['abc', '-1'];
  const runs = await Promise.all([
    ...bad.map((v) => vmlx(['mcp', 'call', '--mcp-config', config, '--audit-db', join(home, 'bad.db'), `--audit-retention-days=${v}`, 'fixture', 'echo'])),
    vmlx(['serve', '--help']),
  ]);
  runs.slice(0, bad.length).forEach((r, i) => {
    assert.equal(r.status, 1, bad[i]);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /--audit-retention-days/);
  });
  const help = runs.slice(bad.length).map((r) => r.stdout).join('');
  assert.match(help, /--audit-retention-days <days>\s+delete audit rows older than this many days/);
});

test('chat --print prunes with --audit-retention-days', async () => {
  const db = seed('chat.db', [40, 20, 5]);
  const script = join(home, 'model.json');
  writeFileSync(script, JSON.stringify({ rounds: ['Hello.'] }));
  const r = await vmlx(['chat', '--scripted-model', script, '--audit-db', db, '--audit-retention-days', '10', '-p', 'hi']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Hello\./);
  assert.deepEqual(seededTools(db), ['age5']);
});

test('serve prunes with --audit-retention-days', async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  const db = seed('serve.db', [400, 3]);
  const child = spawn(process.execPath, [VMLX, 'serve', dir, '--port', '0', '--max-context', '256', '--mcp-config', config, '--audit-db', db, '--audit-retention-days', '7'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      if (/ on http:\/\//.test(err)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`vmlx serve exited (${code}) before listening:\n${err}`)));
  });
  try {
    assert.deepEqual(seededTools(db), ['age3']);
  } finally {
    child.kill('SIGTERM');
    await exited; // its exit status on SIGTERM is the server tests' business
  }
});
