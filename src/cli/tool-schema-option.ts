// --tool-schema-share, shared by chat and serve: above this share of the context window, the model gets
// search_tools/call_tool instead of every tool schema.
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TOOL_SCHEMA_SHARE } from '../agent/loop/deferred-tools.js';

function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new InvalidArgumentError('--tool-schema-share must be a number above 0 and at most 1 (1 never defers the schemas)');
  }
  return n;
}

export function toolSchemaShareOption(): Option {
  return new Option(
    '--tool-schema-share <fraction>',
    `when the tool schemas would take more than this share of the context, show the model search_tools/call_tool instead (default ${DEFAULT_TOOL_SCHEMA_SHARE}; 1 = never)`,
  ).argParser(share);
}
