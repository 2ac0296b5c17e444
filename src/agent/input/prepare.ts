// Turns what the user typed into the message the model gets: an MCP prompt command is replaced by the prompt's
// text, and @ mentions are read and attached. Plain input passes through untouched.
import { expandMentions, findMentions, type Attachment } from './mentions.js';
import { isPromptCommand, parsePromptCommand, runPromptCommand } from './prompt-command.js';
import type { InputContext } from './types.js';

export interface PreparedInput {
  /** The text sent to the model. */
  text: string;
  /** Set for a prompt command: which prompt produced the text. */
  prompt?: string;
  attachments: Attachment[];
}

/** Whether the line needs preparing (a prompt command or a mention); anything else is sent as typed. */
export function needsPreparation(line: string, ctx: Pick<InputContext, 'servers' | 'cwd'>): boolean {
  return isPromptCommand(line) || findMentions(line, ctx.servers, ctx.cwd).length > 0;
}

/** Throws InputError (a one-line message for the user) when a prompt or a mention cannot be used. */
export async function prepareInput(line: string, ctx: InputContext): Promise<PreparedInput> {
  const command = parsePromptCommand(line);
  if (command) {
    const text = await runPromptCommand(command, ctx);
    return { text, prompt: `/${command.server}:${command.prompt}`, attachments: [] };
  }
  const expanded = await expandMentions(line, ctx);
  return { text: expanded.text, attachments: expanded.attachments };
}
