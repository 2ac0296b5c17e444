// --kv-cache-memory, shared by serve and chat: the paged KV pool's budget (a size such as 512M or 2G).
import { InvalidArgumentError, Option } from 'commander';
import { parseMemorySize } from '../engine/kv-budget.js';

export function kvCacheMemoryOption(): Option {
  return new Option(
    '--kv-cache-memory <size>',
    'memory for the KV cache shared by all requests and its prefix cache, e.g. 512M or 4G (default: a quarter of the RAM the weights leave, at least one full context)',
  ).argParser((v: string) => {
    try {
      return parseMemorySize(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}
