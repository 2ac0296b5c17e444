// `/server:prompt arg=value arg2="two words"`: an MCP prompt run as a slash command. The prompt's messages become
// the text of the user's message.
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { InputError, type InputContext } from './types.js';

const PROMPT_COMMAND = /^\/([^\s:/]+):(\S+)(?:\s+([\s\S]*))?$/;

export interface PromptCommand {
  server: string;
  prompt: string;
  args: Record<string, string>;
}

/** Whether the line has the shape of a prompt command (`/name:prompt ...`). */
export function isPromptCommand(line: string): boolean {
  return PROMPT_COMMAND.test(line.trim());
}

/** Splits `key=value` pairs; a value may be quoted with " or ' to hold spaces. */
export function parsePromptArgs(text: string): Record<string, string> {
  const args: Record<string, string> = {};
  const token = /\s*([^\s=]+)=(?:"([^"]*)"|'([^']*)'|(\S*))|\s*(\S+)/gy;
  let m: RegExpExecArray | null;
  while ((m = token.exec(text)) !== null) {
    if (m[5] !== undefined) throw new InputError(`'${m[5]}' is not an argument: write name=value (quote values with spaces)`);
    args[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
    if (token.lastIndex >= text.length) break;
  }
  return args;
}

export function parsePromptCommand(line: string): PromptCommand | null {
  const m = PROMPT_COMMAND.exec(line.trim());
  if (!m) return null;
  return { server: m[1]!, prompt: m[2]!, args: parsePromptArgs(m[3]?.trim() ?? '') };
}

/** The prompt's messages as one text: user messages as they are, others labelled with their role. */
export function promptText(result: GetPromptResult): string {
  const parts = result.messages.map((message) => {
    const c = message.content as Record<string, unknown> & { type: string };
    let text: string;
    if (c.type === 'text') text = String(c.text);
    else if (c.type === 'resource') {
      const r = c.resource as { uri: string; text?: string };
      text = r.text !== undefined ? r.text : `[binary resource ${r.uri} not included]`;
    } else text = `[${c.type} content not included]`;
    return message.role === 'user' ? text : `(${message.role}) ${text}`;
  });
  return parts.join('\n\n');
}

/** Runs the prompt command: checks the prompt and its required arguments, then fetches its messages. */
export async function runPromptCommand(command: PromptCommand, ctx: InputContext): Promise<string> {
  const prompt = ctx.catalog.prompts().find((p) => p.server === command.server && p.name === command.prompt);
  if (!prompt) {
    const known = ctx.catalog.prompts().map((p) => `/${p.server}:${p.name}`);
    throw new InputError(`no MCP prompt /${command.server}:${command.prompt}${known.length ? `; prompts: ${known.join(', ')}` : ' (no server offers prompts)'}`);
  }
  const declared = prompt.arguments ?? [];
  const missing = declared.filter((a) => a.required && command.args[a.name] === undefined).map((a) => a.name);
  if (missing.length) {
    const usage = declared.map((a) => (a.required ? `${a.name}=…` : `[${a.name}=…]`)).join(' ');
    throw new InputError(`/${command.server}:${command.prompt} needs ${missing.join(', ')}: /${command.server}:${command.prompt} ${usage}`);
  }
  const unknown = Object.keys(command.args).filter((k) => !declared.some((a) => a.name === k));
  if (unknown.length) throw new InputError(`/${command.server}:${command.prompt} has no argument ${unknown.join(', ')} (it takes: ${declared.map((a) => a.name).join(', ') || 'none'})`);
  try {
    return promptText(await ctx.catalog.getPrompt(command.server, command.prompt, command.args));
  } catch (err) {
    throw new InputError(`/${command.server}:${command.prompt}: the server answered with an error: ${(err as Error).message}`);
  }
}
