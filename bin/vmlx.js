#!/usr/bin/env node
// Thin launcher: everything lives in the compiled CLI.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`vmlx: not built (missing ${entry}); run 'npm install' or 'npm run build' in ${root}\n`);
  process.exit(1);
}
const { main } = await import(entry);
await main(process.argv);
