// Loads @mlc-ai/web-xgrammar (XGrammar compiled to WebAssembly). Its bundle is a UMD script that only works in Node
// when evaluated as CommonJS with a real require (a plain ESM import of it fails), so it is evaluated that way here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type XGrammar = typeof import('@mlc-ai/web-xgrammar');

let loaded: XGrammar | null = null;

export function loadXGrammar(): XGrammar {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  const body = readFileSync(file, 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating a vendored UMD bundle as CommonJS
  new Function('exports', 'module', 'require', '__filename', '__dirname', body)(mod.exports, mod, createRequire(file), file, dirname(file));
  loaded = mod.exports as unknown as XGrammar;
  return loaded;
}
