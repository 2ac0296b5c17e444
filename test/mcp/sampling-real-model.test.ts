// Sampling answered by a real model through the native engine: server-everything's sampling tool, under an
// 'allow' policy, gets text the tiny generated test model wrote, capped at the host's maxTokens, with the
// model's name; the request and its answer are an audit row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { McpManager } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { modelSampler } from '../../src/agent/mcp/sampling.js';
import { loadModel, type LoadedModel } from '../../src/engine/model.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { EVERYTHING_SERVER, tempDir } from './helpers.js';

const audit = new MemoryAuditLog();
let model: LoadedModel;
let manager: McpManager;
// What the engine reported for the sampling request's generation (counted by the engine, not by re-encoding the
// text: random weights can end on a partial UTF-8 sequence whose replacement character re-encodes as several tokens).
const generated: number[] = [];

before(async () => {
  const { dir } = await ensureTestModel({ arch: 'qwen3', dtype: 'bf16', bits: 4 });
  model = await loadModel(dir, { maxContext: 2048 });
  const config = parseMcpConfig(JSON.stringify({ mcpServers: { ev: { command: 'node', args: [EVERYTHING_SERVER], sampling: 'allow' } } }), 'test-mcp.json');
  manager = await McpManager.start({
    config,
    audit,
    logDir: join(tempDir(), 'logs'),
    connectTimeoutMs: 20_000,
    host: { sampler: modelSampler(countingModel(model), { modelName: 'qwen3-tiny', maxTokensLimit: 6, reasoningParser: 'none' }) },
  });
});

/** The model, with every finished generation's completion-token count recorded in `generated`. */
function countingModel(inner: LoadedModel): LoadedModel {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key !== 'generate') return Reflect.get(target, key, receiver);
      return async function* (...args: Parameters<LoadedModel['generate']>) {
        for await (const ev of target.generate(...args)) {
          if (ev.type === 'done') generated.push(ev.usage.completionTokens);
          yield ev;
        }
      };
    },
  });
}

after(async () => {
  await manager?.close();
  await model?.dispose();
});

test('the tiny model answers a sampling request within the host maxTokens limit', async () => {
  const out = await manager.callTool('ev', 'trigger-sampling-request', { prompt: 'name a colour', maxTokens: 500 }, { origin: 'chat' });
  assert.equal(out.status, 'ok', out.error);
  const json = out.text.slice(out.text.indexOf('{'));
  const result = JSON.parse(json) as { model: string; role: string; stopReason: string; content: { type: string; text: string } };
  assert.equal(result.model, 'qwen3-tiny');
  assert.equal(result.role, 'assistant');
  assert.equal(result.content.type, 'text');
  // 500 asked, 6 allowed: the cap ends it unless the random weights (sampled at the server's temperature)
  // happen to pick an end token first.
  assert.ok(['maxTokens', 'endTurn'].includes(result.stopReason), result.stopReason);
  assert.deepEqual(generated, [generated[0]]);
  assert.ok(generated[0]! >= 1 && generated[0]! <= 6, `at most the cap: ${generated[0]} tokens (${result.content.text})`);
  if (result.stopReason === 'maxTokens') assert.equal(generated[0], 6);
  const sent = audit.query({ limit: 100 }).find((r) => r.tool === 'sampling/createMessage')!.arguments as { generationLimit: number };
  assert.equal(sent.generationLimit, 500, 'the audit row keeps what the server asked for');
  const row = audit.query({ limit: 100 }).find((r) => r.tool === 'sampling/createMessage')!;
  assert.equal(row.rule, 'sampling:policy-allow');
  assert.equal(row.resultPreview, result.content.text.slice(0, 200));
});
