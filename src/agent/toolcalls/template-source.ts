// Reading a model directory's chat template and special tokens (for `auto`), straight from its files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class ModelTemplateError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'ModelTemplateError';
  }
}

function readJson(path: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelTemplateError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ModelTemplateError(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

/** The chat template text (chat_template.jinja, else tokenizer_config.json's chat_template) and special tokens. */
export function readModelTemplate(dir: string): { chatTemplate: string | null; specialTokens: string[] } {
  if (!existsSync(dir)) throw new ModelTemplateError(`--model: ${dir} does not exist`);
  let chatTemplate: string | null = null;
  const specialTokens: string[] = [];
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) chatTemplate = readFileSync(jinja, 'utf8');
  const cfgPath = join(dir, 'tokenizer_config.json');
  if (existsSync(cfgPath)) {
    const cfg = readJson(cfgPath);
    const t = cfg['chat_template'];
    if (chatTemplate === null && typeof t === 'string') chatTemplate = t;
    else if (chatTemplate === null && Array.isArray(t)) {
      // Named templates: [{name, template}], "default" and "tool_use" both matter for markers.
      chatTemplate = t.map((x) => (x && typeof x === 'object' && typeof (x as { template?: unknown }).template === 'string' ? (x as { template: string }).template : '')).join('\n');
    }
    const added = cfg['added_tokens_decoder'];
    if (added && typeof added === 'object') {
      for (const v of Object.values(added as Record<string, unknown>)) {
        const c = (v as { content?: unknown })?.content;
        if (typeof c === 'string') specialTokens.push(c);
      }
    }
    const extra = cfg['additional_special_tokens'];
    if (Array.isArray(extra)) for (const x of extra) if (typeof x === 'string') specialTokens.push(x);
  }
  if (chatTemplate === null && specialTokens.length === 0) throw new ModelTemplateError(`--model: no chat_template.jinja or tokenizer_config.json in ${dir}`);
  return { chatTemplate, specialTokens };
}
