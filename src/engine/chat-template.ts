// Chat templates rendered with @huggingface/jinja, with the variables transformers' apply_chat_template passes.
// raise_exception and strftime_now are globals of @huggingface/jinja itself (it refuses to have them redefined).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import { GenerationInputError, ModelFormatError } from './errors.js';
import type { TokenizerConfig } from './tokenizer.js';
import type { ChatMessage, ChatPromptOptions } from './types.js';

const namedTemplates = z.array(z.object({ name: z.string(), template: z.string() }));

/**
 * Messages as templates expect them: tool-call arguments as objects (templates apply `tojson` to them or print
 * them as dicts), null content as an empty string (templates call string methods on it).
 */
function templateMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    if (m.role !== 'assistant') return { ...m };
    const out: Record<string, unknown> = { ...m, content: m.content ?? '' };
    if (m.reasoning_content == null) delete out.reasoning_content;
    if (m.tool_calls && m.tool_calls.length > 0) {
      out.tool_calls = m.tool_calls.map((c) => ({
        id: c.id,
        type: c.type,
        function: { name: c.function.name, arguments: parseArguments(c.function.arguments) },
      }));
    } else delete out.tool_calls;
    return out;
  });
}

function parseArguments(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed !== null && typeof parsed === 'object' ? parsed : args;
  } catch {
    return args; // not JSON: the template prints the string as it is
  }
}

export interface SpecialTokenStrings {
  bos_token?: string | null;
  eos_token?: string | null;
  pad_token?: string | null;
  unk_token?: string | null;
}

export class ChatTemplate {
  private readonly compiled = new Map<string, Template>();

  /**
   * @param templates named templates ("default", and e.g. "tool_use")
   * @param file where they came from, for error messages
   */
  constructor(
    private readonly templates: Map<string, string>,
    private readonly file: string,
  ) {}

  /** chat_template.jinja when present, else tokenizer_config.json's chat_template; null when neither exists. */
  static fromDir(dir: string, tokenizerConfig: TokenizerConfig): ChatTemplate | null {
    const jinjaFile = join(dir, 'chat_template.jinja');
    if (existsSync(jinjaFile)) return new ChatTemplate(new Map([['default', readFileSync(jinjaFile, 'utf8')]]), jinjaFile);
    const configFile = join(dir, 'tokenizer_config.json');
    const value = tokenizerConfig.chat_template;
    if (value == null) return null;
    if (typeof value === 'string') return new ChatTemplate(new Map([['default', value]]), configFile);
    const list = namedTemplates.safeParse(value);
    if (!list.success || list.data.length === 0) {
      throw new ModelFormatError(configFile, `field 'chat_template' must be a string or a list of {name, template}`);
    }
    return new ChatTemplate(new Map(list.data.map((t) => [t.name, t.template])), configFile);
  }

  /** The template used without tools (the source tool-call parsers inspect). */
  get source(): string {
    return this.templates.get('default') ?? this.templates.values().next().value!;
  }

  private pick(withTools: boolean): { name: string; template: Template } {
    const name = withTools && this.templates.has('tool_use') ? 'tool_use' : this.templates.has('default') ? 'default' : this.templates.keys().next().value!;
    let template = this.compiled.get(name);
    if (!template) {
      try {
        template = new Template(this.templates.get(name)!);
      } catch (err) {
        throw new ModelFormatError(this.file, `chat template '${name}' does not parse (${(err as Error).message})`);
      }
      this.compiled.set(name, template);
    }
    return { name, template };
  }

  render(messages: ChatMessage[], opts: ChatPromptOptions = {}, special: SpecialTokenStrings = {}): string {
    const tools = opts.tools && opts.tools.length > 0 ? opts.tools : undefined;
    const vars: Record<string, unknown> = {
      messages: templateMessages(messages),
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: special.bos_token ?? '',
      eos_token: special.eos_token ?? '',
      pad_token: special.pad_token ?? '',
      unk_token: special.unk_token ?? '',
      ...opts.templateVars,
    };
    // Templates test `tools is defined` / `tools is not none`: leave the name unset when there are none.
    if (tools) vars.tools = tools;
    if (opts.enableThinking !== undefined) vars.enable_thinking = opts.enableThinking;
    const { template } = this.pick(tools !== undefined);
    try {
      return template.render(vars);
    } catch (err) {
      // raise_exception(msg) surfaces here as a plain Error carrying the template's own message.
      throw new GenerationInputError(`chat template (${this.file}): ${(err as Error).message}`);
    }
  }
}
