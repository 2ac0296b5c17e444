// The vmlx package directory (the one holding package.json), found from this module's own location, so it is the
// same from src/ under tsc's dist/ and from the tests: the native addon, the test and bench model caches live there.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    dir = dirname(dir);
  }
  throw new Error(`vmlx: cannot locate the package root (no package.json above ${dirname(fileURLToPath(import.meta.url))})`);
}
