// A sampling request in a few lines for the approval prompt: size, system prompt, messages, tools, model hints.
import type { CreateMessageRequestParams } from '@modelcontextprotocol/sdk/types.js';
import { samplingPromptPreview } from '../agent/mcp/sampling.js';

function flat(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

export function samplingSummary(params: CreateMessageRequestParams, tokenLimit?: number): string[] {
  const rows: string[] = [];
  const n = params.messages.length;
  rows.push(
    `${n} message${n === 1 ? '' : 's'}, up to ${params.maxTokens} tokens${tokenLimit !== undefined && tokenLimit < params.maxTokens ? ` (vmlx caps it at ${tokenLimit})` : ''}${params.temperature !== undefined ? `, temperature ${params.temperature}` : ''}`,
  );
  if (params.systemPrompt) rows.push(`system: ${flat(params.systemPrompt)}`);
  const last = samplingPromptPreview(params, 300);
  if (last) rows.push(`user: ${last}`);
  if (params.tools?.length) rows.push(`tools offered: ${params.tools.map((t) => t.name).join(', ')}`);
  const hints = params.modelPreferences?.hints?.map((h) => h.name).filter((h): h is string => typeof h === 'string') ?? [];
  if (hints.length > 0) rows.push(`model hints: ${hints.join(', ')} (answered by the loaded model)`);
  if (params.includeContext && params.includeContext !== 'none') rows.push(`context asked for: ${params.includeContext} (not shared)`);
  return rows;
}
