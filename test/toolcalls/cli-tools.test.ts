// `vmlx tools parsers` and `vmlx tools parse` end to end (child processes, no model needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const vmlx = (args: string[], input = ''): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'vmlx.js'), ...args], { input, encoding: 'utf8', cwd: root, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const dir = mkdtempSync(join(tmpdir(), 'vmlx-tools-'));
const toolsFile = join(dir, 'tools.json');
writeFileSync(toolsFile, JSON.stringify([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } }]));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const OUTPUT = 'I will check.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>';

test('tools parsers lists every family, as a table and as JSON', () => {
  const table = vmlx(['tools', 'parsers']);
  assert.equal(table.code, 0, table.err);
  for (const name of ['hermes', 'qwen3_coder', 'llama3', 'pythonic', 'mistral', 'xlam', 'phi4_mini', 'granite', 'auto']) assert.match(table.out, new RegExp(`^${name}\\s`, 'm'));
  const json = vmlx(['tools', 'parsers', '--json']);
  const parsed = JSON.parse(json.out) as { tool: Array<{ name: string }>; reasoning: Array<{ name: string }> };
  assert.ok(parsed.tool.some((t) => t.name === 'qwen3_coder'));
  assert.ok(parsed.reasoning.some((r) => r.name === 'think'));
});

test('tools parse: whole and --stream give the same typed result', () => {
  const whole = vmlx(['tools', 'parse', '--parser', 'qwen3_coder', '--tools', toolsFile], OUTPUT);
  assert.equal(whole.code, 0, whole.err);
  const a = JSON.parse(whole.out);
  assert.equal(a.content, 'I will check.');
  assert.equal(a.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(a.tool_calls[0].function.arguments), { city: 'Paris', days: 3 });
  const streamed = vmlx(['tools', 'parse', '--parser', 'qwen3_coder', '--tools', toolsFile, '--stream', '--seed', '5'], OUTPUT);
  assert.equal(streamed.code, 0, streamed.err);
  const b = JSON.parse(streamed.out);
  assert.equal(b.content, a.content);
  assert.equal(b.tool_calls[0].function.arguments, a.tool_calls[0].function.arguments);
});

test('tools parse --model reads the chat template for auto', () => {
  const r = vmlx(['tools', 'parse', '--model', join(root, 'node_modules', '@lenml', 'tokenizer-llama3_2', 'models')], '{"name": "get_weather", "parameters": {"city": "Paris"}}');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).tool_calls[0].function.name, 'get_weather');
});

test('user mistakes are one-line errors with a non-zero exit', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '[{"type": "nope"}]');
  for (const [args, pattern] of [
    [['tools', 'parse', '--parser', 'nope'], /unknown tool parser "nope"/],
    [['tools', 'parse', '--tools', join(dir, 'missing.json')], /--tools: cannot read/],
    [['tools', 'parse', '--tools', bad], /--tools: .*bad\.json: 0\.type/],
    [['tools', 'parse', '--model', dir], /--model: no chat_template/],
    [['tools', 'parse', '--seed', 'x'], /--seed: expected a whole number/],
  ] as Array<[string[], RegExp]>) {
    const r = vmlx(args, 'text');
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});
